package jid

import "testing"

var sink JID

// BenchmarkParseASCII parses a normalized ASCII full JID (the fast path,
// no allocation) and, for comparison, the same input through PRECIS/IDNA.
func BenchmarkParseASCII(b *testing.B) {
	const in = "juliet@capulet.example.com/balcony-4f2a"
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			j, err := Parse(in)
			if err != nil {
				b.Fatal(err)
			}
			sink = j
		}
	})
	b.Run("fast-uppercase", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			j, err := Parse("Juliet@Capulet.Example.com/balcony-4f2a")
			if err != nil {
				b.Fatal(err)
			}
			sink = j
		}
	})
	b.Run("precis", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			l, err1 := slowLocal("juliet")
			d, err2 := slowDomain("capulet.example.com")
			r, err3 := slowResource("balcony-4f2a")
			if err1 != nil || err2 != nil || err3 != nil {
				b.Fatal(err1, err2, err3)
			}
			sink = build(l, d, r)
		}
	})
}

// BenchmarkParseUnicode parses a JID that needs PRECIS and IDNA in every
// part.
func BenchmarkParseUnicode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		j, err := Parse("Jürgen@Bücher.example/Ω-Telefon")
		if err != nil {
			b.Fatal(err)
		}
		sink = j
	}
}
