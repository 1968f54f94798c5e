package ics

import (
	"testing"
	"time"
)

// FuzzParse feeds any payload through everything the agent does with a
// notification: parse (either format), evaluate the alarms, encode and
// decode again. None of it may panic or hang.
func FuzzParse(f *testing.F) {
	f.Add("", []byte(xmlExample))
	f.Add("text/calendar", cal("BEGIN:VEVENT", "UID:f", "DTSTART;TZID=Europe/Berlin:20260316T090000", "RRULE:FREQ=WEEKLY;COUNT=3",
		"EXDATE;TZID=Europe/Berlin:20260323T090000", "RDATE:20260325T120000Z",
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT10M", "REPEAT:2", "DURATION:PT5M", "END:VALARM", "END:VEVENT"))
	f.Add("", cal("BEGIN:VTIMEZONE", "TZID:X", "BEGIN:STANDARD", "DTSTART:16010101T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100",
		"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", "END:STANDARD", "END:VTIMEZONE",
		"BEGIN:VTODO", "UID:t", "DUE;TZID=X:20260304T170000", "BEGIN:VALARM", "TRIGGER;RELATED=END:-P1D", "END:VALARM", "END:VTODO"))
	f.Add("", []byte(`<task><due>2026-03-04</due><alarm><trigger>2026-03-04T16:00:00Z</trigger></alarm></task>`))
	f.Fuzz(func(t *testing.T, contentType string, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		items, err := Parse(contentType, data)
		if err != nil {
			return
		}
		now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
		for _, it := range items {
			it.Cancelled()
			s, err := it.Schedule(time.UTC)
			if err != nil {
				continue
			}
			s.Latest(now)
			after := now
			for range 3 {
				ts := s.Next(after)
				if len(ts) == 0 {
					break
				}
				if !ts[0].At.After(after) {
					t.Fatalf("Next(%v) = %v, not after", after, ts[0].At)
				}
				after = ts[0].At
			}
			if _, err := Decode(it.Encode()); err != nil {
				t.Fatalf("the encoded item does not decode: %v\n%s", err, it.Encode())
			}
		}
	})
}
