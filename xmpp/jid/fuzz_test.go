package jid

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics, that its output is a fixed
// point (Parse(j.String()) == j, New(parts) == j), and that the ASCII fast
// paths agree with PRECIS/IDNA.
func FuzzParse(f *testing.F) {
	for _, tt := range validTests {
		f.Add(tt.in)
	}
	for _, in := range invalidTests {
		if len(in) < 200 {
			f.Add(in)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		j, err := Parse(s)
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '@' || r == '/' }) {
			checkFastPaths(t, part)
		}
		if err != nil {
			if !j.IsZero() {
				t.Fatalf("Parse(%q) returned %q with error %v", s, j, err)
			}
			return
		}
		if j.IsZero() || j.Domain() == "" {
			t.Fatalf("Parse(%q) returned an empty JID", s)
		}
		out := j.String()
		if !utf8.ValidString(out) {
			t.Fatalf("Parse(%q) = %q: invalid UTF-8", s, out)
		}
		if len(j.Local()) > MaxPartLen || len(j.Domain()) > MaxPartLen || len(j.Resource()) > MaxPartLen {
			t.Fatalf("Parse(%q) = %q: part too long", s, out)
		}
		if strings.ContainsAny(j.Local(), localForbidden+" ") || strings.ContainsAny(j.Domain(), "@/") {
			t.Fatalf("Parse(%q) = %q: forbidden character", s, out)
		}
		again, err := Parse(out)
		if err != nil || again != j {
			t.Fatalf("Parse(%q) = %q; Parse again = %q, %v", s, out, again, err)
		}
		n, err := New(j.Local(), j.Domain(), j.Resource())
		if err != nil || n != j {
			t.Fatalf("Parse(%q) = %q; New(parts) = %q, %v", s, out, n, err)
		}
		if b := j.Bare(); b.Resource() != "" || b.Local() != j.Local() || b.Domain() != j.Domain() {
			t.Fatalf("Bare(%q) = %q", out, b)
		}
	})
}
