package calendar

import "testing"

// FuzzVCard: any stored vCard, and any time zone a user or a vCard
// names, is read without a panic; a zone that parses is usable.
func FuzzVCard(f *testing.F) {
	f.Add([]byte(`<vCard xmlns='vcard-temp'><EMAIL><INTERNET/><USERID>a@b.example</USERID></EMAIL><TZ>-05:00</TZ></vCard>`))
	f.Add([]byte(`<vCard xmlns='vcard-temp'><EMAIL>MAILTO:X@Y</EMAIL><TZ>Europe/Berlin</TZ></vCard>`))
	f.Add([]byte(`<vCard xmlns='vcard-temp'><TZ>UTC+14</TZ></vCard>`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		v := parseVCard(raw)
		for _, e := range v.emails {
			if e == "" {
				t.Fatal("empty e-mail")
			}
		}
		for _, z := range []string{v.tz, string(raw)} {
			if loc, ok := parseZone(z); ok && loc == nil {
				t.Fatalf("parseZone(%q) ok without a location", z)
			}
		}
	})
}
