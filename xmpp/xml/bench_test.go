package xml

import (
	"bytes"
	"fmt"
	"testing"
)

const (
	benchMessage = "<message to='bob@example.com' id='abc123' type='chat'><body>Hello, how are you doing today?</body>" +
		"<active xmlns='http://jabber.org/protocol/chatstates'/></message>"
	benchPresence = "<presence><show>away</show><status>In a meeting until 3pm</status><priority>5</priority>" +
		"<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://example.org' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>"
)

// replay serves the stream header once, then the stanzas after it
// forever, without allocating.
type replay struct {
	data []byte
	loop int // where the stanzas start
	off  int
}

func (r *replay) Read(p []byte) (int, error) {
	if r.off == len(r.data) {
		r.off = r.loop
	}
	n := copy(p, r.data[r.off:])
	r.off += n
	return n, nil
}

func benchDecode(b *testing.B, stanza string) {
	data := append([]byte(streamHeader), bytes.Repeat([]byte("\n"+stanza), 64)...)
	d := NewDecoder(&replay{data: data, loop: len(streamHeader)}, DefaultLimits)
	if _, err := d.ReadHeader(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(stanza) + 1))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Next(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeMessage(b *testing.B)  { benchDecode(b, benchMessage) }
func BenchmarkDecodePresence(b *testing.B) { benchDecode(b, benchPresence) }

// BenchmarkWriteMessage routes a received message: from and to change,
// the payload is copied from Inner.
func BenchmarkWriteMessage(b *testing.B) {
	el, err := ParseElement([]byte(benchMessage), nsClient, DefaultLimits)
	if err != nil {
		b.Fatal(err)
	}
	el.SetAttr("from", "alice@example.com/laptop")
	el.SetAttr("to", "bob@example.com/phone")
	if el.Inner == nil {
		b.Fatal("Inner lost")
	}
	var buf bytes.Buffer
	el.WriteTo(&buf, nsClient)
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		el.WriteTo(&buf, nsClient)
	}
}

// BenchmarkWriteBuiltElement serializes an element built in code.
func BenchmarkWriteBuiltElement(b *testing.B) {
	el := NewElement(nsClient, "message", Attr{Name: "to", Value: "bob@example.com"}, Attr{Name: "id", Value: "abc123"}, Attr{Name: "type", Value: "chat"})
	el.AddChild(NewElement(nsClient, "body").SetText("Hello, how are you doing today?"))
	el.AddChild(NewElement(nsChatStates, "active"))
	var buf bytes.Buffer
	el.WriteTo(&buf, nsClient)
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		el.WriteTo(&buf, nsClient)
	}
}

// BenchmarkParseElement parses a stored stanza (offline messages, WebSocket frames).
func BenchmarkParseElement(b *testing.B) {
	raw := []byte(benchMessage)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseElement(raw, nsClient, DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
}

func TestInternDoesNotAllocate(t *testing.T) {
	for _, s := range []string{"message", "to", "chat", "jabber:client", "http://jabber.org/protocol/chatstates"} {
		b := []byte(s)
		var got string
		if n := testing.AllocsPerRun(100, func() { got = intern(b) }); n != 0 || got != s {
			t.Errorf("intern(%q) = %q with %v allocations", s, got, n)
		}
	}
	if got := intern([]byte("not-common")); got != "not-common" {
		t.Fatalf("intern: %q", got)
	}
}

// namespaceFlood is a stanza of about size bytes that declares decls
// prefixes on each of depth nested elements and then uses the
// outermost one over and over: with a linear scan of the declarations
// in scope, every use costs depth*decls comparisons.
func namespaceFlood(depth, decls, size int) []byte {
	var b bytes.Buffer
	b.WriteString("<message>")
	for d := range depth {
		b.WriteString("<e")
		for i := range decls {
			fmt.Fprintf(&b, " xmlns:p%d_%d='urn:x:%d'", d, i, i)
		}
		b.WriteString(">")
	}
	for b.Len() < size-depth*4-10 {
		b.WriteString("<p0_0:x/>")
	}
	for range depth {
		b.WriteString("</e>")
	}
	b.WriteString("</message>")
	return b.Bytes()
}

// BenchmarkNamespaceFlood parses what an unauthenticated client could
// send before the namespace cap: 30 elements of 60 declarations each,
// then 200 KB of prefixed elements. It reports the cost per stanza
// (an error once the cap applies).
func BenchmarkNamespaceFlood(b *testing.B) {
	data := namespaceFlood(30, 60, 210<<10)
	lim := Limits{MaxStanzaBytes: 256 << 10, MaxDepth: 64, MaxAttrs: 64}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		ParseElement(data, nsClient, lim)
	}
}

// BenchmarkNamespaceResolution parses 200 KB of prefixed elements with
// 60 declarations in scope (within the cap): resolution must not scan
// the declarations for every name.
func BenchmarkNamespaceResolution(b *testing.B) {
	data := namespaceFlood(1, 60, 200<<10)
	lim := Limits{MaxStanzaBytes: 256 << 10, MaxDepth: 64, MaxAttrs: 64}
	if _, err := ParseElement(data, nsClient, lim); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		ParseElement(data, nsClient, lim)
	}
}
