package calendar

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/calendar/ics"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// checkReminder checks a delivered reminder's parts.
func checkReminder(t *testing.T, el *xml.Element, to, summary string, bodyParts ...string) *xml.Element {
	t.Helper()
	if el.Name != "message" || el.Attr("type") != "headline" || el.Attr("from") != "calendar.example.com" || el.Attr("to") != to {
		t.Fatalf("not a reminder to %s: %s", to, el)
	}
	if s := el.Child("", "subject"); s == nil || s.Text != "Reminder: "+summary {
		t.Fatalf("subject: %s", el)
	}
	body := el.Child("", "body")
	if body == nil {
		t.Fatalf("no body: %s", el)
	}
	for _, p := range bodyParts {
		if !strings.Contains(body.Text, p) {
			t.Errorf("body %q lacks %q", body.Text, p)
		}
	}
	c := el.Child(NS, "calendar")
	if c == nil || c.Attr("type") != "text/calendar" || !strings.HasPrefix(c.Text, "BEGIN:VCALENDAR\r\n") {
		t.Fatalf("no text/calendar extension: %s", el)
	}
	if _, err := ics.Decode([]byte(c.Text)); err != nil {
		t.Fatalf("the carried text/calendar does not parse: %v", err)
	}
	if el.Child(ns.Hints, "no-store") == nil {
		t.Errorf("no no-store hint: %s", el)
	}
	return c
}

// A due reminder reaches every available resource of an online owner
// with reminders on, and nothing else.
func TestDeliverNow(t *testing.T) {
	f := newFixture(t)
	f.user("alice@example.com", store.RemindersOn)
	phone := f.online("alice@example.com/phone", true, 0)
	desk := f.online("alice@example.com/desk", true, 5)
	quiet := f.online("alice@example.com/bot", true, -1)     // negative priority: no messages
	hidden := f.online("alice@example.com/hidden", false, 0) // no available presence
	out := f.ingest(Notification{Data: event("UID:ev1", "SUMMARY:Design review", "LOCATION:Room 4",
		"URL:https://cal.example.com/e/1", "ORGANIZER:mailto:alice@example.com",
		"DTSTART:20260302T091000Z", "DTEND:20260302T100000Z")})
	if len(out) != 1 || out[0].Owner != "alice@example.com" || out[0].Delivered != 2 || out[0].Discarded != "" || out[0].NextAlarm != "" {
		t.Fatalf("outcome %+v", out)
	}
	for _, s := range []*session{phone, desk} {
		el := s.next(t)
		c := checkReminder(t, el, s.j.String(), "Design review",
			"When: Monday 2 March 2026, 09:10–10:00 UTC", "Where: Room 4", "Link: https://cal.example.com/e/1")
		if c.Attr("uid") != "ev1" || c.Attr("kind") != "event" || c.Attr("start") != "2026-03-02T09:10:00Z" || c.Attr("trigger") != "" {
			t.Fatalf("extension attributes: %s", c)
		}
		if x := el.Child("jabber:x:oob", "x"); x == nil || x.Child("", "url").Text != "https://cal.example.com/e/1" {
			t.Fatalf("no OOB link: %s", el)
		}
	}
	quiet.none(t)
	hidden.none(t)
	if !strings.Contains(f.logs.String(), `msg="reminder delivered" component=calendar-agent owner=alice@example.com uid=ev1`) {
		t.Fatalf("log:\n%s", f.logs)
	}
}

// Reminders off (explicitly, or by the default), offline and
// unavailable owners: discarded, with the reason logged, and not sent
// later either.
func TestDiscards(t *testing.T) {
	f := newFixture(t)
	f.user("off@example.com", store.RemindersOff)
	f.user("never@example.com", "") // default: off
	f.user("away@example.com", store.RemindersOn)
	f.user("hidden@example.com", store.RemindersOn)
	sOff := f.online("off@example.com/r", true, 0)
	sNever := f.online("never@example.com/r", true, 0)
	f.online("hidden@example.com/r", false, 0)
	for owner, want := range map[string]string{
		"off@example.com":    ReasonRemindersOff,
		"never@example.com":  ReasonRemindersOff,
		"away@example.com":   ReasonOffline,
		"hidden@example.com": ReasonUnavailable,
	} {
		out := f.ingest(Notification{Owner: owner, Data: event("UID:d-"+owner, "SUMMARY:x", "DTSTART:20260302T100000Z")})
		if out[0].Discarded != want || out[0].Delivered != 0 {
			t.Errorf("%s: %+v, want discarded %s", owner, out[0], want)
		}
		if !strings.Contains(f.logs.String(), `msg="reminder discarded" component=calendar-agent reason=`+want+` owner=`+owner) {
			t.Errorf("%s: discard not logged:\n%s", owner, f.logs)
		}
	}
	sOff.none(t)
	sNever.none(t)
	// Coming online later brings nothing (no offline storage): the
	// away user binds and a later reminder is the first thing they get.
	away := f.online("away@example.com/r", true, 0)
	f.ingest(Notification{Owner: "away@example.com", Data: event("UID:later", "SUMMARY:Later", "DTSTART:20260302T100000Z")})
	if el := away.next(t); !strings.Contains(el.String(), "uid='later'") {
		t.Fatalf("first delivery after login: %s", el)
	}
	away.none(t)
	// The default can be on.
	g := newFixture(t, func(c *Config) { c.RemindersDefault = true })
	g.user("new@example.com", "")
	s := g.online("new@example.com/r", true, 0)
	g.ingest(Notification{Owner: "new@example.com", Data: event("UID:n", "DTSTART:20260302T100000Z")})
	s.next(t)
}

// The same (UID, RECURRENCE-ID, trigger) is delivered once, however
// often it is published; a changed time is a new reminder. A discard
// does not count as a delivery.
func TestDeliveredOnce(t *testing.T) {
	f := newFixture(t)
	f.user("bob@example.com", store.RemindersOn)
	data := event("UID:dup", "SUMMARY:Standup", "ORGANIZER:mailto:bob@example.com", "DTSTART:20260302T093000Z", alarm("-PT45M"))
	// Offline first: discarded, not marked.
	if out := f.ingest(Notification{Data: data}); out[0].Discarded != ReasonOffline {
		t.Fatalf("%+v", out)
	}
	s := f.online("bob@example.com/r", true, 0)
	for i := range 3 {
		out := f.ingest(Notification{Data: data})
		want := 0
		if i == 0 {
			want = 1
		}
		if out[0].Delivered != want {
			t.Fatalf("publish %d: %+v", i, out[0])
		}
		if i > 0 && out[0].Discarded != ReasonDuplicate {
			t.Fatalf("publish %d: %+v", i, out[0])
		}
	}
	if c := s.next(t).Child(NS, "calendar"); c.Attr("trigger") != "2026-03-02T08:45:00Z" {
		t.Fatalf("trigger %s", c)
	}
	s.none(t)
	// Moved by ten minutes: another trigger, another reminder.
	f.ingest(Notification{Data: event("UID:dup", "SUMMARY:Standup", "ORGANIZER:mailto:bob@example.com", "DTSTART:20260302T094000Z", alarm("-PT45M"))})
	if c := s.next(t).Child(NS, "calendar"); c.Attr("trigger") != "2026-03-02T08:55:00Z" {
		t.Fatalf("trigger %s", c)
	}
}

// Owner: the Calendar-Owner header, then X-CALENDAR-OWNER, then the
// ORGANIZER; a mailto: address is a JID, a vCard e-mail, or mapped.
func TestOwnerResolution(t *testing.T) {
	f := newFixture(t)
	for _, u := range []string{"alice", "bob", "carol", "dave", "erin"} {
		f.user(u+"@example.com", store.RemindersOn)
	}
	ctx := context.Background()
	if err := f.st.PutVCard(ctx, "dave@example.com", []byte(`<vCard xmlns='vcard-temp'><FN>Dave</FN><EMAIL><INTERNET/><USERID>Dave.Smith@Mail.Other</USERID></EMAIL></vCard>`)); err != nil {
		t.Fatal(err)
	}
	base := []string{"UID:o", "DTSTART:20260302T100000Z"}
	for _, tc := range []struct {
		name, header string
		props        []string
		want         string
	}{
		{"header wins", "xmpp:alice@example.com", []string{"X-CALENDAR-OWNER:mailto:bob@example.com", "ORGANIZER:mailto:carol@example.com"}, "alice@example.com"},
		{"property next", "", []string{"X-CALENDAR-OWNER:mailto:bob@example.com", "ORGANIZER:mailto:carol@example.com"}, "bob@example.com"},
		{"organizer last", "", []string{"ORGANIZER;CN=Carol:MAILTO:Carol@Example.com"}, "carol@example.com"},
		{"vCard e-mail", "", []string{"ORGANIZER:mailto:dave.smith@mail.other"}, "dave@example.com"},
		{"mapped address", "", []string{"ORGANIZER:mailto:boss@corp.example"}, "carol@example.com"},
		{"mapped mail domain", "", []string{"ORGANIZER:mailto:erin@mail.example"}, "erin@example.com"},
		{"bare address", "bob@example.com", nil, "bob@example.com"},
	} {
		out := f.ingest(Notification{Owner: tc.header, Data: event(base, tc.props)})
		if out[0].Owner != tc.want {
			t.Errorf("%s: owner %q, want %q (%+v)", tc.name, out[0].Owner, tc.want, out[0])
		}
	}
	for _, tc := range []struct {
		name, header string
		props        []string
	}{
		{"no such user", "", []string{"ORGANIZER:mailto:zed@example.com"}},
		{"foreign domain", "", []string{"ORGANIZER:mailto:alice@elsewhere.example"}},
		{"mapped to nobody", "", []string{"ORGANIZER:mailto:frank@mail.example"}},
		{"no owner at all", "", nil},
	} {
		out := f.ingest(Notification{Owner: tc.header, Data: event(base, tc.props)})
		if out[0].Owner != "" || out[0].Discarded != ReasonUnknownOwner {
			t.Errorf("%s: %+v", tc.name, out[0])
		}
	}
	if !strings.Contains(f.logs.String(), `reason=unknown_owner uid=o owner=mailto:zed@example.com`) {
		t.Errorf("unknown owner not logged:\n%s", f.logs)
	}
}

// The vCard index is rebuilt on a miss once it is a minute old.
func TestVCardIndexRefresh(t *testing.T) {
	f := newFixture(t)
	f.user("dave@example.com", store.RemindersOn)
	n := Notification{Data: event("UID:v", "DTSTART:20260302T100000Z", "ORGANIZER:mailto:d@mail.other")}
	if out := f.ingest(n); out[0].Discarded != ReasonUnknownOwner {
		t.Fatalf("%+v", out[0])
	}
	f.st.PutVCard(context.Background(), "dave@example.com", []byte(`<vCard xmlns='vcard-temp'><EMAIL>d@mail.other</EMAIL></vCard>`))
	if out := f.ingest(n); out[0].Discarded != ReasonUnknownOwner {
		t.Fatalf("index rebuilt at once: %+v", out[0])
	}
	f.clock.Advance(vcardIndexAge)
	if out := f.ingest(n); out[0].Owner != "dave@example.com" {
		t.Fatalf("after a minute: %+v", out[0])
	}
}

// A future alarm is stored and fires when due; repeats fire again; the
// item is then done.
func TestScheduledAlarms(t *testing.T) {
	f := newFixture(t)
	f.user("alice@example.com", store.RemindersOn)
	s := f.online("alice@example.com/r", true, 0)
	out := f.ingest(Notification{Owner: "alice@example.com", Data: event("UID:fut", "SUMMARY:Later", "DTSTART:20260302T100000Z",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT30M", "REPEAT:1", "DURATION:PT10M", "END:VALARM")})
	if out[0].Delivered != 0 || out[0].Discarded != "" || out[0].NextAlarm != "2026-03-02T09:30:00Z" {
		t.Fatalf("%+v", out[0])
	}
	f.clock.Advance(29 * time.Minute)
	alarms, _ := f.st.Alarms(context.Background(), "alice@example.com")
	if len(alarms) != 1 || !alarms[0].Due.Equal(t0.Add(30*time.Minute)) {
		t.Fatalf("stored alarms %+v", alarms)
	}
	f.clock.Advance(time.Minute)
	if c := s.next(t).Child(NS, "calendar"); c.Attr("trigger") != "2026-03-02T09:30:00Z" {
		t.Fatalf("first: %s", c)
	}
	f.clock.Advance(10 * time.Minute)
	if c := s.next(t).Child(NS, "calendar"); c.Attr("trigger") != "2026-03-02T09:40:00Z" {
		t.Fatalf("repeat: %s", c)
	}
	waitFor(t, "the finished alarm to go", func() bool {
		alarms, _ := f.st.Alarms(context.Background(), "")
		return len(alarms) == 0
	})
}

// Alarms survive a restart: a new agent on the same store fires them.
func TestAlarmsSurviveRestart(t *testing.T) {
	f := newFixture(t)
	f.user("alice@example.com", store.RemindersOn)
	s := f.online("alice@example.com/r", true, 0)
	f.ingest(Notification{Owner: "alice@example.com", Data: event("UID:r", "SUMMARY:Across", "DTSTART:20260302T100000Z", alarm("-PT5M"))})
	if err := f.agent.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(55 * time.Minute) // due while stopped, 0 minutes late
	f.agent = f.newAgent()
	checkReminder(t, s.next(t), "alice@example.com/r", "Across")
	// An alarm that became due more than max_delay ago is discarded as late.
	f.ingest(Notification{Owner: "alice@example.com", Data: event("UID:late", "SUMMARY:Late", "DTSTART:20260302T120000Z", alarm("-PT5M"))})
	f.agent.Stop(context.Background())
	f.clock.Advance(4 * time.Hour)
	f.agent = f.newAgent()
	waitFor(t, "the late alarm to be discarded", func() bool {
		return strings.Contains(f.logs.String(), `reason=late owner=alice@example.com uid=late`)
	})
	s.none(t)
}

// A recurring event: each occurrence's alarm fires in turn; a cancelled
// notification removes what was scheduled.
func TestRecurringAndCancel(t *testing.T) {
	f := newFixture(t)
	f.user("alice@example.com", store.RemindersOn)
	s := f.online("alice@example.com/r", true, 0)
	f.ingest(Notification{Owner: "alice@example.com", Data: event("UID:daily", "SUMMARY:Daily", "DTSTART:20260302T100000Z",
		"RRULE:FREQ=DAILY;COUNT=3", "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT15M", "END:VALARM")})
	for day := range 2 {
		target := time.Date(2026, 3, 2+day, 9, 45, 0, 0, time.UTC)
		f.clock.Advance(target.Sub(f.clock.Now()))
		c := s.next(t).Child(NS, "calendar")
		if c.Attr("recurrence-id") != target.Add(15*time.Minute).Format("20060102T150405Z") {
			t.Fatalf("day %d: %s", day, c)
		}
	}
	waitFor(t, "the third occurrence to be scheduled", func() bool {
		as, _ := f.st.Alarms(context.Background(), "alice@example.com")
		return len(as) == 1 && as[0].Due.Equal(time.Date(2026, 3, 4, 9, 45, 0, 0, time.UTC))
	})
	out := f.ingest(Notification{Owner: "alice@example.com", Data: event("UID:daily", "STATUS:CANCELLED", "DTSTART:20260302T100000Z", "RRULE:FREQ=DAILY;COUNT=3")})
	if out[0].Discarded != ReasonCancelled {
		t.Fatalf("%+v", out[0])
	}
	if as, _ := f.st.Alarms(context.Background(), ""); len(as) != 0 {
		t.Fatalf("still scheduled: %+v", as)
	}
}

// Two agents on one store (a pool): each alarm fires once.
func TestPoolFiresOnce(t *testing.T) {
	f := newFixture(t)
	other := f.newAgent()
	f.user("alice@example.com", store.RemindersOn)
	s := f.online("alice@example.com/r", true, 0)
	for i, a := range []*Agent{f.agent, other} {
		if _, err := a.Ingest(context.Background(), Notification{Source: SourceNATS, Owner: "alice@example.com",
			Data: event("UID:pool", "SUMMARY:Pool", "DTSTART:20260302T100000Z", alarm("-PT5M"))}); err != nil {
			t.Fatal(i, err)
		}
	}
	f.clock.Advance(55 * time.Minute)
	s.next(t)
	waitFor(t, "the alarm to be finished", func() bool {
		as, _ := f.st.Alarms(context.Background(), "")
		return len(as) == 0
	})
	s.none(t)
}

func TestStopped(t *testing.T) {
	f := newFixture(t)
	f.agent.Stop(context.Background())
	if _, err := f.agent.Ingest(context.Background(), Notification{Data: event("UID:x", "DTSTART:20260302T100000Z")}); !errors.Is(err, ErrStopped) {
		t.Fatalf("Ingest while stopped: %v", err)
	}
	if err := f.agent.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := f.agent.Start(context.Background()); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Start: %v", err)
	}
	st, err := f.agent.Status(context.Background())
	if err != nil || !st.Running || !strings.Contains(st.String(), "calendar agent: running since") {
		t.Fatalf("status %+v %v", st, err)
	}
}

func TestInvalidAndTooLarge(t *testing.T) {
	f := newFixture(t)
	if _, err := f.agent.Ingest(context.Background(), Notification{Source: SourceNATS, Data: []byte("hello")}); !errors.Is(err, ics.ErrFormat) {
		t.Fatalf("%v", err)
	}
	if _, err := f.agent.Ingest(context.Background(), Notification{Source: SourceNATS, Data: make([]byte, 65<<10)}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("%v", err)
	}
	st, _ := f.agent.Status(context.Background())
	if st.Received[SourceNATS] != 2 || st.Discarded[ReasonInvalid] != 1 || st.Discarded[ReasonTooLarge] != 1 {
		t.Fatalf("%+v", st)
	}
}

// Times are shown in the owner's zone: their setting, else their
// vCard's TZ, else the server's; all-day events read in it too.
func TestUserTimeZone(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.user("a@example.com", "")
	f.st.SetCalendarPrefs(ctx, "a@example.com", store.CalendarPrefs{Reminders: store.RemindersOn, TimeZone: "Europe/Berlin"})
	f.user("b@example.com", store.RemindersOn)
	f.st.PutVCard(ctx, "b@example.com", []byte(`<vCard xmlns='vcard-temp'><TZ>-05:00</TZ></vCard>`))
	f.user("c@example.com", store.RemindersOn)
	for owner, want := range map[string]string{
		"a@example.com": "When: Monday 2 March 2026, 15:00–16:00 CET",
		"b@example.com": "When: Monday 2 March 2026, 09:00–10:00 UTC-05:00",
		"c@example.com": "When: Monday 2 March 2026, 14:00–15:00 UTC",
	} {
		s := f.online(owner+"/r", true, 0)
		f.ingest(Notification{Owner: owner, Data: event("UID:z", "SUMMARY:Zones", "DTSTART:20260302T140000Z", "DURATION:PT1H")})
		if b := s.next(t).Child("", "body").Text; !strings.Contains(b, want) {
			t.Errorf("%s: %q lacks %q", owner, b, want)
		}
	}
	s := f.online("a@example.com/r2", true, 0)
	f.ingest(Notification{Owner: "a@example.com", Data: event("UID:ad", "SUMMARY:Holiday", "DTSTART;VALUE=DATE:20260302", "DTEND;VALUE=DATE:20260304")})
	f.online("a@example.com/r", true, 0) // already bound: replaced session is the same
	if b := s.next(t).Child("", "body").Text; !strings.Contains(b, "When: Monday 2 March 2026 – Tuesday 3 March 2026 (all day)") {
		t.Errorf("all day: %q", b)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
