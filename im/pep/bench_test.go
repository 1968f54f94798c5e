package pep

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/im/caps"
	"github.com/parley-im/parley/im/roster"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// session counts what it is given.
type session struct {
	j   jid.JID
	got atomic.Int64
	iqs []*xml.Element
}

func (s *session) JID() jid.JID { return s.j }
func (s *session) Deliver(el *xml.Element) {
	s.got.Add(1)
	if el.Name == "iq" {
		s.iqs = append(s.iqs, el)
	}
}
func (s *session) Close(*stream.Error) {}

// fixture is an owner with n contacts online, every client asking for
// notifications of node (its capabilities already known).
func fixture(b *testing.B, n int, node string) (*Service, []*session, caps.Caps) {
	ctx := context.Background()
	st := memory.New()
	rt := router.New()
	local := func(d string) bool { return d == "localhost" }
	eng := roster.New(roster.Config{Store: st, Router: rt, IsLocal: local, UserExists: func(context.Context, string) bool { return true }})
	calls := im.NewCalls(100)
	cc := caps.New(caps.Config{Calls: calls})
	owner := "owner@localhost"
	st.CreateUser(ctx, store.User{JID: owner})
	q := xml.NewElement(ns.DiscoInfo, "query").
		AddChild(xml.NewElement(ns.DiscoInfo, "identity", xml.Attr{Name: "category", Value: "client"}, xml.Attr{Name: "type", Value: "pc"})).
		AddChild(xml.NewElement(ns.DiscoInfo, "feature", xml.Attr{Name: "var", Value: node + "+notify"}))
	ver, _ := caps.Ver(q, "sha-1")
	presence := xml.NewElement(ns.Client, "presence").AddChild(xml.NewElement(ns.Caps, "c",
		xml.Attr{Name: "hash", Value: "sha-1"}, xml.Attr{Name: "node", Value: "n"}, xml.Attr{Name: "ver", Value: ver}))
	users := []string{owner}
	for i := 1; i <= n; i++ {
		user := fmt.Sprintf("c%d@localhost", i)
		st.CreateUser(ctx, store.User{JID: user})
		st.PutRosterItem(ctx, owner, store.RosterItem{Contact: user, Subscription: store.SubBoth})
		st.PutRosterItem(ctx, user, store.RosterItem{Contact: owner, Subscription: store.SubBoth})
		users = append(users, user)
	}
	var all []*session
	for _, user := range users {
		s := &session{j: jid.MustParse(user + "/r")}
		rt.Bind(s)
		eng.Acquire(ctx, user)
		rt.SetPresence(s, true, 0, presence)
		all = append(all, s)
	}
	// The capabilities become known: the first client answers the query.
	cc.Lookup(all[0], caps.Caps{Node: "n", Ver: ver, Hash: "sha-1"}, nil)
	ask := all[0].iqs[0]
	ans := stanza.Result(ask, func() *xml.Element { c := q.Copy(); c.SetAttr("node", "n#"+ver); return c }())
	ans.SetAttr("from", all[0].j.String())
	if !calls.Resolve(ans) {
		b.Fatal("caps answer not taken")
	}
	svc := New(Config{Store: st, Router: rt, Roster: eng, Caps: cc, IsLocal: local,
		MaxNodes: 10, MaxItems: 10, MaxItemBytes: 1 << 20, Now: time.Now})
	return svc, all, caps.Caps{Node: "n", Ver: ver, Hash: "sha-1"}
}

// BenchmarkPublishNotify: one publication to a node 100 online contacts
// want notifications of (store write, fan-out with capability checks).
func BenchmarkPublishNotify(b *testing.B) {
	const node = "urn:xmpp:avatar:metadata"
	svc, all, _ := fixture(b, 100, node)
	payload := xml.NewElement(ns.AvatarMetadata, "metadata").AddChild(xml.NewElement(ns.AvatarMetadata, "info",
		xml.Attr{Name: "id", Value: "abc"}, xml.Attr{Name: "bytes", Value: "100"}, xml.Attr{Name: "type", Value: "image/png"}))
	ctx := context.Background()
	for b.Loop() {
		if _, err := svc.Publish(ctx, "owner@localhost", node, "abc", payload, nil, false); err != nil {
			b.Fatal(err)
		}
	}
	if all[len(all)-1].got.Load() < int64(b.N) {
		b.Fatalf("a contact got %d notifications for %d publications", all[len(all)-1].got.Load(), b.N)
	}
}

// BenchmarkLastItemsOnLogin: a contact's client comes online and gets
// the last item of the nodes it wants from its 100 contacts (cache warm).
func BenchmarkLastItemsOnLogin(b *testing.B) {
	const node = "urn:xmpp:avatar:metadata"
	svc, all, cp := fixture(b, 100, node)
	ctx := context.Background()
	payload := xml.NewElement(ns.AvatarMetadata, "metadata")
	for _, s := range all {
		if _, err := svc.Publish(ctx, s.j.Bare().String(), node, "x", payload, nil, false); err != nil {
			b.Fatal(err)
		}
	}
	f, ok := svc.cfg.Caps.Lookup(all[1], cp, nil)
	if !ok {
		b.Fatal("capabilities not known")
	}
	before := all[1].got.Load()
	for b.Loop() {
		svc.sendLastItems(ctx, all[1], f, time.Now())
	}
	// Its own node and the owner's (its only contact).
	if got := all[1].got.Load() - before; got != 2*int64(b.N) {
		b.Fatalf("%d last items for %d logins, want 2 each", got, b.N)
	}
}
