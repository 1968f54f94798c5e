package ics

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// cal wraps component lines into a VCALENDAR with CRLF line ends.
func cal(lines ...string) []byte {
	all := append([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//EN"}, lines...)
	all = append(all, "END:VCALENDAR")
	return []byte(strings.Join(all, "\r\n") + "\r\n")
}

func one(t *testing.T, data []byte) *Item {
	t.Helper()
	items, err := Parse("", data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(items) != 1 {
		t.Fatalf("%d items", len(items))
	}
	return items[0]
}

func sched(t *testing.T, it *Item, loc *time.Location) *Schedule {
	t.Helper()
	s, err := it.Schedule(loc)
	if err != nil {
		t.Fatalf("Schedule: %v", err)
	}
	return s
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// nexts lists the trigger times after from, following Next up to n times.
func nexts(s *Schedule, from time.Time, n int) []string {
	var out []string
	for range n {
		ts := s.Next(from)
		if len(ts) == 0 {
			break
		}
		for _, t := range ts {
			out = append(out, t.At.UTC().Format(time.RFC3339)+" "+t.RecurrenceID)
		}
		from = ts[0].At
	}
	return out
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func TestParseEventFields(t *testing.T) {
	it := one(t, cal(
		"BEGIN:VEVENT",
		"UID:ev-1@example.com",
		"DTSTAMP:20260301T000000Z",
		"SUMMARY:Design review\\, round 2",
		"LOCATION:Room 4",
		"DESCRIPTION:Bring\\nmock-ups",
		"URL:https://cal.example.com/e/1",
		"ORGANIZER;CN=Alice:mailto:alice@example.com",
		"X-CALENDAR-OWNER:mailto:bob@example.com",
		"DTSTART:20260303T130000Z",
		"DTEND:20260303T140000Z",
		"END:VEVENT"))
	if it.Kind != Event || it.UID != "ev-1@example.com" || it.RecurrenceID != "" || it.Summary != "Design review, round 2" ||
		it.Location != "Room 4" || it.Description != "Bring\nmock-ups" || it.URL != "https://cal.example.com/e/1" ||
		it.Organizer != "mailto:alice@example.com" || it.Owner != "mailto:bob@example.com" {
		t.Fatalf("%+v", it)
	}
	if it.Cancelled() != "" {
		t.Fatal("cancelled?")
	}
	s := sched(t, it, time.UTC)
	if s.HasAlarms() {
		t.Fatal("alarms without VALARM")
	}
	// Without an alarm the reminder is due at once, at the start.
	got := s.Latest(utc("2026-03-01T00:00:00Z"))
	if len(got) != 1 || got[0].Alarm || !got[0].At.Equal(utc("2026-03-03T13:00:00Z")) || !got[0].End.Equal(utc("2026-03-03T14:00:00Z")) {
		t.Fatalf("Latest = %+v", got)
	}
	if n := s.Next(utc("2026-03-01T00:00:00Z")); len(n) != 0 {
		t.Fatalf("Next without alarms = %+v", n)
	}
}

func TestRelativeTriggers(t *testing.T) {
	it := one(t, cal(
		"BEGIN:VEVENT", "UID:r", "DTSTART:20260303T130000Z", "DURATION:PT1H",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT15M", "END:VALARM",
		"BEGIN:VALARM", "ACTION:AUDIO", "TRIGGER;RELATED=END:PT5M", "END:VALARM",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER;RELATED=START:PT0S", "END:VALARM",
		"END:VEVENT"))
	s := sched(t, it, time.UTC)
	equal(t, "triggers", nexts(s, utc("2026-03-01T00:00:00Z"), 10), []string{
		"2026-03-03T12:45:00Z ", "2026-03-03T13:00:00Z ", "2026-03-03T14:05:00Z "})
	// Between two triggers: the past one is due now, the next waits.
	now := utc("2026-03-03T12:50:00Z")
	if l := s.Latest(now); len(l) != 1 || !l[0].At.Equal(utc("2026-03-03T12:45:00Z")) || !l[0].Alarm {
		t.Fatalf("Latest = %+v", l)
	}
	if n := s.Next(now); len(n) != 1 || !n[0].At.Equal(utc("2026-03-03T13:00:00Z")) {
		t.Fatalf("Next = %+v", n)
	}
	// Long after: a non-recurring item's last trigger is still due.
	if l := s.Latest(utc("2027-01-01T00:00:00Z")); len(l) != 1 || !l[0].At.Equal(utc("2026-03-03T14:05:00Z")) {
		t.Fatalf("Latest long after = %+v", l)
	}
	if l := s.Latest(utc("2026-03-03T12:00:00Z")); len(l) != 0 {
		t.Fatalf("Latest before any trigger = %+v", l)
	}
}

func TestAbsoluteAndRepeat(t *testing.T) {
	it := one(t, cal(
		"BEGIN:VEVENT", "UID:a", "DTSTART:20260303T130000Z",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER;VALUE=DATE-TIME:20260303T080000Z",
		"REPEAT:3", "DURATION:PT10M", "END:VALARM",
		"END:VEVENT"))
	s := sched(t, it, time.UTC)
	equal(t, "absolute with repeats", nexts(s, utc("2026-03-01T00:00:00Z"), 10), []string{
		"2026-03-03T08:00:00Z ", "2026-03-03T08:10:00Z ", "2026-03-03T08:20:00Z ", "2026-03-03T08:30:00Z "})
	if l := s.Latest(utc("2026-03-03T08:15:00Z")); len(l) != 1 || !l[0].At.Equal(utc("2026-03-03T08:10:00Z")) {
		t.Fatalf("Latest mid-repeat = %+v", l)
	}
	// REPEAT without DURATION is ignored (RFC 5545: both or neither).
	it = one(t, cal("BEGIN:VEVENT", "UID:b", "DTSTART:20260303T130000Z",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT5M", "REPEAT:3", "END:VALARM", "END:VEVENT"))
	equal(t, "repeat without duration", nexts(sched(t, it, time.UTC), utc("2026-03-01T00:00:00Z"), 10), []string{"2026-03-03T12:55:00Z "})
}

// A TZID with its VTIMEZONE; Go's zone of the same name is used.
func TestTimeZoneTZID(t *testing.T) {
	it := one(t, cal(
		"BEGIN:VTIMEZONE", "TZID:Europe/Berlin",
		"BEGIN:STANDARD", "DTSTART:19701025T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
		"BEGIN:DAYLIGHT", "DTSTART:19700329T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
		"END:VTIMEZONE",
		"BEGIN:VEVENT", "UID:tz", "DTSTART;TZID=Europe/Berlin:20260303T140000", "DTEND;TZID=Europe/Berlin:20260303T150000",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT30M", "END:VALARM", "END:VEVENT"))
	// The user's zone does not matter for a zoned time.
	for _, loc := range []*time.Location{time.UTC, mustLoc("America/New_York")} {
		n := sched(t, it, loc).Next(utc("2026-03-01T00:00:00Z"))
		if len(n) != 1 || !n[0].At.Equal(utc("2026-03-03T12:30:00Z")) || !n[0].Start.Equal(utc("2026-03-03T13:00:00Z")) {
			t.Fatalf("in %v: %+v", loc, n)
		}
	}
}

// VTIMEZONEs whose TZID Go does not know: a Windows name (mapped), and
// a made-up name whose rules are evaluated from the VTIMEZONE itself,
// with the same result as Go's zone on both sides of each change.
func TestTimeZoneVTIMEZONERules(t *testing.T) {
	vtz := func(id string) []string {
		return []string{"BEGIN:VTIMEZONE", "TZID:" + id,
			"BEGIN:STANDARD", "DTSTART:16010101T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", "END:STANDARD",
			"BEGIN:DAYLIGHT", "DTSTART:16010101T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", "END:DAYLIGHT",
			"END:VTIMEZONE"}
	}
	berlin := mustLoc("Europe/Berlin")
	for _, id := range []string{"W. Europe Standard Time", "Custom Berlin-like Zone"} {
		for _, wall := range []string{"20260328T120000", "20260329T120000", "20260330T090000", "20261024T230000", "20261025T120000", "20260115T083000", "20260715T083000"} {
			lines := append(vtz(id), "BEGIN:VEVENT", "UID:w", "DTSTART;TZID="+id+":"+wall, "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:PT0S", "END:VALARM", "END:VEVENT")
			n := sched(t, one(t, cal(lines...)), time.UTC).Next(time.Time{})
			w, _ := time.ParseInLocation("20060102T150405", wall, berlin)
			if len(n) != 1 || !n[0].At.Equal(w) {
				t.Errorf("%s %s: got %+v, want %v", id, wall, n, w.UTC())
			}
		}
	}
}

// An unknown TZID without a VTIMEZONE reads as floating (the user's zone).
func TestUnknownTZIDIsFloating(t *testing.T) {
	it := one(t, cal("BEGIN:VEVENT", "UID:u", "DTSTART;TZID=Nowhere/Special:20260303T140000", "END:VEVENT"))
	l := sched(t, it, mustLoc("Asia/Tokyo")).Latest(utc("2026-01-01T00:00:00Z"))
	if len(l) != 1 || !l[0].At.Equal(utc("2026-03-03T05:00:00Z")) {
		t.Fatalf("%+v", l)
	}
}

// Floating times and all-day dates are read in the user's zone.
func TestFloatingAndAllDay(t *testing.T) {
	allDay := one(t, cal("BEGIN:VEVENT", "UID:d", "DTSTART;VALUE=DATE:20260303",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT15M", "END:VALARM", "END:VEVENT"))
	ny := mustLoc("America/New_York")
	n := sched(t, allDay, ny).Next(time.Time{})
	// 15 minutes before midnight on 3 March in New York (EST, -05:00).
	if len(n) != 1 || !n[0].At.Equal(utc("2026-03-03T04:45:00Z")) || !n[0].AllDay {
		t.Fatalf("all day in New York: %+v", n)
	}
	if !n[0].Start.Equal(utc("2026-03-03T05:00:00Z")) || !n[0].End.Equal(utc("2026-03-04T05:00:00Z")) {
		t.Fatalf("all-day span: %v - %v", n[0].Start, n[0].End)
	}
	n = sched(t, allDay, mustLoc("Asia/Tokyo")).Next(time.Time{})
	if len(n) != 1 || !n[0].At.Equal(utc("2026-03-02T14:45:00Z")) {
		t.Fatalf("all day in Tokyo: %+v", n)
	}
	// A nominal day keeps the wall-clock time across a daylight-saving
	// change (8 March 2026 in New York): -P1D from 09:00 on 8 March
	// (EDT) is 09:00 on 7 March (EST), 25 hours before; -PT24H is exact.
	floating := one(t, cal("BEGIN:VEVENT", "UID:f", "DTSTART:20260308T090000",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-P1D", "END:VALARM",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT24H", "END:VALARM", "END:VEVENT"))
	s := sched(t, floating, ny)
	equal(t, "exact and nominal day", nexts(s, time.Time{}, 5), []string{"2026-03-07T13:00:00Z ", "2026-03-07T14:00:00Z "})
	n = s.Next(time.Time{})
	if len(n) != 1 || !n[0].Start.Equal(utc("2026-03-08T13:00:00Z")) {
		t.Fatalf("floating -P1D across DST: %+v", n)
	}
}

// Weekly at 09:00 in Berlin across the March change, with an EXDATE,
// an RDATE, and an instance moved to another time; UNTIL in UTC.
func TestRecurrence(t *testing.T) {
	it := one(t, cal(
		"BEGIN:VEVENT", "UID:weekly", "DTSTART;TZID=Europe/Berlin:20260316T090000", "DURATION:PT30M",
		"RRULE:FREQ=WEEKLY;UNTIL=20260413T070000Z",
		"EXDATE;TZID=Europe/Berlin:20260323T090000",
		"RDATE:20260325T120000Z,20260401T120000Z",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT10M", "END:VALARM",
		"END:VEVENT",
		"BEGIN:VEVENT", "UID:weekly", "RECURRENCE-ID;TZID=Europe/Berlin:20260406T090000",
		"DTSTART;TZID=Europe/Berlin:20260406T150000", "DURATION:PT30M", "SUMMARY:moved",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT5M", "END:VALARM",
		"END:VEVENT"))
	if it.RecurrenceID != "" || it.master == nil || len(it.instances) != 1 {
		t.Fatalf("grouping: %+v", it)
	}
	s := sched(t, it, time.UTC)
	equal(t, "occurrences", nexts(s, utc("2026-03-01T00:00:00Z"), 20), []string{
		"2026-03-16T07:50:00Z 20260316T080000Z", // CET
		// 23 March excluded
		"2026-03-25T11:50:00Z 20260325T120000Z", // RDATE
		"2026-03-30T06:50:00Z 20260330T070000Z", // CEST: still 09:00 local
		"2026-04-01T11:50:00Z 20260401T120000Z", // RDATE
		"2026-04-06T12:55:00Z 20260406T070000Z", // the moved instance, keyed by its original start
		"2026-04-13T06:50:00Z 20260413T070000Z", // UNTIL is inclusive
	})
	// Latest ignores occurrences that are over.
	l := s.Latest(utc("2026-03-30T06:55:00Z"))
	if len(l) != 1 || l[0].RecurrenceID != "20260330T070000Z" {
		t.Fatalf("Latest during the 30 March one: %+v", l)
	}
	if l := s.Latest(utc("2026-03-31T00:00:00Z")); len(l) != 0 {
		t.Fatalf("Latest between occurrences (all past ones over): %+v", l)
	}
}

// go-ical's RecurrenceSet reads EXDATE where RDATE is meant; ours does
// not: the RDATE here adds an occurrence, the EXDATE removes one.
func TestRDateIsNotEXDate(t *testing.T) {
	it := one(t, cal("BEGIN:VEVENT", "UID:x", "DTSTART:20260302T100000Z", "RRULE:FREQ=DAILY;COUNT=3",
		"EXDATE:20260303T100000Z", "RDATE:20260310T100000Z",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:PT0S", "END:VALARM", "END:VEVENT"))
	equal(t, "occurrences", nexts(sched(t, it, time.UTC), time.Time{}, 10), []string{
		"2026-03-02T10:00:00Z 20260302T100000Z", "2026-03-04T10:00:00Z 20260304T100000Z", "2026-03-10T10:00:00Z 20260310T100000Z"})
}

// A daily event that started years ago: Next finds the upcoming
// occurrence without walking forever.
func TestLongRunningSeries(t *testing.T) {
	it := one(t, cal("BEGIN:VEVENT", "UID:old", "DTSTART:19950101T080000Z", "RRULE:FREQ=DAILY",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT1H", "END:VALARM", "END:VEVENT"))
	n := sched(t, it, time.UTC).Next(utc("2026-03-02T12:00:00Z"))
	if len(n) != 1 || !n[0].At.Equal(utc("2026-03-03T07:00:00Z")) {
		t.Fatalf("%+v", n)
	}
	// Too frequent to be a calendar: refused.
	_, err := one(t, cal("BEGIN:VEVENT", "UID:s", "DTSTART:20260101T000000Z", "RRULE:FREQ=SECONDLY", "END:VEVENT")).Schedule(time.UTC)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("SECONDLY: %v", err)
	}
}

func TestTasks(t *testing.T) {
	// Due only: both RELATED=START and END read the due date.
	it := one(t, cal("BEGIN:VTODO", "UID:t1", "SUMMARY:Report", "DUE:20260304T170000Z",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER;RELATED=END:-PT1H", "END:VALARM",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT2H", "END:VALARM", "END:VTODO"))
	if it.Kind != Task {
		t.Fatal(it.Kind)
	}
	s := sched(t, it, time.UTC)
	equal(t, "task triggers", nexts(s, time.Time{}, 5), []string{"2026-03-04T15:00:00Z ", "2026-03-04T16:00:00Z "})
	n := s.Next(time.Time{})
	if !n[0].Start.IsZero() || !n[0].End.Equal(utc("2026-03-04T17:00:00Z")) {
		t.Fatalf("task occurrence %+v", n[0].Occurrence)
	}
	// Start and due: RELATED=END reads the due date.
	it = one(t, cal("BEGIN:VTODO", "UID:t2", "DTSTART:20260304T090000Z", "DUE:20260304T170000Z",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER;RELATED=END:-PT30M", "END:VALARM", "END:VTODO"))
	equal(t, "start and due", nexts(sched(t, it, time.UTC), time.Time{}, 5), []string{"2026-03-04T16:30:00Z "})
	// No dates, a relative alarm: nothing to relate it to, so the task
	// is due at once like one without alarms.
	it = one(t, cal("BEGIN:VTODO", "UID:t3", "SUMMARY:Someday",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT30M", "END:VALARM", "END:VTODO"))
	s = sched(t, it, time.UTC)
	if s.HasAlarms() {
		t.Fatal("a relative alarm without dates counts")
	}
	if l := s.Latest(utc("2026-03-04T00:00:00Z")); len(l) != 1 || !l[0].At.IsZero() || l[0].Alarm {
		t.Fatalf("dateless task: %+v", l)
	}
	// Completed and cancelled items need no reminder.
	for _, tc := range []struct {
		lines []string
		want  string
	}{
		{[]string{"BEGIN:VTODO", "UID:c1", "STATUS:COMPLETED", "END:VTODO"}, "completed"},
		{[]string{"BEGIN:VTODO", "UID:c2", "COMPLETED:20260301T000000Z", "END:VTODO"}, "completed"},
		{[]string{"BEGIN:VEVENT", "UID:c3", "DTSTART:20260301T000000Z", "STATUS:CANCELLED", "END:VEVENT"}, "cancelled"},
		{[]string{"METHOD:CANCEL", "BEGIN:VEVENT", "UID:c4", "DTSTART:20260301T000000Z", "END:VEVENT"}, "cancelled"},
	} {
		if got := one(t, cal(tc.lines...)).Cancelled(); got != tc.want {
			t.Errorf("%v: Cancelled = %q, want %q", tc.lines, got, tc.want)
		}
	}
}

func TestAlarmActionNoneAndAcknowledged(t *testing.T) {
	it := one(t, cal("BEGIN:VEVENT", "UID:n", "DTSTART:20260303T130000Z",
		"BEGIN:VALARM", "ACTION:NONE", "TRIGGER:-PT15M", "END:VALARM",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT10M", "REPEAT:2", "DURATION:PT5M", "ACKNOWLEDGED:20260303T125000Z", "END:VALARM",
		"END:VEVENT"))
	equal(t, "triggers", nexts(sched(t, it, time.UTC), time.Time{}, 5), []string{"2026-03-03T12:55:00Z ", "2026-03-03T13:00:00Z "})
}

// Several items in one calendar; instances without their master are
// items of their own.
func TestGrouping(t *testing.T) {
	items, err := ParseICalendar(cal(
		"BEGIN:VEVENT", "UID:a", "DTSTART:20260303T130000Z", "END:VEVENT",
		"BEGIN:VTODO", "UID:a", "DUE:20260303T130000Z", "END:VTODO",
		"BEGIN:VEVENT", "UID:b", "RECURRENCE-ID:20260303T130000Z", "DTSTART:20260303T150000Z", "END:VEVENT",
		"BEGIN:VEVENT", "UID:b", "RECURRENCE-ID:20260310T130000Z", "DTSTART:20260310T150000Z", "END:VEVENT"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, string(it.Kind)+" "+it.UID+" "+it.RecurrenceID)
	}
	equal(t, "items", got, []string{"event a ", "task a ", "event b 20260303T130000Z", "event b 20260310T130000Z"})
	l := sched(t, items[2], time.UTC).Latest(utc("2026-03-01T00:00:00Z"))
	if len(l) != 1 || l[0].RecurrenceID != "20260303T130000Z" || !l[0].Start.Equal(utc("2026-03-03T15:00:00Z")) {
		t.Fatalf("instance: %+v", l)
	}
}

func TestNoUIDIsDigest(t *testing.T) {
	a := one(t, cal("BEGIN:VEVENT", "DTSTART:20260303T130000Z", "SUMMARY:x", "END:VEVENT"))
	b := one(t, cal("BEGIN:VEVENT", "SUMMARY:x", "DTSTART:20260303T130000Z", "END:VEVENT"))
	c := one(t, cal("BEGIN:VEVENT", "DTSTART:20260303T130000Z", "SUMMARY:y", "END:VEVENT"))
	if !strings.HasPrefix(a.UID, "sha256:") || a.UID != b.UID || a.UID == c.UID {
		t.Fatalf("digests %q %q %q", a.UID, b.UID, c.UID)
	}
}

// As a shell passes a file ("$(cat event.ics)"): no line end after
// END:VCALENDAR; or with a byte order mark; or LF line ends.
func TestLineEnds(t *testing.T) {
	base := string(cal("BEGIN:VEVENT", "UID:le", "DTSTART:20260303T130000Z", "END:VEVENT"))
	for name, data := range map[string]string{
		"no final line end": strings.TrimSuffix(base, "\r\n"),
		"final CR only":     strings.TrimSuffix(base, "\n"),
		"BOM":               "\xef\xbb\xbf" + base,
		"LF":                strings.ReplaceAll(base, "\r\n", "\n"),
		"trailing blanks":   base + "\r\n\r\n  ",
	} {
		items, err := Parse("text/calendar", []byte(data))
		if err != nil || len(items) != 1 || items[0].UID != "le" {
			t.Errorf("%s: %v %v", name, items, err)
		}
	}
}

func TestDetect(t *testing.T) {
	ics := cal("BEGIN:VEVENT", "UID:x", "END:VEVENT")
	for _, tc := range []struct {
		ct   string
		data string
		want Format
	}{
		{"text/calendar; charset=utf-8", "anything", ICalendar},
		{"TEXT/CALENDAR", "", ICalendar},
		{"text/xml", "", XML},
		{"application/xml", "", XML},
		{"application/vnd.example+xml", "", XML},
		{"application/calendar+xml", "<x/>", Unknown},
		{"", string(ics), ICalendar},
		{"", "\xef\xbb\xbf\r\n  begin:vcalendar\r\n", ICalendar},
		{"", "  <?xml version='1.0'?><event/>", XML},
		{"application/octet-stream", string(ics), ICalendar},
		{"", "hello", Unknown},
		{"", "", Unknown},
	} {
		if got := Detect(tc.ct, []byte(tc.data)); got != tc.want {
			t.Errorf("Detect(%q, %.20q) = %v, want %v", tc.ct, tc.data, got, tc.want)
		}
	}
	if _, err := Parse("", []byte("hello")); !errors.Is(err, ErrFormat) {
		t.Fatalf("Parse(unknown) = %v", err)
	}
}

func TestInvalid(t *testing.T) {
	for name, data := range map[string][]byte{
		"no items":         cal("BEGIN:VJOURNAL", "UID:j", "END:VJOURNAL"),
		"unterminated":     []byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n"),
		"mismatched end":   []byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"),
		"bad date":         cal("BEGIN:VEVENT", "UID:x", "DTSTART:2026-03-03", "END:VEVENT"),
		"bad trigger":      cal("BEGIN:VEVENT", "UID:x", "DTSTART:20260303T130000Z", "BEGIN:VALARM", "TRIGGER:soon", "END:VALARM", "END:VEVENT"),
		"no trigger":       cal("BEGIN:VEVENT", "UID:x", "DTSTART:20260303T130000Z", "BEGIN:VALARM", "ACTION:DISPLAY", "END:VALARM", "END:VEVENT"),
		"bad rrule":        cal("BEGIN:VEVENT", "UID:x", "DTSTART:20260303T130000Z", "RRULE:FREQ=SOMETIMES", "END:VEVENT"),
		"two masters":      cal("BEGIN:VEVENT", "UID:x", "DTSTART:20260303T130000Z", "END:VEVENT", "BEGIN:VEVENT", "UID:x", "DTSTART:20260304T130000Z", "END:VEVENT"),
		"not utf-8":        cal("BEGIN:VEVENT", "UID:\xff", "END:VEVENT"),
		"too deep":         []byte(strings.Repeat("BEGIN:VCALENDAR\r\n", 20)),
		"bad repeat":       cal("BEGIN:VEVENT", "UID:x", "DTSTART:20260303T130000Z", "BEGIN:VALARM", "TRIGGER:-PT1M", "REPEAT:-1", "DURATION:PT1M", "END:VALARM", "END:VEVENT"),
		"duration too big": cal("BEGIN:VEVENT", "UID:x", "DTSTART:20260303T130000Z", "BEGIN:VALARM", "TRIGGER:-P99999999D", "END:VALARM", "END:VEVENT"),
	} {
		items, err := ParseICalendar(data)
		if err == nil {
			_, err = items[0].Schedule(time.UTC)
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	long := strings.Repeat("Ünïcödé ", 30)
	in := one(t, cal(
		"BEGIN:VTIMEZONE", "TZID:Custom", "BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0300", "TZOFFSETTO:+0300", "END:STANDARD", "END:VTIMEZONE",
		"BEGIN:VTIMEZONE", "TZID:Unused", "BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0100", "END:STANDARD", "END:VTIMEZONE",
		"BEGIN:VEVENT", "UID:rt", "SUMMARY:"+long, "ORGANIZER;CN=\"Doe, Jane\":mailto:jane@example.com",
		"DTSTART;TZID=Custom:20260303T140000", "RRULE:FREQ=DAILY;COUNT=2",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT15M", "END:VALARM", "END:VEVENT"))
	enc := in.Encode()
	for i, line := range strings.Split(strings.TrimSuffix(string(enc), "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Fatalf("line %d is %d octets: %q", i, len(line), line)
		}
	}
	if strings.Contains(string(enc), "Unused") {
		t.Fatal("an unused VTIMEZONE was written")
	}
	out, err := Decode(enc)
	if err != nil {
		t.Fatalf("Decode: %v\n%s", err, enc)
	}
	if out.Summary != in.Summary || out.UID != "rt" || out.Organizer != in.Organizer {
		t.Fatalf("round trip: %+v", out)
	}
	a := nexts(sched(t, in, time.UTC), time.Time{}, 5)
	b := nexts(sched(t, out, time.UTC), time.Time{}, 5)
	equal(t, "same triggers", b, a)
	if a[0] != "2026-03-03T10:45:00Z 20260303T110000Z" {
		t.Fatalf("custom zone: %v", a)
	}
	if !bytesEqual(out.Encode(), enc) {
		t.Fatal("encoding is not stable")
	}
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }
