package conference

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/xml"
)

// Who may enter a RESTRICTED conference with a key, and when: nobody
// before the early-join window; the host without the key (as a
// moderator); invitees with the key; nobody uninvited; nobody after it
// ended.
func TestAdmissionRestricted(t *testing.T) {
	f := newFixture(t)
	s := spec()
	s.Key = ptr("k3y")
	c := f.schedule(site, s).Conference
	f.clock.advance(25*time.Hour - 16*time.Minute) // 16 minutes before the start
	if cond := f.join(c, bob+"/pc", "Bob", "k3y"); cond != "not-allowed" {
		t.Fatalf("before the early-join window: %q", cond)
	}
	f.clock.advance(time.Minute) // 15 minutes before: open
	if cond := f.join(c, bob+"/pc", "Bob", "wrong"); cond != "not-authorized" {
		t.Fatalf("a wrong key: %q", cond)
	}
	if cond := f.join(c, bob+"/pc", "Bob", ""); cond != "not-authorized" {
		t.Fatalf("no key: %q", cond)
	}
	if cond := f.join(c, carol+"/pc", "Carol", "k3y"); cond != "registration-required" {
		t.Fatalf("an uninvited user with the key: %q", cond)
	}
	f.mustJoin(c, bob+"/pc", "Bob", "k3y")
	if st := f.stored(c.ID).State; st != store.ConferenceScheduled {
		t.Fatalf("an attendee's join started the conference: %s", st)
	}
	f.mustJoin(c, alice+"/laptop", "Alice", "") // the host needs no key
	// The host is a moderator: its presence says so.
	self := f.inbox.all(alice + "/laptop")
	found := false
	for _, el := range self {
		if el.Name == "presence" && strings.Contains(el.String(), "code='110'") && strings.Contains(el.String(), "role='moderator'") {
			found = true
		}
	}
	if !found {
		t.Fatal("the host did not enter as a moderator")
	}
	got := f.stored(c.ID)
	if got.State != store.ConferenceInProgress || !got.StartedAt.Equal(f.clock.Now()) {
		t.Fatalf("after the host came: %s started %v", got.State, got.StartedAt)
	}
	if err := f.m.End(f.ctx, c.ID, EndGraceful); err != nil {
		t.Fatal(err)
	}
	if cond := f.join(c, bob+"/phone", "Bobby", "k3y"); cond == "" {
		t.Fatal("joined an ended conference")
	}
}

// REGISTERED admits any registered user with the link; enrolment keeps
// out those who did not enrol; a lock keeps out all but the host.
func TestAdmissionRegisteredEnrolmentLock(t *testing.T) {
	f := newFixture(t)
	s := spec()
	s.Type, s.Start, s.End = TypeRegistered, ptr(t0), ptr(t0.Add(time.Hour))
	c := f.schedule(site, s).Conference
	f.mustJoin(c, carol+"/pc", "Carol", "") // not invited, registered: in
	if err := f.m.SetLocked(f.ctx, c.ID, true); err != nil {
		t.Fatal(err)
	}
	if cond := f.join(c, dave+"/pc", "Dave", ""); cond != "not-allowed" {
		t.Fatalf("a locked conference let dave in: %q", cond)
	}
	f.mustJoin(c, alice+"/pc", "Alice", "") // the host still can
	if err := f.m.SetLocked(f.ctx, c.ID, false); err != nil {
		t.Fatal(err)
	}
	f.mustJoin(c, dave+"/pc", "Dave", "")

	s = spec()
	s.Type, s.EnrollmentRequired, s.Key, s.Start, s.End = TypeRegistered, ptr(true), ptr("k"), ptr(t0), ptr(t0.Add(time.Hour))
	e := f.schedule(site, s).Conference
	if cond := f.join(e, carol+"/pc", "Carol", "k"); cond != "registration-required" {
		t.Fatalf("not enrolled: %q", cond)
	}
	f.mustJoin(e, bob+"/pc", "Bob", "k") // invited counts as enrolled
}

// Rooms that are not conferences' are left alone by the hooks.
func TestOrdinaryRoomsUntouched(t *testing.T) {
	f := newFixture(t)
	for _, room := range []string{"lobby@" + mucDomain, "conf12x@" + mucDomain, "conf999@" + mucDomain} {
		c := store.Conference{RoomJID: room}
		f.mustJoin(c, carol+"/pc", "Carol", "")
	}
	id, ok := f.m.conferenceOf(jid.MustParse("conf123@other.example.com"))
	if ok {
		t.Fatalf("a room of another service is conference %q", id)
	}
}

// The timeline and attendance of a conference: joins and leaves with
// the clock's times, chat, a shared link, a raised and lowered hand, a
// nick change; the host's first join starts it; the last one out after
// the scheduled end ends it GRACEFUL; the room goes.
func TestTimelineAndAttendance(t *testing.T) {
	f := newFixture(t)
	s := spec()
	s.Start, s.End = ptr(t0.Add(10*time.Minute)), ptr(t0.Add(70*time.Minute))
	s.Attendees = []Person{{UserID: bob, Email: "bob@mail.example.com"}}
	c := f.schedule(site, s).Conference
	f.mustJoin(c, bob+"/pc", "Bob", "")     // 09:00, early
	f.clock.advance(10 * time.Minute)       // 09:10
	f.mustJoin(c, alice+"/pc", "Alice", "") // the host: starts it
	f.say(c, bob+"/pc", body("hello"))      // chat
	f.say(c, bob+"/pc")                     // no body (a chat state): not recorded
	oob := xml.NewElement(nsOOB, "x").AddChild(xml.NewElement(nsOOB, "url").SetText("https://example.com/slides"))
	f.say(c, alice+"/pc", body("slides"), oob) // a link, not chat
	f.say(c, bob+"/pc", xml.NewElement(NSConference, "hand", xml.Attr{Name: "raised", Value: "true"}))
	f.say(c, bob+"/pc", xml.NewElement(NSConference, "hand", xml.Attr{Name: "raised", Value: "true"})) // already up
	if nicks, hands, err := f.m.Present(f.ctx, c.ID); err != nil || fmt.Sprint(nicks) != "[Alice Bob]" || !hands["Bob"] {
		t.Fatalf("present %v hands %v (%v)", nicks, hands, err)
	}
	f.say(c, bob+"/pc", xml.NewElement(NSConference, "hand", xml.Attr{Name: "raised", Value: "false"}))
	f.clock.advance(5 * time.Minute)                                     // 09:15
	f.muc.Receive(f.ctx, presenceTo(bob+"/pc", c.RoomJID+"/Robert", "")) // rename
	f.leave(c, bob+"/pc", "Robert")                                      // 09:15
	f.clock.advance(5 * time.Minute)                                     // 09:20
	f.mustJoin(c, bob+"/phone", "Bob", "")                               // again
	f.clock.advance(60 * time.Minute)                                    // 10:20, past the end
	f.leave(c, bob+"/phone", "Bob")
	if got := f.stored(c.ID); got.State != store.ConferenceInProgress {
		t.Fatalf("the conference ended with the host still in: %s", got.State)
	}
	f.clock.advance(time.Minute) // 10:21
	f.leave(c, alice+"/pc", "Alice")
	f.m.Wait()
	got := f.stored(c.ID)
	if got.State != store.ConferenceEnded || got.EndCause != EndGraceful || !got.EndedAt.Equal(t0.Add(81*time.Minute)) {
		t.Fatalf("after the last one left: %s %s %v", got.State, got.EndCause, got.EndedAt)
	}
	if _, err := f.st.Room(f.ctx, c.RoomJID); err == nil {
		t.Fatal("the ended conference's room is still stored")
	}
	want := []string{
		"join Bob user", "start Alice", "join Alice host", "chat Bob hello", "link Alice https://example.com/slides",
		"hand Bob up", "hand Bob down", "rename Bob Robert", "leave Robert", "join Bob user", "leave Bob", "leave Alice", "end  GRACEFUL",
	}
	if got := f.timeline(c.ID); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("timeline:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	att, err := f.m.Attendance(f.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		name, user  string
		in, out     time.Duration
		host, guest bool
		participant int64
		email       string
	}
	wantRows := []row{
		{"Bob", bob, 0, 15 * time.Minute, false, false, 2, "bob@mail.example.com"},
		{"Alice", alice, 10 * time.Minute, 81 * time.Minute, true, false, 1, "alice@mail.example.com"},
		{"Bob", bob, 20 * time.Minute, 80 * time.Minute, false, false, 2, "bob@mail.example.com"},
	}
	if len(att) != len(wantRows) {
		t.Fatalf("attendance: %+v", att)
	}
	for i, w := range wantRows {
		a := att[i]
		if a.Name != w.name || a.UserID != w.user || !a.Entered.Equal(t0.Add(w.in)) || !a.Exited.Equal(t0.Add(w.out)) ||
			a.Host != w.host || a.Guest != w.guest || a.ParticipantID != w.participant || a.Email != w.email {
			t.Errorf("attendance[%d] = %+v, want %+v", i, a, w)
		}
	}
}

func presenceTo(from, to, typ string) *xml.Element {
	p := xml.NewElement("jabber:client", "presence", xml.Attr{Name: "from", Value: from}, xml.Attr{Name: "to", Value: to})
	if typ != "" {
		p.SetAttr("type", typ)
	}
	return p
}

// The lifecycle's timed work: a conference whose host never came is
// ABANDONED at its scheduled end (people waiting are let out); one in
// progress that everyone left before its end is ended GRACEFUL by the
// first tick after its end; End forces one out with FORCED.
func TestLifecycle(t *testing.T) {
	f := newFixture(t)
	s := spec()
	s.Start, s.End = ptr(t0.Add(time.Hour)), ptr(t0.Add(2*time.Hour))
	waiting := f.schedule(site, s).Conference
	emptied := f.schedule(site, s).Conference
	forced := f.schedule(site, s).Conference
	f.clock.advance(time.Hour)
	f.mustJoin(waiting, bob+"/pc", "Bob", "")
	f.mustJoin(emptied, alice+"/pc", "Alice", "")
	f.mustJoin(forced, alice+"/pc", "Alice", "")
	f.mustJoin(forced, bob+"/pc", "Bob", "")
	f.leave(emptied, alice+"/pc", "Alice") // before its end: it goes on
	if err := f.m.Tick(f.ctx); err != nil {
		t.Fatal(err)
	}
	if st := f.stored(emptied.ID).State; st != store.ConferenceInProgress {
		t.Fatalf("emptied before its end: %s", st)
	}
	f.clock.advance(30 * time.Minute)
	if err := f.m.End(f.ctx, forced.ID, EndForced); err != nil {
		t.Fatal(err)
	}
	if err := f.m.End(f.ctx, forced.ID, EndGraceful); err != nil { // twice: nothing
		t.Fatal(err)
	}
	if got := f.stored(forced.ID); got.EndCause != EndForced || !got.EndedAt.Equal(f.clock.Now()) {
		t.Fatalf("forced: %+v", got)
	}
	last := f.inbox.last(bob + "/pc")
	if last == nil || last.Attr("type") != "unavailable" || !strings.Contains(last.String(), "destroy") {
		t.Fatalf("bob in the forced-out conference got %v", last)
	}
	f.clock.advance(30 * time.Minute) // 11:00: both scheduled ends reached
	if err := f.m.Tick(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.m.Wait()
	if got := f.stored(waiting.ID); got.State != store.ConferenceEnded || got.EndCause != EndAbandoned || !got.EndedAt.Equal(waiting.EndAt) {
		t.Fatalf("abandoned: %+v", got)
	}
	if got := f.stored(emptied.ID); got.EndCause != EndGraceful || !got.EndedAt.Equal(f.clock.Now()) {
		t.Fatalf("emptied: %+v", got)
	}
	if att, _ := f.m.Attendance(f.ctx, waiting.ID); len(att) != 1 || !att[0].Exited.Equal(waiting.EndAt) {
		t.Fatalf("bob's wait in the abandoned conference: %+v", att)
	}
	if tl := f.timeline(waiting.ID); strings.Join(tl, "|") != "join Bob user|leave Bob|end  ABANDONED" {
		t.Fatalf("abandoned timeline: %q", tl)
	}
	wantErr(t, "End of an unknown conference", f.m.End(f.ctx, "77", EndForced), ErrNotFound)
}

// An administrator ending a conference in the store (another process:
// parley conference end) is noticed by the next tick, which lets the
// people out.
func TestEndedElsewhere(t *testing.T) {
	f := newFixture(t)
	s := spec()
	s.Start, s.End = ptr(t0), ptr(t0.Add(time.Hour))
	c := f.schedule(site, s).Conference
	f.mustJoin(c, alice+"/pc", "Alice", "")
	other := New(Options{Store: f.st, Domain: domain, MUCDomain: mucDomain, Now: f.clock.Now, Logger: f.m.log}) // no MUC: the CLI
	if err := other.End(f.ctx, c.ID, EndForced); err != nil {
		t.Fatal(err)
	}
	if err := f.m.Tick(f.ctx); err != nil {
		t.Fatal(err)
	}
	if last := f.inbox.last(alice + "/pc"); last == nil || last.Attr("type") != "unavailable" {
		t.Fatalf("alice was not let out: %v", last)
	}
	if got := f.stored(c.ID); got.EndCause != EndForced {
		t.Fatalf("%+v", got)
	}
}

// Start after a stop: stays left open close at the last recorded
// moment; a conference past its end is ABORTED then, one still within
// its time goes on.
func TestStartRecovers(t *testing.T) {
	f := newFixture(t)
	s := spec()
	s.Start, s.End = ptr(t0), ptr(t0.Add(time.Hour))
	past := f.schedule(site, s).Conference
	s.End = ptr(t0.Add(3 * time.Hour))
	going := f.schedule(site, s).Conference
	f.mustJoin(past, alice+"/pc", "Alice", "")
	f.mustJoin(going, alice+"/pc", "Alice", "")
	f.clock.advance(10 * time.Minute)
	f.say(past, alice+"/pc", body("last words"))
	// The process dies: a new Manager on the same store, 2 hours later.
	f.clock.advance(2 * time.Hour)
	m := New(Options{Store: f.st, Domain: domain, MUCDomain: mucDomain, Now: f.clock.Now, Logger: f.m.log})
	if err := m.Start(f.ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Stop(f.ctx)
	got := f.stored(past.ID)
	if got.EndCause != EndAborted || !got.EndedAt.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("past: %+v", got)
	}
	if att, _ := m.Attendance(f.ctx, past.ID); len(att) != 1 || !att[0].Exited.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("past attendance: %+v", att)
	}
	if got := f.stored(going.ID); got.State != store.ConferenceInProgress {
		t.Fatalf("going: %+v", got)
	}
	if att, _ := m.Attendance(f.ctx, going.ID); len(att) != 1 || att[0].Exited.IsZero() {
		t.Fatalf("going attendance: %+v", att)
	}
}

// Guests: passes by a guest invitee's join key, by the link with a
// display name where the conference and its site admit guests, and
// for a host without an account; each refusal; the guest's session
// then enters the room and is recorded as a guest.
func TestGuests(t *testing.T) {
	f := newFixture(t)
	s := spec()
	s.Type, s.Key, s.Start, s.End = TypeRegular, ptr("k3y"), ptr(t0), ptr(t0.Add(time.Hour))
	s.Host = &Person{FirstName: "Hostess", Email: "host@example.org"} // no account
	s.Attendees = []Person{{FirstName: "Gail", Email: "gail@example.org"}, {UserID: bob}}
	c := f.schedule(site, s).Conference
	host, gail, bobP := c.Participants[0], c.Participants[1], c.Participants[2]

	_, err := f.m.GuestPass(f.ctx, GuestRequest{ConferenceID: c.ID, Name: "Visitor", ConferenceKey: "k3y"})
	wantErr(t, "the link without guest access", err, ErrGuestsNotAllowed)
	f.guests = true
	cases := []struct {
		name string
		r    GuestRequest
		want error
	}{
		{"unknown conference", GuestRequest{ConferenceID: "1", Name: "V"}, ErrNotFound},
		{"a wrong join key", GuestRequest{ConferenceID: c.ID, JoinKey: "2_nope", ConferenceKey: "k3y"}, ErrBadKey},
		{"a registered invitee's key", GuestRequest{ConferenceID: c.ID, JoinKey: JoinKey(bobP), ConferenceKey: "k3y"}, ErrGuestsNotAllowed},
		{"a guest invitee without the conference key", GuestRequest{ConferenceID: c.ID, JoinKey: JoinKey(gail)}, ErrBadKey},
		{"the link without a name", GuestRequest{ConferenceID: c.ID, ConferenceKey: "k3y", Name: " "}, ErrBadKey},
		{"the link with a control character", GuestRequest{ConferenceID: c.ID, ConferenceKey: "k3y", Name: "a\x00b"}, ErrBadKey},
		{"the link with a wrong key", GuestRequest{ConferenceID: c.ID, ConferenceKey: "nope", Name: "V"}, ErrBadKey},
	}
	for _, tc := range cases {
		_, err := f.m.GuestPass(f.ctx, tc.r)
		wantErr(t, tc.name, err, tc.want)
	}
	hostPass, err := f.m.GuestPass(f.ctx, GuestRequest{ConferenceID: c.ID, JoinKey: JoinKey(host)})
	if err != nil || !hostPass.Host || hostPass.Name != "Hostess" || !strings.HasPrefix(hostPass.JID, "guest-") || !strings.HasSuffix(hostPass.JID, "@"+guestDomain) {
		t.Fatalf("host pass: %+v %v", hostPass, err)
	}
	gailPass, err := f.m.GuestPass(f.ctx, GuestRequest{ConferenceID: c.ID, JoinKey: JoinKey(gail), ConferenceKey: "k3y", Name: "Gail G."})
	if err != nil || gailPass.Host || gailPass.ParticipantID != gail.ID || gailPass.Name != "Gail G." {
		t.Fatalf("gail's pass: %+v %v", gailPass, err)
	}
	visitor, err := f.m.GuestPass(f.ctx, GuestRequest{ConferenceID: c.ID, ConferenceKey: "k3y", Name: "  Vic  "})
	if err != nil || visitor.Name != "Vic" || visitor.ParticipantID != 0 || visitor.JID == gailPass.JID || len(visitor.Secret) != keySecretLen {
		t.Fatalf("visitor's pass: %+v %v", visitor, err)
	}
	if p, ok := f.m.PassFor(visitor.JID); !ok || p.Name != "Vic" {
		t.Fatal("PassFor does not find the visitor's pass")
	}
	// The guests' sessions enter the room: no key asked again; the host
	// one as a moderator, starting the conference.
	f.mustJoin(c, hostPass.JID+"/web", "Hostess", "")
	f.mustJoin(c, gailPass.JID+"/web", "Gail G.", "")
	f.mustJoin(c, visitor.JID+"/web", "Vic", "")
	if cond := f.join(c, "guest-forged@"+guestDomain+"/web", "Forger", ""); cond != "not-authorized" {
		t.Fatalf("a guest JID without a pass: %q", cond)
	}
	if st := f.stored(c.ID).State; st != store.ConferenceInProgress {
		t.Fatalf("the guest host's join did not start it: %s", st)
	}
	att, _ := f.m.Attendance(f.ctx, c.ID)
	if len(att) != 3 || !att[0].Host || !att[0].Guest || att[1].ParticipantID != gail.ID || att[1].Email != "gail@example.org" ||
		!att[2].Guest || att[2].UserID != "" || att[2].JID != visitor.JID {
		t.Fatalf("attendance: %+v", att)
	}
	// A RESTRICTED conference lets no guest in, even with the site's
	// guest access; passes expire.
	rs := spec()
	rs.Start, rs.End = ptr(t0), ptr(t0.Add(time.Hour))
	r := f.schedule(site, rs).Conference
	_, err = f.m.GuestPass(f.ctx, GuestRequest{ConferenceID: r.ID, Name: "V"})
	wantErr(t, "RESTRICTED", err, ErrGuestsNotAllowed)
	later := f.schedule(site, spec()).Conference
	_, err = f.m.GuestPass(f.ctx, GuestRequest{ConferenceID: later.ID, JoinKey: JoinKey(later.Participants[0])})
	wantErr(t, "not open yet", err, ErrClosed)
	f.clock.advance(2*time.Hour + passLife)
	if _, ok := f.m.PassFor(visitor.JID); ok {
		t.Fatal("a pass outlived its conference")
	}
}

// Many sessions join, talk and leave several conferences at once: no
// race, every stay recorded and closed.
func TestConcurrentConferences(t *testing.T) {
	f := newFixture(t)
	const confs, people = 4, 8
	var cs []store.Conference
	for range confs {
		s := spec()
		s.Type, s.Start, s.End = TypeRegistered, ptr(t0), ptr(t0.Add(time.Hour))
		cs = append(cs, f.schedule(site, s).Conference)
	}
	for i := range people {
		if err := f.st.CreateUser(f.ctx, store.User{JID: fmt.Sprintf("p%d@%s", i, domain)}); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	for i := range people {
		go func() {
			defer func() { done <- struct{}{} }()
			for _, c := range cs {
				session := fmt.Sprintf("p%d@%s/r", i, domain)
				nick := fmt.Sprintf("P%d", i)
				f.muc.Receive(context.Background(), presenceTo(session, c.RoomJID+"/"+nick, ""))
				f.say(c, session, body("hi"))
				f.leave(c, session, nick)
			}
		}()
	}
	for range people {
		<-done
	}
	for _, c := range cs {
		att, _ := f.m.Attendance(f.ctx, c.ID)
		if len(att) != people {
			t.Fatalf("conference %s: %d stays, want %d", c.ID, len(att), people)
		}
		for _, a := range att {
			if a.Exited.IsZero() {
				t.Fatalf("an open stay: %+v", a)
			}
		}
		if n := strings.Count(strings.Join(f.timeline(c.ID), "\n"), "chat "); n != people {
			t.Fatalf("conference %s: %d chat events", c.ID, n)
		}
	}
	f.m.mu.Lock()
	n := len(f.m.lives)
	f.m.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d live values left with nobody present", n)
	}
}

// Enrolment: a registered user who was not invited enrols with the
// conference key, then joins; without it, or where the conference takes
// no enrolment, they cannot.
func TestEnrol(t *testing.T) {
	f := newFixture(t)
	s := spec()
	s.Type, s.EnrollmentRequired, s.Key, s.Start, s.End = TypeRegistered, ptr(true), ptr("k3y"), ptr(t0), ptr(t0.Add(time.Hour))
	c := f.schedule(site, s).Conference
	if cond := f.join(c, carol+"/pc", "Carol", "k3y"); cond != "registration-required" {
		t.Fatalf("before enrolling: %q", cond)
	}
	_, err := f.m.Enrol(f.ctx, c.ID, "carol", "wrong")
	wantErr(t, "a wrong key", err, ErrBadKey)
	_, err = f.m.Enrol(f.ctx, c.ID, "nobody", "k3y")
	wantErr(t, "an unknown user", err, ErrUnknownUser)
	_, err = f.m.Enrol(f.ctx, "42", "carol", "k3y")
	wantErr(t, "an unknown conference", err, ErrNotFound)
	p, err := f.m.Enrol(f.ctx, c.ID, "carol", "k3y")
	if err != nil || p.UserID != carol || !p.Enrolled || p.ID != 3 || p.Role != store.RoleAttendee {
		t.Fatalf("enrolled: %+v %v", p, err)
	}
	again, err := f.m.Enrol(f.ctx, c.ID, carol, "k3y")
	if err != nil || again.ID != p.ID {
		t.Fatalf("enrolling twice: %+v %v", again, err)
	}
	f.mustJoin(c, carol+"/pc", "Carol", "k3y")
	if got := f.stored(c.ID); len(got.Participants) != 3 {
		t.Fatalf("participants: %+v", got.Participants)
	}
	plain := f.schedule(site, spec()).Conference
	_, err = f.m.Enrol(f.ctx, plain.ID, "carol", "")
	wantErr(t, "a conference without enrolment", err, ErrNotAllowed)
}

// A guest logs in with its pass's ticket on the guest domain, and its
// session may talk only to its conference's room.
func TestGuestSessions(t *testing.T) {
	f := newFixture(t)
	f.guests = true
	s := spec()
	s.Type, s.Start, s.End = TypeRegular, ptr(t0), ptr(t0.Add(time.Hour))
	c := f.schedule(site, s).Conference
	p, err := f.m.GuestPass(f.ctx, GuestRequest{ConferenceID: c.ID, Name: "Vic"})
	if err != nil {
		t.Fatal(err)
	}
	self := jid.MustParse(p.JID + "/web")
	if !f.m.IsGuest(self) || f.m.IsGuest(jid.MustParse(alice)) {
		t.Fatal("IsGuest")
	}
	local, err := f.m.BearerVerify(f.ctx, guestDomain, "", p.Secret)
	if err != nil || local+"@"+guestDomain != p.JID {
		t.Fatalf("BearerVerify: %q %v", local, err)
	}
	if _, err := f.m.BearerVerify(f.ctx, guestDomain, p.JID, p.Secret); err != nil {
		t.Fatalf("with the guest as authzid: %v", err)
	}
	for _, tc := range []struct{ domain, authzid, ticket string }{
		{guestDomain, "", "nope"}, {guestDomain, "", ""}, {domain, "", p.Secret}, {guestDomain, "other@" + guestDomain, p.Secret},
	} {
		if _, err := f.m.BearerVerify(f.ctx, tc.domain, tc.authzid, tc.ticket); err == nil {
			t.Errorf("BearerVerify(%+v) accepted", tc)
		}
	}
	el := func(s string) *xml.Element {
		e, err := xml.ParseElement([]byte(s), "jabber:client", xml.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	room := c.RoomJID
	for _, tc := range []struct {
		stanza string
		want   Verdict
	}{
		{"<presence/>", Drop},
		{"<presence to='" + room + "/Vic'><x xmlns='http://jabber.org/protocol/muc'/></presence>", Forward},
		{"<presence to='" + room + "/Vic' type='unavailable'/>", Forward},
		{"<presence to='" + room + "'/>", Refuse},
		{"<presence to='" + alice + "' type='subscribe'/>", Refuse},
		{"<message to='" + room + "' type='groupchat'><body>hi</body></message>", Forward},
		{"<message to='" + room + "/Alice' type='chat'><body>psst</body></message>", Refuse},
		{"<message to='" + alice + "'><body>hi</body></message>", Refuse},
		{"<message to='conf1@" + mucDomain + "' type='groupchat'><body>hi</body></message>", Refuse},
		{"<iq type='set' id='1' to='" + room + "'><query xmlns='http://jabber.org/protocol/muc#admin'/></iq>", Forward},
		{"<iq type='result' id='2' to='" + room + "/Alice'/>", Forward},
		{"<iq type='get' id='3'><ping xmlns='urn:xmpp:ping'/></iq>", Pong},
		{"<iq type='get' id='4' to='" + guestDomain + "'><ping xmlns='urn:xmpp:ping'/></iq>", Pong},
		{"<iq type='get' id='5'><query xmlns='jabber:iq:roster'/></iq>", Refuse},
		{"<iq type='get' id='6' to='" + mucDomain + "'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>", Refuse},
		{"<iq type='result' id='7' to='" + alice + "/pc'/>", Drop},
		{"<message to='not a jid@@'/>", Refuse},
	} {
		if v := f.m.GuestPolicy(self, el(tc.stanza)); v.Verdict != tc.want {
			t.Errorf("%s: verdict %d, want %d (%s)", tc.stanza, v.Verdict, tc.want, v.Text)
		}
	}
	// Once the conference is deleted, the pass is gone: the ticket opens
	// nothing and the session is told to end.
	f.clock.advance(2 * time.Hour)
	if err := f.m.Delete(f.ctx, site, c.ID, base); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.BearerVerify(f.ctx, guestDomain, "", p.Secret); err == nil {
		t.Fatal("the ticket of a deleted conference's guest still logs in")
	}
	if v := f.m.GuestPolicy(self, el("<presence/>")); v.Verdict != Refuse || !v.Ended {
		t.Fatalf("after the delete: %+v", v)
	}
}
