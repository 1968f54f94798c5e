package roster_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/parley-im/parley/im/roster"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/store/sqlite"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// session is a bound client session that serializes what it is given,
// as the real one does before queueing, and keeps the last stanza.
type session struct {
	j    jid.JID
	mu   sync.Mutex
	last *xml.Element
	n    int
}

func (s *session) JID() jid.JID { return s.j }
func (s *session) Deliver(el *xml.Element) {
	el.Bytes(ns.Client)
	s.mu.Lock()
	s.last, s.n = el, s.n+1
	s.mu.Unlock()
}
func (s *session) Close(*stream.Error) {}

// testStore is what the fixture needs of a store.
type testStore interface {
	roster.Store
	store.Users
}

type fixture struct {
	ctx    context.Context
	st     testStore
	engine *roster.Engine
	owner  *session
}

// newFixture is an engine over a memory store whose user
// owner@example.com has items contacts, is online (roster cached) and
// has asked for the roster (so every change is pushed to it).
func newFixture(tb testing.TB, items, maxItems int) *fixture {
	return newFixtureOn(tb, memory.New(), items, maxItems)
}

func newFixtureOn(tb testing.TB, st testStore, items, maxItems int) *fixture {
	tb.Helper()
	ctx := context.Background()
	r := router.New()
	r.SetHosts([]string{"example.com"})
	e := roster.New(roster.Config{Store: st, Router: r, MaxItems: maxItems,
		IsLocal:    func(d string) bool { return d == "example.com" },
		UserExists: func(ctx context.Context, bare string) bool { _, err := st.User(ctx, bare); return err == nil }})
	owner := "owner@example.com"
	if err := st.CreateUser(ctx, store.User{JID: owner}); err != nil {
		tb.Fatal(err)
	}
	for i := range items {
		if _, err := st.PutRosterItem(ctx, owner, store.RosterItem{Contact: fmt.Sprintf("c%d@example.com", i), Subscription: store.SubBoth,
			Name: fmt.Sprintf("Contact %d", i), Groups: []string{"Colleagues"}}); err != nil {
			tb.Fatal(err)
		}
	}
	s := &session{j: jid.MustParse(owner + "/desk")}
	r.Bind(s)
	if err := e.Acquire(ctx, owner); err != nil {
		tb.Fatal(err)
	}
	f := &fixture{ctx: ctx, st: st, engine: e, owner: s}
	f.iq(tb, "get", "<query xmlns='jabber:iq:roster'/>")
	return f
}

func parse(tb testing.TB, s string) *xml.Element {
	tb.Helper()
	el, err := xml.ParseElement([]byte(s), ns.Client, xml.DefaultLimits)
	if err != nil {
		tb.Fatal(err)
	}
	return el
}

// iq sends an iq from the owner's session and returns the answer.
func (f *fixture) iq(tb testing.TB, typ, query string) *xml.Element {
	tb.Helper()
	el := parse(tb, "<iq type='"+typ+"' id='q' from='owner@example.com/desk'>"+query+"</iq>")
	f.engine.HandleIQ(f.ctx, f.owner, el)
	f.owner.mu.Lock()
	defer f.owner.mu.Unlock()
	return f.owner.last
}

// set adds (or renames) contact and returns the answer (the push
// comes before it).
func (f *fixture) set(tb testing.TB, contact string) *xml.Element {
	tb.Helper()
	el := parse(tb, "<iq type='set' id='s' from='owner@example.com/desk'><query xmlns='jabber:iq:roster'><item jid='"+contact+"' name='New'><group>Friends</group></item></query></iq>")
	f.engine.HandleIQ(f.ctx, f.owner, el)
	f.owner.mu.Lock()
	defer f.owner.mu.Unlock()
	return f.owner.last
}

func (f *fixture) remove(tb testing.TB, contact string) {
	tb.Helper()
	el := parse(tb, "<iq type='set' id='r' from='owner@example.com/desk'><query xmlns='jabber:iq:roster'><item jid='"+contact+"' subscription='remove'/></query></iq>")
	f.engine.HandleIQ(f.ctx, f.owner, el)
}

// bytesPerChange is the memory allocated by one roster change (an
// added contact, answered and pushed), averaged over n of them, for a
// roster of items contacts. Allocation is counted, not time, so the
// result does not depend on the machine's load.
func bytesPerChange(t *testing.T, items, n int) uint64 {
	f := newFixture(t, items, 0)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range n {
		if r := f.set(t, fmt.Sprintf("new%d@example.com", i)); r.Attr("type") != "result" {
			t.Fatalf("roster set: %s", r.Bytes(ns.Client))
		}
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(n)
}

// TestRosterChangeCostIndependentOfSize: a change to a roster of
// 10,000 contacts allocates about what a change to one of 100 does.
// The roster cache used to be copied whole at every change: about 1.5
// MB, and 4.3 ms, per added contact at 10,000.
func TestRosterChangeCostIndependentOfSize(t *testing.T) {
	small := bytesPerChange(t, 100, 500)
	large := bytesPerChange(t, 10_000, 500)
	t.Logf("bytes allocated per change: %d at 100 contacts, %d at 10,000", small, large)
	// Map growth (the store's and the cache's, amortized) is the only
	// size-dependent part; a copy of the roster would be ~100 times more.
	if large > 4*small+16<<10 {
		t.Fatalf("a change to a 10,000-contact roster allocates %d bytes, to a 100-contact one %d: the cost grows with the roster", large, small)
	}
}

// TestRosterMaxItems: a roster set or a subscription that would add a
// contact to a full roster is refused with a clear error; changing or
// removing existing items still works, and makes room.
func TestRosterMaxItems(t *testing.T) {
	f := newFixture(t, 3, 4)
	if r := f.set(t, "fourth@example.com"); r.Attr("type") != "result" {
		t.Fatalf("fourth item: %s", r.Bytes(ns.Client))
	}
	r := f.set(t, "fifth@example.com")
	if r.Attr("type") != "error" || r.Child(ns.Client, "error").Child(ns.Stanzas, "not-acceptable") == nil ||
		!strings.Contains(string(r.Bytes(ns.Client)), "roster is full") {
		t.Fatalf("fifth item: %s, want not-acceptable saying the roster is full", r.Bytes(ns.Client))
	}
	// A subscription request to a new contact would add it too.
	sub := parse(t, "<presence type='subscribe' to='sixth@example.com' from='owner@example.com/desk'/>")
	if _, err := f.engine.HandlePresence(f.ctx, f.owner, sub); err != nil {
		t.Fatal(err)
	}
	f.owner.mu.Lock()
	r = f.owner.last
	f.owner.mu.Unlock()
	if r.Name != "presence" || r.Attr("type") != "error" || r.Child(ns.Client, "error").Child(ns.Stanzas, "policy-violation") == nil {
		t.Fatalf("subscribe to a new contact: %s, want policy-violation", r.Bytes(ns.Client))
	}
	items, _, _ := f.st.Roster(f.ctx, "owner@example.com")
	if len(items) != 4 {
		t.Fatalf("%d items stored, want 4", len(items))
	}
	// Existing items can still change; removing one makes room.
	if r := f.set(t, "c0@example.com"); r.Attr("type") != "result" {
		t.Fatalf("renaming an item of a full roster: %s", r.Bytes(ns.Client))
	}
	f.remove(t, "c1@example.com")
	if r := f.set(t, "fifth@example.com"); r.Attr("type") != "result" {
		t.Fatalf("adding after a removal: %s", r.Bytes(ns.Client))
	}
}

// BenchmarkRosterChange measures one roster change (alternately adding
// a contact and removing it again, each answered and pushed to the
// owner's session) for rosters of growing size, over the memory store
// (the engine's own cost) and over SQLite (what a server pays): the
// cost per change stays flat.
func BenchmarkRosterChange(b *testing.B) {
	for _, kind := range []string{"memory", "sqlite"} {
		for _, items := range []int{100, 1000, 10_000} {
			b.Run(fmt.Sprintf("store=%s/items=%d", kind, items), func(b *testing.B) {
				var st testStore = memory.New()
				if kind == "sqlite" {
					db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "parley.db"))
					if err != nil {
						b.Fatal(err)
					}
					b.Cleanup(func() { db.Close() })
					st = db
				}
				f := newFixtureOn(b, st, items, 0)
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					if i%2 == 0 {
						f.set(b, "new@example.com")
					} else {
						f.remove(b, "new@example.com")
					}
				}
			})
		}
	}
}
