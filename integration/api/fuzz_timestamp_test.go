package api

import (
	"testing"
	"time"
)

// FuzzTimestamp: any text either is refused or reads as an instant that
// writes back (RFC 3339, UTC) and reads again as the same instant.
func FuzzTimestamp(f *testing.F) {
	for _, s := range []string{"2026-06-01T10:00:00Z", "2026-06-01T10:00:00", "2026-06-01T10:00:00.123456789+05:30", "", "x", "9999-12-31T23:59:59Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var ts Timestamp
		if err := ts.UnmarshalText([]byte(s)); err != nil {
			return
		}
		out, err := ts.MarshalText()
		if err != nil {
			return // years beyond RFC 3339's range cannot be written
		}
		var back Timestamp
		if err := back.UnmarshalText(out); err != nil || !back.Time().Equal(ts.Time()) || back.Time().Location() != time.UTC {
			t.Fatalf("%q -> %q -> %v (%v)", s, out, back.Time(), err)
		}
	})
}
