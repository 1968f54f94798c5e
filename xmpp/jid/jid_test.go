package jid

import (
	"errors"
	"strings"
	"testing"
)

// RFC 7622 §3.5 examples plus normalization cases.
var validTests = []struct {
	in                      string
	want                    string // normalized; "" means same as in
	local, domain, resource string
}{
	// RFC 7622 §3.5.1
	{in: "juliet@example.com", local: "juliet", domain: "example.com"},
	{in: "juliet@example.com/foo", local: "juliet", domain: "example.com", resource: "foo"},
	{in: "juliet@example.com/foo bar", local: "juliet", domain: "example.com", resource: "foo bar"},
	{in: "juliet@example.com/foo@bar", local: "juliet", domain: "example.com", resource: "foo@bar"},
	{in: `foo\20bar@example.com`, local: `foo\20bar`, domain: "example.com"},
	{in: "fussball@example.com", local: "fussball", domain: "example.com"},
	{in: "fußball@example.com", local: "fußball", domain: "example.com"},
	{in: "π@example.com", local: "π", domain: "example.com"},
	{in: "Σ@example.com/foo", want: "σ@example.com/foo", local: "σ", domain: "example.com", resource: "foo"},
	{in: "σ@example.com/foo", local: "σ", domain: "example.com", resource: "foo"},
	{in: "ς@example.com/foo", local: "ς", domain: "example.com", resource: "foo"},
	{in: "king@example.com/♚", local: "king", domain: "example.com", resource: "♚"},
	{in: "example.com", domain: "example.com"},
	{in: "example.com/foobar", domain: "example.com", resource: "foobar"},
	{in: "a.example.com/b@example.net", domain: "a.example.com", resource: "b@example.net"},

	// Case and width folding, NFC, trailing dot, IDNA.
	{in: "Juliet@Example.COM/Balcony", want: "juliet@example.com/Balcony", local: "juliet", domain: "example.com", resource: "Balcony"},
	{in: "juliet@example.com.", want: "juliet@example.com", local: "juliet", domain: "example.com"},
	{in: "juliet@example.com./r", want: "juliet@example.com/r", local: "juliet", domain: "example.com", resource: "r"},
	{in: "ＪＵＬＩＥＴ@ｅｘａｍｐｌｅ.com", want: "juliet@example.com", local: "juliet", domain: "example.com"},
	{in: "juliet@example。com", want: "juliet@example.com", local: "juliet", domain: "example.com"},
	{in: "juliet@example.com。", want: "juliet@example.com", local: "juliet", domain: "example.com"},
	{in: "ju\u0308rgen@example.com", want: "jürgen@example.com", local: "jürgen", domain: "example.com"},
	{in: "JÜRGEN@BÜCHER.example", want: "jürgen@bücher.example", local: "jürgen", domain: "bücher.example"},
	{in: "x@xn--bcher-kva.example", want: "x@bücher.example", local: "x", domain: "bücher.example"},
	{in: "x@XN--BCHER-KVA.example", want: "x@bücher.example", local: "x", domain: "bücher.example"},
	{in: "x@fußball.example", local: "x", domain: "fußball.example"},
	{in: "x@example.com/\u00a0r", want: "x@example.com/ r", local: "x", domain: "example.com", resource: " r"},
	{in: "x@example.com/a\u0308", want: "x@example.com/ä", local: "x", domain: "example.com", resource: "ä"},
	{in: "x@example.com/a/b/c", local: "x", domain: "example.com", resource: "a/b/c"},
	{in: "x@example.com/@", local: "x", domain: "example.com", resource: "@"},
	{in: "x@localhost", local: "x", domain: "localhost"},
	{in: "a-b_c.d+e=f!#$%*~@a-1.example", local: "a-b_c.d+e=f!#$%*~", domain: "a-1.example"},

	// IP literals.
	{in: "x@192.0.2.1/r", local: "x", domain: "192.0.2.1", resource: "r"},
	{in: "x@[::1]/r", local: "x", domain: "[::1]", resource: "r"},
	{in: "x@[2001:DB8:0:0:0:0:0:1]", want: "x@[2001:db8::1]", local: "x", domain: "[2001:db8::1]"},
	{in: "[::ffff:192.0.2.1]", domain: "[::ffff:192.0.2.1]"},
}

var invalidTests = []string{
	// RFC 7622 §3.5.2
	`"juliet"@example.com`,
	"foo bar@example.com",
	"juliet@example.com/",
	"@example.com/",
	"henry\u2163@example.com",
	"♚@example.com",
	"juliet@",
	"/foobar",

	"",
	"@",
	"/",
	"@example.com",
	"a@b@example.com",
	"a&b@example.com",
	"a'b@example.com",
	"a:b@example.com",
	"a<b@example.com",
	"a>b@example.com",
	"a\tb@example.com",
	"a\x00b@example.com",
	"a\x7fb@example.com",
	"\xff@example.com",
	"x@example.com/\x00",
	"x@example.com/\xff",
	"x@example.com/a\x07b",
	"＠@example.com", // full-width @ folds to '@'
	".",
	"x@.",
	"x@..",
	"x@example..com",
	"x@.example.com",
	"x@example.com..",
	"x@-example.com",
	"x@example-.com",
	"x@ab--cd.example",
	"x@xn--abc-.example",
	"x@xn--a.example", // bad punycode
	"x@exa mple.com",
	"x@exa_mple.com",
	"x@example.com:5222",
	"x@[::1",
	"x@[::1]]",
	"x@[192.0.2.1]",
	"x@[fe80::1%eth0]",
	"x@[::1].",
	"x@[v1.fe]",
	"x@" + strings.Repeat("a", 64) + ".example",
	"x@" + strings.Repeat("abcdefghi.", 26) + "com",
	strings.Repeat("a", 1024) + "@example.com",
	"x@example.com/" + strings.Repeat("r", 1024),
	"x@example.com/" + strings.Repeat("r", maxInputLen),
}

func TestParseValid(t *testing.T) {
	for _, tt := range validTests {
		j, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		want := tt.want
		if want == "" {
			want = tt.in
		}
		if j.String() != want {
			t.Errorf("Parse(%q) = %q, want %q", tt.in, j, want)
		}
		if j.Local() != tt.local || j.Domain() != tt.domain || j.Resource() != tt.resource {
			t.Errorf("Parse(%q) parts = %q %q %q, want %q %q %q", tt.in,
				j.Local(), j.Domain(), j.Resource(), tt.local, tt.domain, tt.resource)
		}
		n, err := New(tt.local, tt.domain, tt.resource)
		if err != nil || n != j {
			t.Errorf("New(%q, %q, %q) = %q, %v; want %q", tt.local, tt.domain, tt.resource, n, err, j)
		}
		if again := MustParse(j.String()); again != j {
			t.Errorf("Parse(%q) not idempotent: %q", j, again)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	for _, in := range invalidTests {
		j, err := Parse(in)
		if err == nil {
			t.Errorf("Parse(%.80q) = %q, want error", in, j)
			continue
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%.80q) error %v does not wrap ErrInvalid", in, err)
		}
	}
}

func TestNew(t *testing.T) {
	j, err := New("", "Example.com", "")
	if err != nil || j.String() != "example.com" || !j.IsBare() || j.Local() != "" {
		t.Fatalf("New domain only = %q, %v", j, err)
	}
	for _, c := range [][3]string{
		{"a", "", "r"},
		{"a@b", "example.com", ""},
		{"a/b", "example.com", ""},
		{"a", "example.com/x", ""},
		{"a", "ex@mple.com", ""},
		{"a b", "example.com", ""},
		{"a", "example.com", "\x00"},
	} {
		if j, err := New(c[0], c[1], c[2]); !errors.Is(err, ErrInvalid) {
			t.Errorf("New(%q, %q, %q) = %q, %v; want ErrInvalid", c[0], c[1], c[2], j, err)
		}
	}
}

func TestAccessors(t *testing.T) {
	j := MustParse("Juliet@Example.com/Balcony")
	if j.IsZero() || j.IsBare() {
		t.Fatalf("IsZero/IsBare wrong for %q", j)
	}
	b := j.Bare()
	if b.String() != "juliet@example.com" || !b.IsBare() || b != MustParse("juliet@example.com") {
		t.Errorf("Bare() = %q", b)
	}
	if b.Bare() != b {
		t.Errorf("Bare of bare changed it")
	}
	d := j.DomainJID()
	if d.String() != "example.com" || d.Local() != "" || d.Domain() != "example.com" || !d.IsBare() || d != MustParse("example.com") {
		t.Errorf("DomainJID() = %q (%q %q)", d, d.Local(), d.Domain())
	}
	if got := MustParse("example.com/r").DomainJID(); got != d {
		t.Errorf("DomainJID of domain JID = %q", got)
	}
	r, err := j.WithResource("Ω phone")
	if err != nil || r.String() != "juliet@example.com/Ω phone" || r.Resource() != "Ω phone" || r != MustParse("juliet@example.com/Ω phone") {
		t.Errorf("WithResource = %q, %v", r, err)
	}
	if r, err := j.WithResource(""); err != nil || r != b {
		t.Errorf("WithResource(\"\") = %q, %v; want bare", r, err)
	}
	if _, err := j.WithResource("\x00"); !errors.Is(err, ErrInvalid) {
		t.Errorf("WithResource(NUL) err = %v", err)
	}
	if _, err := (JID{}).WithResource("r"); !errors.Is(err, ErrInvalid) {
		t.Errorf("zero.WithResource err = %v", err)
	}
	var z JID
	if !z.IsZero() || z.String() != "" || z.Local() != "" || z.Domain() != "" || z.Resource() != "" || !z.IsBare() {
		t.Errorf("zero JID accessors wrong")
	}
	if !j.Equal(MustParse("juliet@EXAMPLE.com/Balcony")) || j.Equal(MustParse("juliet@example.com/balcony")) {
		t.Errorf("Equal wrong")
	}
	m := map[JID]int{j: 1}
	if m[MustParse("JULIET@example.com./Balcony")] != 1 {
		t.Errorf("map lookup with equal JID failed")
	}
}

func TestText(t *testing.T) {
	var j JID
	if err := j.UnmarshalText([]byte("A@B.example/C")); err != nil || j.String() != "a@b.example/C" {
		t.Fatalf("UnmarshalText = %q, %v", j, err)
	}
	b, _ := j.MarshalText()
	if string(b) != "a@b.example/C" {
		t.Errorf("MarshalText = %q", b)
	}
	if err := j.UnmarshalText(nil); err != nil || !j.IsZero() {
		t.Errorf("UnmarshalText(empty) = %q, %v", j, err)
	}
	if err := j.UnmarshalText([]byte("@x")); !errors.Is(err, ErrInvalid) {
		t.Errorf("UnmarshalText(bad) err = %v", err)
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParse did not panic")
		}
	}()
	MustParse("@")
}

func TestNoAllocs(t *testing.T) {
	j := MustParse("juliet@example.com/balcony")
	if n := testing.AllocsPerRun(100, func() { _ = j.String() }); n != 0 {
		t.Errorf("String allocates %v", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = Parse("juliet@example.com/balcony") }); n != 0 {
		t.Errorf("Parse of a normalized ASCII JID allocates %v", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = j.Bare(); _ = j.DomainJID() }); n != 0 {
		t.Errorf("Bare/DomainJID allocate %v", n)
	}
}

// TestFastPathsAgree checks the ASCII fast paths against PRECIS and IDNA on
// every printable ASCII character in a few positions.
func TestFastPathsAgree(t *testing.T) {
	for c := 0; c < 0x80; c++ {
		for _, s := range []string{string(rune(c)), "a" + string(rune(c)) + "b", "ab" + string(rune(c)) + string(rune(c)) + "c"} {
			checkFastPaths(t, s)
		}
	}
}

func checkFastPaths(t *testing.T, s string) {
	t.Helper()
	if out, ok := fastLocal(s); ok {
		if slow, err := slowLocal(s); err != nil || slow != out {
			t.Errorf("localpart %q: fast %q, precis %q, %v", s, out, slow, err)
		}
	}
	if fastResource(s) {
		if slow, err := slowResource(s); err != nil || slow != s {
			t.Errorf("resourcepart %q: fast unchanged, precis %q, %v", s, slow, err)
		}
	}
	if out, ok := fastDomain(s); ok {
		if slow, err := slowDomain(s); err != nil || slow != out {
			t.Errorf("domainpart %q: fast %q, idna %q, %v", s, out, slow, err)
		}
	}
}
