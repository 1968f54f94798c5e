package api

import (
	"encoding/json"
	"encoding/xml"
	"reflect"
	"testing"
	"time"
)

// A Timestamp reads RFC 3339 and zone-less xsd:dateTime (as UTC), in
// XML and JSON, and is described as xsd:dateTime.
func TestTimestamp(t *testing.T) {
	want := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	for in, w := range map[string]time.Time{
		"2026-06-01T10:00:00Z":        want,
		"2026-06-01T12:00:00+02:00":   want,
		"2026-06-01T10:00:00":         want,
		" 2026-06-01T10:00:00.5 ":     want.Add(500 * time.Millisecond),
		"2026-06-01T10:00:00.000001Z": want.Add(time.Microsecond),
	} {
		var v struct {
			At Timestamp `xml:"at"`
		}
		if err := xml.Unmarshal([]byte("<r><at>"+in+"</at></r>"), &v); err != nil || !v.At.Time().Equal(w) || v.At.Time().Location() != time.UTC {
			t.Errorf("XML %q: %v %v", in, v.At.Time(), err)
		}
		var j struct {
			At *Timestamp `json:"at"`
		}
		if err := json.Unmarshal([]byte(`{"at":"`+in+`"}`), &j); err != nil || !j.At.Time().Equal(w) {
			t.Errorf("JSON %q: %v", in, err)
		}
	}
	for _, bad := range []string{"", "tomorrow", "2026-06-01", "2026-13-01T00:00:00Z"} {
		var ts Timestamp
		if err := ts.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	out, _ := json.Marshal(Timestamp(want.In(time.FixedZone("x", 3600))))
	if string(out) != `"2026-06-01T10:00:00Z"` {
		t.Fatalf("JSON out: %s", out)
	}
	if d, err := Describe(reflect.TypeFor[Timestamp]()); err != nil || d.Kind != DateTime {
		t.Fatalf("described as %+v (%v)", d, err)
	}
}
