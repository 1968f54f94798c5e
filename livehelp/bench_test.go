package livehelp

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/store/sqlite"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// BenchmarkRelay measures one visitor's message in an open chat, from
// the guest's session to the agent's Send: the loop's hop, the
// transcript line (one store write) and the relayed stanza. The sqlite
// case is the default deployment's cost.
func BenchmarkRelay(b *testing.B) {
	for _, c := range []struct {
		name string
		st   func(b *testing.B) store.Store
	}{
		{"memory", func(*testing.B) store.Store { return memory.New() }},
		{"sqlite", func(b *testing.B) store.Store {
			st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "parley.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			return st
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := newHarnessOn(b, c.st(b), nil)
			h.online(alice, "")
			g := h.guest("v@sites.example.com", "V", "", support)
			h.say(g, "hi", "")
			h.reply(alice, g, "hello", "")
			h.drop()
			msg := xml.NewElement(ns.Client, "message", xml.Attr{Name: "to", Value: support}, xml.Attr{Name: "type", Value: "chat"}).
				AddChild(xml.NewElement(ns.Client, "body").SetText("How much does the premium plan cost per month?"))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				h.svc.GuestStanza(h.ctx, g.sess, msg)
				<-h.sent
			}
		})
	}
}

// BenchmarkPresenceChanged measures what live help adds to every
// availability change of every user (the router's hook): a set insert
// and a wake-up; the loop looks at batches on its own goroutine.
func BenchmarkPresenceChanged(b *testing.B) {
	h := newHarness(b, nil)
	h.online(alice, "")
	g := h.guest("v@sites.example.com", "V", "", support) // a desk to look at
	_ = g
	users := make([]string, 1024)
	for i := range users {
		users[i] = "user" + strconv.Itoa(i) + "@example.com"
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		h.svc.PresenceChanged(users[i%len(users)])
	}
}
