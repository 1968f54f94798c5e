package muc

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// BenchmarkGroupchat measures one message broadcast to a room of 50
// occupants (the service's work; delivery is a no-op here).
func BenchmarkGroupchat(b *testing.B) {
	benchGroupchat(b, func(context.Context, *xml.Element) {})
}

// BenchmarkGroupchatSerialized is BenchmarkGroupchat with each delivery
// serialized as a client session writes it (stream.AppendElement into a
// reused buffer): the room's work plus the recipients' serialization,
// which is what the reflected message's pre-serialized payload saves.
func BenchmarkGroupchatSerialized(b *testing.B) {
	var buf bytes.Buffer
	benchGroupchat(b, func(_ context.Context, el *xml.Element) {
		buf.Reset()
		stream.AppendElement(&buf, el, ns.Client)
	})
}

func benchGroupchat(b *testing.B, send func(context.Context, *xml.Element)) {
	s := New(Config{Domains: []string{"conference.x"}, Store: memory.New(), HistoryMessages: 20, Send: send})
	ctx := context.Background()
	s.Receive(ctx, presence("owner@x/r", "r@conference.x/owner", ""))
	for i := range 49 {
		s.Receive(ctx, presence(fmt.Sprintf("u%d@x/r", i), fmt.Sprintf("r@conference.x/u%d", i), "", xml.NewElement(NS, "x")))
	}
	m := xml.NewElement(ns.Client, "message", xml.Attr{Name: "from", Value: "u1@x/r"}, xml.Attr{Name: "to", Value: "r@conference.x"},
		xml.Attr{Name: "type", Value: "groupchat"}, xml.Attr{Name: "id", Value: "m"})
	m.AddChild(xml.NewElement(ns.Client, "body").SetText("hello everyone"))
	b.ReportAllocs()
	for b.Loop() {
		s.Receive(ctx, m)
	}
}
