package im_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/im/offline"
	"github.com/parley-im/parley/im/roster"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// sink is a session that serializes what it is given, as the real
// session does before queueing, and counts it.
type sink struct {
	j     jid.JID
	n     atomic.Int64
	bytes atomic.Int64
}

func (s *sink) JID() jid.JID { return s.j }
func (s *sink) Deliver(el *xml.Element) {
	s.n.Add(1)
	s.bytes.Add(int64(len(el.Bytes(ns.Client))))
}
func (s *sink) Close(*stream.Error) {}

type fixture struct {
	d      *im.Dispatcher
	r      router.Router
	engine *roster.Engine
	st     *memory.Store
}

func newFixture(b *testing.B) *fixture {
	st := memory.New()
	r := router.New()
	r.SetHosts([]string{"example.com"})
	isLocal := func(d string) bool { return d == "example.com" }
	exists := func(ctx context.Context, bare string) bool { _, err := st.User(ctx, bare); return err == nil }
	engine := roster.New(roster.Config{Store: st, Router: r, IsLocal: isLocal, UserExists: exists})
	d := im.New(im.Config{Router: r, Roster: engine, Mux: im.NewMux(), IsLocal: isLocal, UserExists: exists,
		Offline: offline.New(st, store.OfflineLimits{}, nil)})
	return &fixture{d: d, r: r, engine: engine, st: st}
}

func (f *fixture) online(b *testing.B, user string) *sink {
	ctx := context.Background()
	if _, err := f.st.User(ctx, user); err != nil {
		f.st.CreateUser(ctx, store.User{JID: user})
	}
	s := &sink{j: jid.MustParse(user + "/r")}
	if err := f.d.SessionStarted(ctx, s); err != nil {
		b.Fatal(err)
	}
	p, _ := xml.ParseElement([]byte("<presence/>"), ns.Client, xml.DefaultLimits)
	f.d.HandleStanza(ctx, s, p)
	return s
}

func parse(b *testing.B, s string) *xml.Element {
	el, err := xml.ParseElement([]byte(s), ns.Client, xml.DefaultLimits)
	if err != nil {
		b.Fatal(err)
	}
	return el
}

// BenchmarkRouteMessage measures one chat message from a bound session
// to another user's bare JID: address checks, routing rules, delivery
// and serialization for the recipient's queue.
func BenchmarkRouteMessage(b *testing.B) {
	f := newFixture(b)
	alice := f.online(b, "alice@example.com")
	bob := f.online(b, "bob@example.com")
	msg := parse(b, "<message to='bob@example.com' id='abc123' type='chat'><body>Hello, how are you doing today?</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>")
	ctx := context.Background()
	before := bob.n.Load()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		f.d.HandleStanza(ctx, alice, msg)
	}
	b.StopTimer()
	if got := bob.n.Load() - before; got != int64(b.N) {
		b.Fatalf("delivered %d of %d", got, b.N)
	}
}

// BenchmarkPresenceFanout measures a presence change of a user with
// contacts online, each subscribed to it: one op is one broadcast,
// reported also as deliveries per second.
func BenchmarkPresenceFanout(b *testing.B) {
	for _, contacts := range []int{10, 100} {
		b.Run(fmt.Sprintf("contacts=%d", contacts), func(b *testing.B) {
			f := newFixture(b)
			ctx := context.Background()
			owner := "owner@example.com"
			f.st.CreateUser(ctx, store.User{JID: owner})
			var sinks []*sink
			for i := range contacts {
				c := fmt.Sprintf("c%d@example.com", i)
				f.st.CreateUser(ctx, store.User{JID: c})
				f.st.PutRosterItem(ctx, owner, store.RosterItem{Contact: c, Subscription: store.SubBoth})
				f.st.PutRosterItem(ctx, c, store.RosterItem{Contact: owner, Subscription: store.SubBoth})
				sinks = append(sinks, f.online(b, c))
			}
			o := f.online(b, owner)
			p := parse(b, "<presence><show>away</show><status>In a meeting</status><priority>1</priority></presence>")
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				f.d.HandleStanza(ctx, o, p)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*contacts)/b.Elapsed().Seconds(), "deliveries/s")
			for _, s := range sinks {
				if s.n.Load() < int64(b.N) {
					b.Fatalf("a contact got %d presences, want >= %d", s.n.Load(), b.N)
				}
			}
		})
	}
}
