package conference

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/store"
)

// The seed's defaults: registeredUserOnly true, hostInvitedOnly true
// (so RESTRICTED), publiclyListed, enrollmentRequired, publishAttendees
// and sendEmailNotification false. The host and each attendee get a
// join key of their own; the room is stored, hidden, archived.
func TestScheduleDefaults(t *testing.T) {
	f := newFixture(t)
	r := f.schedule(site, spec())
	c := f.stored(r.Conference.ID)
	if !regexp.MustCompile(`^[1-9]\d{9}$`).MatchString(c.ID) {
		t.Fatalf("conference ID %q: want 10 digits", c.ID)
	}
	want := store.ConferenceFlags{RegisteredUserOnly: true, HostInvitedOnly: true}
	if c.Flags != want || c.Type != TypeRestricted || c.State != store.ConferenceScheduled || c.SiteID != "12345" || c.Owner != "" {
		t.Fatalf("stored: %+v", c)
	}
	if c.Title != "Review" || c.Desc != "numbers" || !c.StartAt.Equal(t0.Add(25*time.Hour)) || !c.EndAt.Equal(t0.Add(26*time.Hour)) {
		t.Fatalf("stored: %+v", c)
	}
	if len(c.Participants) != 2 {
		t.Fatalf("participants: %+v", c.Participants)
	}
	h, b := c.Participants[0], c.Participants[1]
	if h.Role != store.RoleHost || h.UserID != alice || h.ID != 1 || b.Role != store.RoleAttendee || b.UserID != bob || b.ID != 2 {
		t.Fatalf("participants: %+v", c.Participants)
	}
	if len(h.KeySecret) != keySecretLen || len(b.KeySecret) != keySecretLen || h.KeySecret == b.KeySecret {
		t.Fatalf("join keys: %q %q", h.KeySecret, b.KeySecret)
	}
	if r.HostURL != base+"/conference/"+c.ID+"#key=1_"+h.KeySecret || r.AttendeeURL != base+"/conference/"+c.ID {
		t.Fatalf("URLs: %s %s", r.HostURL, r.AttendeeURL)
	}
	if c.RoomJID != "conf"+c.ID+"@"+mucDomain {
		t.Fatalf("room %q", c.RoomJID)
	}
	room, err := f.st.Room(f.ctx, c.RoomJID)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := muc.DecodeRoom(room)
	if info.Config.Public || info.Config.Archive || !info.Config.Persistent || info.Config.Name != "Conference "+c.ID || info.Config.HistoryLength != roomHistory {
		t.Fatalf("room config: %+v", info.Config)
	}
	if r.Skipped != nil || r.InviteErr != nil {
		t.Fatalf("skipped %v, invite error %v", r.Skipped, r.InviteErr)
	}
	if p, ok := ParticipantByKey(c, JoinKey(b)); !ok || p.ID != 2 {
		t.Fatal("bob's join key does not find bob")
	}
	for _, k := range []string{"2_" + h.KeySecret, "2_" + b.KeySecret[:31], "x_" + b.KeySecret, b.KeySecret, "9_" + b.KeySecret, ""} {
		if _, ok := ParticipantByKey(c, k); ok {
			t.Errorf("key %q accepted", k)
		}
	}
}

// Meeting types and the flags they stand for, in both directions.
func TestMeetingTypes(t *testing.T) {
	f := newFixture(t)
	f.guests = true
	guestSite := Caller{Site: "12345", GuestsAllowed: true}
	cases := []struct {
		s    func(*Spec)
		typ  string
		reg  bool
		hio  bool
		pub  bool
		errs error
	}{
		{func(s *Spec) {}, TypeRestricted, true, true, false, nil},
		{func(s *Spec) { s.Type = "regular" }, TypeRegular, false, false, false, nil},
		{func(s *Spec) { s.Type = TypePublic }, TypePublic, false, false, true, nil},
		{func(s *Spec) { s.Type = TypeRegistered }, TypeRegistered, true, false, false, nil},
		{func(s *Spec) { s.Type = TypeRestricted }, TypeRestricted, true, true, false, nil},
		{func(s *Spec) { s.RegisteredUserOnly = ptr(false) }, TypeRegular, false, false, false, nil}, // hostInvitedOnly follows
		{func(s *Spec) { s.HostInvitedOnly = ptr(false) }, TypeRegistered, true, false, false, nil},
		{func(s *Spec) { s.RegisteredUserOnly, s.PubliclyListed = ptr(false), ptr(true) }, TypePublic, false, false, true, nil},
		{func(s *Spec) { s.PubliclyListed = ptr(true) }, TypeRestricted, true, true, true, nil}, // listed, but still restricted
		{func(s *Spec) { s.Type = "WEBINAR" }, "", false, false, false, ErrNotCreated},
		{func(s *Spec) { s.Type, s.RegisteredUserOnly = TypeRestricted, ptr(false) }, "", false, false, false, ErrNotCreated},
		{func(s *Spec) { s.RegisteredUserOnly, s.HostInvitedOnly = ptr(false), ptr(true) }, "", false, false, false, ErrNotCreated},
		{func(s *Spec) { s.RegisteredUserOnly, s.EnrollmentRequired, s.Key = ptr(false), ptr(true), ptr("k") }, "", false, false, false, ErrNotCreated},
	}
	for i, tc := range cases {
		s := spec()
		tc.s(&s)
		r, err := f.m.Schedule(f.ctx, guestSite, s, base)
		if tc.errs != nil {
			wantErr(t, fmt.Sprintf("case %d", i), err, tc.errs)
			continue
		}
		if err != nil {
			t.Errorf("case %d: %v", i, err)
			continue
		}
		c := r.Conference
		if c.Type != tc.typ || c.Flags.RegisteredUserOnly != tc.reg || c.Flags.HostInvitedOnly != tc.hio || c.Flags.PubliclyListed != tc.pub {
			t.Errorf("case %d: type %s flags %+v, want %s reg %v hio %v pub %v", i, c.Type, c.Flags, tc.typ, tc.reg, tc.hio, tc.pub)
		}
	}
}

// Every refusal of scheduleConference, each with its sentinel (and so
// its status code).
func TestScheduleErrors(t *testing.T) {
	f := newFixture(t)
	user := Caller{User: bob}
	tooMany := make([]Person, 501)
	for i := range tooMany {
		tooMany[i] = Person{Email: fmt.Sprintf("p%d@example.org", i)}
	}
	cases := []struct {
		name   string
		caller Caller
		s      func(*Spec)
		want   error
	}{
		{"siteId of another site", site, func(s *Spec) { s.SiteID = "999" }, ErrSiteMismatch},
		{"a conferenceId", site, func(s *Spec) { s.ID = "1234567890" }, ErrNotCreated},
		{"no start", site, func(s *Spec) { s.Start = nil }, ErrStartMissing},
		{"no end", site, func(s *Spec) { s.End = nil }, ErrEndMissing},
		{"start in the past", site, func(s *Spec) { s.Start, s.End = ptr(t0.Add(-time.Hour)), ptr(t0.Add(time.Hour)) }, ErrStartTime},
		{"start three years ahead", site, func(s *Spec) {
			s.Start, s.End = ptr(t0.AddDate(3, 0, 0)), ptr(t0.AddDate(3, 0, 0).Add(time.Hour))
		}, ErrStartTime},
		{"end before start", site, func(s *Spec) { s.End = ptr(s.Start.Add(-time.Minute)) }, ErrEndTime},
		{"end at start", site, func(s *Spec) { s.End = s.Start }, ErrEndTime},
		{"longer than a day", site, func(s *Spec) { s.End = ptr(s.Start.Add(25 * time.Hour)) }, ErrEndTime},
		{"PUBLIC without guest access", site, func(s *Spec) { s.Type = TypePublic }, ErrPublicNotAllowed},
		{"key required by the site", Caller{Site: "12345", KeyRequired: true}, func(s *Spec) {}, ErrKey},
		{"enrolment without a key", site, func(s *Spec) { s.EnrollmentRequired = ptr(true) }, ErrKey},
		{"a key with a newline", site, func(s *Spec) { s.Key = ptr("a\nb") }, ErrKey},
		{"a key too long", site, func(s *Spec) { s.Key = ptr(strings.Repeat("k", 65)) }, ErrKey},
		{"no host", site, func(s *Spec) { s.Host = nil }, ErrHostMissing},
		{"an empty host", site, func(s *Spec) { s.Host = &Person{} }, ErrHostMissing},
		{"a host with a bad e-mail", site, func(s *Spec) { s.Host = &Person{FirstName: "X", Email: "not mail"} }, ErrHostMissing},
		{"host unknown user", site, func(s *Spec) { s.Host = &Person{UserID: "nobody"} }, ErrUnknownUser},
		{"host bad user ID", site, func(s *Spec) { s.Host = &Person{UserID: "a@b@c"} }, ErrUnknownUser},
		{"host GUID of another user", site, func(s *Spec) { s.Host = &Person{UserID: alice, UserGUID: UserGUID(bob)} }, ErrUnknownGUID},
		{"host unknown GUID", site, func(s *Spec) { s.Host = &Person{UserGUID: "00FF"} }, ErrUnknownGUID},
		{"a user for someone else", user, func(s *Spec) {}, ErrNotHost},
		{"a user for a guest host", user, func(s *Spec) { s.Host = &Person{FirstName: "X", Email: "x@example.org"} }, ErrNotHost},
		{"too many attendees", site, func(s *Spec) { s.Attendees = tooMany }, ErrParticipants},
		{"a bad exit URL", site, func(s *Spec) { s.HostExitURL = "javascript:alert(1)" }, ErrNotCreated},
		{"a title too long", site, func(s *Spec) { s.Title = strings.Repeat("t", maxText+1) }, ErrNotCreated},
	}
	for _, tc := range cases {
		s := spec()
		tc.s(&s)
		_, err := f.m.Schedule(f.ctx, tc.caller, s, base)
		wantErr(t, tc.name, err, tc.want)
	}
	if all, _ := f.st.ListConferences(f.ctx, store.ConferenceQuery{}); len(all) != 0 {
		t.Fatalf("refused requests stored %d conferences", len(all))
	}
	if rooms, _ := f.st.ListRooms(f.ctx, ""); len(rooms) != 0 {
		t.Fatalf("refused requests stored %d rooms", len(rooms))
	}
}

// A start a little in the past is taken as now; a host found by GUID
// alone; a user scheduling for themselves (host omitted or named).
func TestScheduleAccepts(t *testing.T) {
	f := newFixture(t)
	s := spec()
	s.Start, s.End = ptr(t0.Add(-4*time.Minute)), ptr(t0.Add(time.Hour))
	s.Host = &Person{UserGUID: strings.ToLower(UserGUID(carol))}
	r := f.schedule(site, s)
	if Host(r.Conference).UserID != carol {
		t.Fatalf("host by GUID: %+v", Host(r.Conference))
	}
	user := Caller{User: bob}
	s = spec()
	s.Host = nil
	r = f.schedule(user, s)
	if c := r.Conference; c.Owner != bob || c.SiteID != "" || Host(c).UserID != bob {
		t.Fatalf("a user's conference: owner %q site %q host %+v", c.Owner, c.SiteID, Host(c))
	}
	s.Host = &Person{UserID: "bob", FirstName: "Bob"}
	s.Attendees = []Person{{UserID: alice}}
	r = f.schedule(user, s)
	if Host(r.Conference).FirstName != "Bob" {
		t.Fatalf("named host: %+v", Host(r.Conference))
	}
}

// Attendees that cannot take part are left out, each named with why;
// the conference is made with the rest (PROCESSED_WITH_NON_FATAL_ERRORS).
func TestScheduleSkipsAttendees(t *testing.T) {
	f := newFixture(t)
	s := spec()
	s.Attendees = []Person{
		{UserID: bob},
		{},
		{UserID: "nobody"},
		{UserID: carol, UserGUID: UserGUID(dave)},
		{FirstName: "Guest", Email: "guest@example.org"}, // RESTRICTED: registered users only
		{UserID: bob},                 // twice
		{UserID: alice},               // the host
		{UserID: dave, Email: "bad@"}, // a bad address
		{UserGUID: UserGUID(carol)},
	}
	r := f.schedule(site, s)
	var got []string
	for _, p := range r.Conference.Participants[1:] {
		got = append(got, p.UserID)
	}
	if fmt.Sprint(got) != fmt.Sprint([]string{bob, carol}) {
		t.Fatalf("attendees kept: %v", got)
	}
	want := []string{"attendee 2: empty", "no such user", "no such user GUID", "not a registered user", "listed twice", "listed twice", "not a valid e-mail"}
	if len(r.Skipped) != len(want) {
		t.Fatalf("skipped: %q", r.Skipped)
	}
	for i, w := range want {
		if !strings.Contains(r.Skipped[i], w) {
			t.Errorf("skipped[%d] = %q, want it to say %q", i, r.Skipped[i], w)
		}
	}
	// REGULAR admits guests by e-mail; one without an address is skipped.
	s = spec()
	s.Type = TypeRegular
	s.Attendees = []Person{{FirstName: "Guest", Email: "guest@example.org"}, {FirstName: "Nameless"}}
	r = f.schedule(site, s)
	if len(r.Conference.Participants) != 2 || r.Conference.Participants[1].Email != "guest@example.org" || len(r.Skipped) != 1 {
		t.Fatalf("REGULAR: participants %+v skipped %q", r.Conference.Participants, r.Skipped)
	}
}

// An instant conference starts now, lasts InstantLength, is REGULAR
// unless asked otherwise, and has a host without an account.
func TestInstant(t *testing.T) {
	f := newFixture(t)
	r, err := f.m.Instant(f.ctx, site, InstantSpec{Key: "k3y", HostExitURL: "https://example.com/bye"}, base)
	if err != nil {
		t.Fatal(err)
	}
	c := f.stored(r.Conference.ID)
	if !c.Instant || c.Type != TypeRegular || !c.StartAt.Equal(t0) || !c.EndAt.Equal(t0.Add(time.Hour)) || c.Key != "k3y" ||
		c.Title != "Instant conference" || c.URLs.HostExit != "https://example.com/bye" || Host(c).UserID != "" || len(c.Participants) != 1 {
		t.Fatalf("instant: %+v", c)
	}
	if _, err := f.m.Instant(f.ctx, Caller{Site: "1", KeyRequired: true}, InstantSpec{}, base); err == nil {
		t.Fatal("an instant conference without the key its site requires")
	}
	if _, err := f.m.Instant(f.ctx, site, InstantSpec{Type: "NOPE"}, base); err == nil {
		t.Fatal("an unknown meeting type")
	}
	r, err = f.m.Instant(f.ctx, Caller{User: carol}, InstantSpec{Type: TypeRegistered}, base)
	if err != nil || Host(r.Conference).UserID != carol {
		t.Fatalf("a user's instant conference: %v %+v", err, r.Conference)
	}
}

// updateConference keeps what the request leaves out, keeps the join
// keys of attendees who stay, and refuses conferences in progress or
// not the caller's.
func TestUpdate(t *testing.T) {
	f := newFixture(t)
	r := f.schedule(site, spec())
	orig := r.Conference
	bobKey := orig.Participants[1].KeySecret
	start := t0.Add(48 * time.Hour)
	res, err := f.m.Update(f.ctx, site, Spec{ID: orig.ID, Title: "Review, moved", Start: &start, End: ptr(start.Add(2 * time.Hour)),
		Attendees: []Person{{UserID: "bob"}, {UserID: carol}}}, base)
	if err != nil {
		t.Fatal(err)
	}
	c := f.stored(orig.ID)
	if c.Title != "Review, moved" || c.Desc != "numbers" || !c.StartAt.Equal(start) || !c.EndAt.Equal(start.Add(2*time.Hour)) || c.Type != TypeRestricted {
		t.Fatalf("updated: %+v", c)
	}
	if len(c.Participants) != 3 || c.Participants[1].KeySecret != bobKey || c.Participants[1].ID != 2 ||
		c.Participants[2].UserID != carol || c.Participants[2].ID != 3 || c.Participants[0].KeySecret != orig.Participants[0].KeySecret {
		t.Fatalf("participants: %+v", c.Participants)
	}
	if res.HostURL != r.HostURL || c.Sequence != 0 {
		t.Fatalf("host URL %s (was %s), sequence %d", res.HostURL, r.HostURL, c.Sequence)
	}
	// A flag change that turns the conference into REGULAR, and back.
	if _, err := f.m.Update(f.ctx, site, Spec{ID: orig.ID, Type: TypeRegular}, base); err != nil {
		t.Fatal(err)
	}
	if c := f.stored(orig.ID); c.Type != TypeRegular || c.Flags.RegisteredUserOnly || c.Flags.HostInvitedOnly {
		t.Fatalf("after REGULAR: %+v", c)
	}
	for _, tc := range []struct {
		name   string
		caller Caller
		s      Spec
		want   error
	}{
		{"no ID", site, Spec{}, ErrIDMissing},
		{"unknown ID", site, Spec{ID: "1"}, ErrNotFound},
		{"another site's", Caller{Site: "999"}, Spec{ID: orig.ID}, ErrNotFound},
		{"a user's, of a site's", Caller{User: alice}, Spec{ID: orig.ID}, ErrNotFound},
		{"siteId mismatch", site, Spec{ID: orig.ID, SiteID: "9"}, ErrSiteMismatch},
		{"end before start", site, Spec{ID: orig.ID, End: ptr(start.Add(-time.Hour))}, ErrEndTime},
		{"start in the past", site, Spec{ID: orig.ID, Start: ptr(t0.Add(-time.Hour))}, ErrStartTime},
		{"contradicting flags", site, Spec{ID: orig.ID, HostInvitedOnly: ptr(true)}, ErrNotCreated},
		{"PUBLIC without guest access", site, Spec{ID: orig.ID, Type: TypePublic}, ErrPublicNotAllowed},
		{"key required", Caller{Site: "12345", KeyRequired: true}, Spec{ID: orig.ID}, ErrKey},
		{"a user as host for a site", site, Spec{ID: orig.ID, Host: &Person{UserID: "nobody"}}, ErrUnknownUser},
	} {
		_, err := f.m.Update(f.ctx, tc.caller, tc.s, base)
		wantErr(t, tc.name, err, tc.want)
	}
	// A new host gets a new host key; the old host link stops working.
	res, err = f.m.Update(f.ctx, site, Spec{ID: orig.ID, Host: &Person{UserID: dave}}, base)
	if err != nil {
		t.Fatal(err)
	}
	if c := f.stored(orig.ID); Host(c).UserID != dave || Host(c).KeySecret == orig.Participants[0].KeySecret || res.HostURL == r.HostURL {
		t.Fatalf("new host: %+v", Host(c))
	}
	// In progress: no more changes.
	f.clock.advance(48 * time.Hour)
	c = f.stored(orig.ID)
	f.mustJoin(c, dave+"/pc", "Dave", "")
	_, err = f.m.Update(f.ctx, site, Spec{ID: orig.ID, Title: "x"}, base)
	wantErr(t, "in progress", err, ErrCannotChange)
}

// Turning a conference registered-only drops its guest attendees.
func TestUpdateDropsGuests(t *testing.T) {
	f := newFixture(t)
	s := spec()
	s.Type = TypeRegular
	s.Attendees = []Person{{UserID: bob}, {FirstName: "G", Email: "g@example.org"}}
	r := f.schedule(site, s)
	res, err := f.m.Update(f.ctx, site, Spec{ID: r.Conference.ID, Type: TypeRegistered}, base)
	if err != nil {
		t.Fatal(err)
	}
	if c := f.stored(r.Conference.ID); len(c.Participants) != 2 || len(res.Skipped) != 1 {
		t.Fatalf("participants %+v skipped %q", c.Participants, res.Skipped)
	}
}

// deleteConference removes a scheduled or ended conference with its
// room, and refuses one in progress.
func TestDelete(t *testing.T) {
	f := newFixture(t)
	a := f.schedule(site, spec()).Conference
	wantErr(t, "no ID", f.m.Delete(f.ctx, site, " ", base), ErrIDMissing)
	wantErr(t, "unknown", f.m.Delete(f.ctx, site, "42", base), ErrNotFound)
	wantErr(t, "another site's", f.m.Delete(f.ctx, Caller{Site: "9"}, a.ID, base), ErrNotFound)
	if err := f.m.Delete(f.ctx, site, a.ID, base); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Conference(f.ctx, a.ID); err == nil {
		t.Fatal("deleted conference still stored")
	}
	if _, err := f.st.Room(f.ctx, a.RoomJID); err == nil {
		t.Fatal("deleted conference's room still stored")
	}
	wantErr(t, "twice", f.m.Delete(f.ctx, site, a.ID, base), ErrNotFound)

	b := f.schedule(site, spec()).Conference
	f.clock.advance(25 * time.Hour)
	f.mustJoin(b, alice+"/pc", "Alice", "")
	wantErr(t, "in progress", f.m.Delete(f.ctx, site, b.ID, base), ErrCannotChange)
	if err := f.m.End(f.ctx, b.ID, EndGraceful); err != nil {
		t.Fatal(err)
	}
	if err := f.m.Delete(f.ctx, site, b.ID, base); err != nil {
		t.Fatalf("deleting an ended conference: %v", err)
	}
}

// listUpcomingConferences: a site's own, or a user's (as host or
// attendee), not ended, by start, with the seed's filters.
func TestUpcoming(t *testing.T) {
	f := newFixture(t)
	f.guests = true
	gs := Caller{Site: "12345", GuestsAllowed: true}
	mk := func(c Caller, hours int, mod func(*Spec)) store.Conference {
		s := spec()
		s.Start, s.End = ptr(t0.Add(time.Duration(hours)*time.Hour)), ptr(t0.Add(time.Duration(hours+1)*time.Hour))
		if mod != nil {
			mod(&s)
		}
		return f.schedule(c, s).Conference
	}
	restricted := mk(gs, 3, nil)
	public := mk(gs, 1, func(s *Spec) { s.Type = TypePublic; s.Attendees = nil })
	registered := mk(gs, 2, func(s *Spec) { s.Type = TypeRegistered; s.Host = &Person{UserID: carol} })
	other := mk(Caller{Site: "999"}, 1, nil)
	mine := mk(Caller{User: dave}, 4, func(s *Spec) { s.Host = nil; s.Attendees = []Person{{UserID: bob}} })
	ended := mk(gs, 1, nil)
	f.clock.advance(time.Hour)
	f.mustJoin(ended, alice+"/pc", "A", "")
	if err := f.m.End(f.ctx, ended.ID, EndGraceful); err != nil {
		t.Fatal(err)
	}
	ids := func(cs []store.Conference) string {
		var out []string
		for _, c := range cs {
			switch c.ID {
			case restricted.ID:
				out = append(out, "restricted")
			case public.ID:
				out = append(out, "public")
			case registered.ID:
				out = append(out, "registered")
			case other.ID:
				out = append(out, "other")
			case mine.ID:
				out = append(out, "mine")
			default:
				out = append(out, "?"+c.ID)
			}
		}
		return strings.Join(out, ",")
	}
	cases := []struct {
		caller Caller
		f      Filter
		want   string
		err    error
	}{
		{gs, Filter{}, "public,registered,restricted", nil},
		{gs, Filter{User: "carol"}, "registered", nil},
		{gs, Filter{User: bob}, "registered,restricted", nil},
		{gs, Filter{User: "nobody"}, "", ErrUnknownUser},
		{gs, Filter{RegisteredUserOnly: ptr(true)}, "registered,restricted", nil},
		{gs, Filter{PubliclyListed: ptr(true)}, "public", nil},
		{gs, Filter{HostInvitedOnly: ptr(false)}, "public,registered", nil},
		{gs, Filter{From: ptr(t0.Add(90 * time.Minute))}, "registered,restricted", nil},
		{gs, Filter{To: ptr(t0.Add(2 * time.Hour))}, "public,registered", nil},
		{gs, Filter{Limit: 1}, "public", nil},
		{Caller{User: bob}, Filter{}, "other,registered,restricted,mine", nil}, // every conference bob is in
		{Caller{User: bob}, Filter{User: "bob"}, "other,registered,restricted,mine", nil},
		{Caller{User: bob}, Filter{User: alice}, "", ErrNotAllowed},
		{Caller{User: dave}, Filter{}, "mine", nil},
	}
	for i, tc := range cases {
		got, err := f.m.Upcoming(f.ctx, tc.caller, tc.f)
		if tc.err != nil {
			wantErr(t, fmt.Sprintf("case %d", i), err, tc.err)
			continue
		}
		if err != nil || ids(got) != tc.want {
			t.Errorf("case %d: %q (%v), want %q", i, ids(got), err, tc.want)
		}
	}
	// The status of each: Not Started before the early-join window,
	// Waiting for Host in it, In progress once the host is in.
	now := f.clock.Now()
	for _, tc := range []struct {
		c            store.Conference
		status, code string
	}{{f.stored(public.ID), StatusWaitingOnHost, DetailWaiting}, {f.stored(registered.ID), StatusNotStarted, ""}} {
		if st, code := Status(tc.c, now, f.m.EarlyJoin()); st != tc.status || code != tc.code {
			t.Errorf("status of %s: %q %q, want %q %q", tc.c.ID, st, code, tc.status, tc.code)
		}
	}
	f.mustJoin(public, alice+"/pc", "Alice", "")
	if st, code := Status(f.stored(public.ID), now, f.m.EarlyJoin()); st != StatusInProgress || code != DetailInProgress {
		t.Errorf("in progress: %q %q", st, code)
	}
}
