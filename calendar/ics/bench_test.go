package ics

import (
	"testing"
	"time"
)

// BenchmarkEvaluate is the work of one notification: parse a weekly
// event in a zone with a VTIMEZONE, evaluate its alarms now and next.
func BenchmarkEvaluate(b *testing.B) {
	data := cal(
		"BEGIN:VTIMEZONE", "TZID:W. Europe Standard Time",
		"BEGIN:STANDARD", "DTSTART:16010101T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", "END:STANDARD",
		"BEGIN:DAYLIGHT", "DTSTART:16010101T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", "END:DAYLIGHT",
		"END:VTIMEZONE",
		"BEGIN:VEVENT", "UID:weekly", "DTSTART;TZID=W. Europe Standard Time:20240108T090000", "DURATION:PT30M",
		"RRULE:FREQ=WEEKLY;BYDAY=MO", "SUMMARY:Team meeting",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT15M", "END:VALARM", "END:VEVENT")
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	for b.Loop() {
		items, err := Parse("text/calendar", data)
		if err != nil {
			b.Fatal(err)
		}
		s, err := items[0].Schedule(time.UTC)
		if err != nil {
			b.Fatal(err)
		}
		s.Latest(now)
		if len(s.Next(now)) != 1 {
			b.Fatal("no next")
		}
	}
}

// BenchmarkWorstSeries is the most a hostile notification can cost: an
// hourly series from 1970 in a VTIMEZONE zone Go does not know, with a
// COUNT (so it cannot be restarted near now), walked up to
// maxOccurrences.
func BenchmarkWorstSeries(b *testing.B) {
	data := cal(
		"BEGIN:VTIMEZONE", "TZID:Made Up",
		"BEGIN:STANDARD", "DTSTART:16010101T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", "END:STANDARD",
		"BEGIN:DAYLIGHT", "DTSTART:16010101T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", "END:DAYLIGHT",
		"END:VTIMEZONE",
		"BEGIN:VEVENT", "UID:hourly", "DTSTART;TZID=Made Up:19700101T000000", "RRULE:FREQ=HOURLY;COUNT=100000000",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT15M", "REPEAT:100", "DURATION:PT1S", "END:VALARM", "END:VEVENT")
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	for b.Loop() {
		items, _ := Parse("text/calendar", data)
		s, err := items[0].Schedule(time.UTC)
		if err != nil {
			b.Fatal(err)
		}
		s.Latest(now)
		s.Next(now)
	}
}
