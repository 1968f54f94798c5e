package xml

import (
	"bytes"
	"testing"
)

// replay serves a fixed stream forever without allocating.
type replay struct {
	data []byte
	off  int
}

func (r *replay) Read(p []byte) (int, error) {
	if r.off == len(r.data) {
		r.off = 0
	}
	n := copy(p, r.data[r.off:])
	r.off += n
	return n, nil
}

func benchDecode(b *testing.B, stanza string) {
	data := bytes.Repeat([]byte(stanza), 64)
	d := NewDecoder(&replay{data: append([]byte(header), data...)}, DefaultLimits)
	if _, err := d.ReadHeader(); err != nil {
		b.Fatal(err)
	}
	// After the header the replay restarts at the header again; swap in
	// a stanza-only stream.
	d.r = &replay{data: data}
	d.pos, d.end = 0, 0
	b.SetBytes(int64(len(stanza)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := d.Next(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeMessage(b *testing.B) {
	benchDecode(b, "<message to='bob@example.com' id='abc123' type='chat'><body>Hello, how are you doing today?</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>")
}

func BenchmarkDecodePresence(b *testing.B) {
	benchDecode(b, "<presence><show>away</show><status>In a meeting until 3pm</status><priority>5</priority><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://example.org' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>")
}

func BenchmarkWriteMessage(b *testing.B) {
	el, err := ParseElement([]byte("<message to='bob@example.com' id='abc123' type='chat'><body>Hello, how are you doing today?</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>"), "jabber:client", DefaultLimits)
	if err != nil {
		b.Fatal(err)
	}
	el.SetAttr("from", "alice@example.com/laptop")
	var buf bytes.Buffer
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		buf.Reset()
		el.WriteTo(&buf, "jabber:client")
	}
	b.SetBytes(int64(buf.Len()))
}

func BenchmarkWriteBuiltElement(b *testing.B) {
	el := NewElement("jabber:client", "message", Attr{Name: "to", Value: "bob@example.com"}, Attr{Name: "type", Value: "chat"})
	el.AddChild(NewElement("jabber:client", "body").SetText("Hello, how are you doing today?"))
	el.AddChild(NewElement("http://jabber.org/protocol/chatstates", "active"))
	var buf bytes.Buffer
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		buf.Reset()
		el.WriteTo(&buf, "jabber:client")
	}
	b.SetBytes(int64(buf.Len()))
}
