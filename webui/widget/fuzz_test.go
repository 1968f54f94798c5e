package widget

import (
	"strings"
	"testing"
)

// FuzzParseCard: any stored vCard parses without panicking, and what it
// yields is a plain name and, if anything, a mailto:, tel: or sip: URI
// without characters that could leave an attribute or start a script.
func FuzzParseCard(f *testing.F) {
	f.Add([]byte(`<vCard xmlns='vcard-temp'><FN>Bob</FN><EMAIL><USERID>bob@example.com</USERID></EMAIL><TEL><NUMBER>+1 555</NUMBER></TEL></vCard>`))
	f.Add([]byte(`<vCard xmlns='vcard-temp'><TEL><PREF/><NUMBER>sip:a@b.c</NUMBER></TEL><EMAIL><USERID>javascript:alert(1)</USERID></EMAIL></vCard>`))
	f.Add([]byte(`<vCard><N><GIVEN>&#x1;x</GIVEN></N></vCard>`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := ParseCard(raw)
		if err != nil {
			return
		}
		for _, r := range c.Name {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("control character in name %q", c.Name)
			}
		}
		if c.Email != "" && (!strings.HasPrefix(c.Email, "mailto:") || strings.ContainsAny(c.Email, "<>\"' \t\r\n?&")) {
			t.Fatalf("email %q", c.Email)
		}
		if c.Call != "" && !(strings.HasPrefix(c.Call, "tel:") || strings.HasPrefix(c.Call, "sip:") || strings.HasPrefix(c.Call, "sips:")) ||
			strings.ContainsAny(c.Call, "<>\"' \t\r\n") {
			t.Fatalf("call %q", c.Call)
		}
	})
}
