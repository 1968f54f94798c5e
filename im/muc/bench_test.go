package muc

import (
	"context"
	"fmt"
	"testing"

	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// BenchmarkGroupchat measures one message broadcast to a room of 50
// occupants (the service's work; delivery is a no-op here).
func BenchmarkGroupchat(b *testing.B) {
	s := New(Config{Domains: []string{"conference.x"}, Store: memory.New(), HistoryMessages: 20,
		Send: func(context.Context, *xml.Element) {}})
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
