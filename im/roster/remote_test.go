package roster_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/im/roster"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// remoteServers records what the engine sends to other servers.
type remoteServers struct {
	mu  sync.Mutex
	got []*xml.Element
}

func (r *remoteServers) Receive(_ context.Context, el *xml.Element) {
	r.mu.Lock()
	r.got = append(r.got, el)
	r.mu.Unlock()
}

func (r *remoteServers) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.got))
	for i, el := range r.got {
		out[i] = el.String()
	}
	r.got = nil
	return out
}

// Probes from other servers are answered by the rules of RFC 6121
// §4.3.2, and their subscription requests reach the user from the
// contact's bare JID.
func TestRemoteProbesAndSubscriptions(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	r := router.New()
	r.SetHosts([]string{"example.com"})
	remote := &remoteServers{}
	r.SetRemote(remote)
	e := roster.New(roster.Config{Store: st, Router: r, IsLocal: func(d string) bool { return d == "example.com" },
		UserExists: func(ctx context.Context, bare string) bool { _, err := st.User(ctx, bare); return err == nil }})
	owner := "owner@example.com"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateUser(ctx, store.User{JID: owner}))
	_, err := st.PutRosterItem(ctx, owner, store.RosterItem{Contact: "friend@remote.test", Subscription: store.SubBoth})
	must(err)
	_, err = st.PutRosterItem(ctx, owner, store.RosterItem{Contact: "watched@remote.test", Subscription: store.SubTo})
	must(err)
	must(st.PutSubscriptionRequest(ctx, owner, store.SubscriptionRequest{From: "pending@remote.test"}))
	s := &session{j: jid.MustParse(owner + "/desk")}
	r.Bind(s)
	must(e.Acquire(ctx, owner))
	r.SetPresence(s, true, 0, parse(t, "<presence><status>here</status></presence>"))

	probe := func(from, to string) []string {
		e.RemotePresence(ctx, parse(t, "<presence type='probe' from='"+from+"' to='"+to+"'/>"))
		return remote.take()
	}
	if got := probe("friend@remote.test/r", owner); len(got) != 1 || !containsAll(got[0], "from='owner@example.com/desk'", "to='friend@remote.test'", "<status>here</status>") || containsAll(got[0], "type=") {
		t.Fatalf("probe from a subscribed contact: %v", got)
	}
	// watched@ is in the roster with "to" only: alice sees it, not the
	// other way round.
	for _, from := range []string{"watched@remote.test", "stranger@remote.test"} {
		if got := probe(from, owner); len(got) != 1 || !containsAll(got[0], "type='unsubscribed'", "from='owner@example.com'", "to='"+from+"'") {
			t.Fatalf("probe from %s: %v", from, got)
		}
	}
	if got := probe("pending@remote.test", owner); len(got) != 0 {
		t.Fatalf("a probe from a contact whose request is pending was answered (it would cancel the request): %v", got)
	}
	if got := probe("friend@remote.test", "nobody@example.com"); len(got) != 1 || !containsAll(got[0], "type='unsubscribed'", "from='nobody@example.com'") {
		t.Fatalf("probe for a user who does not exist: %v", got)
	}
	// Offline: the last unavailable presence, stamped.
	r.Unbind(s)
	must(st.SetLastPresence(ctx, owner, []byte("<presence type='unavailable'><status>gone fishing</status></presence>"), time.Now()))
	if got := probe("friend@remote.test", owner); len(got) != 1 || !containsAll(got[0], "type='unavailable'", "gone fishing", ns.Delay) {
		t.Fatalf("probe while offline: %v", got)
	}

	// A subscription request from a full JID is stored and shown from
	// the bare JID.
	r.Bind(s)
	r.SetPresence(s, true, 0, parse(t, "<presence/>"))
	e.RemotePresence(ctx, parse(t, "<presence type='subscribe' from='newcomer@remote.test/phone' to='owner@example.com'/>"))
	if last := s.last; last == nil || !containsAll(last.String(), "type='subscribe'", "from='newcomer@remote.test'") || containsAll(last.String(), "/phone") {
		t.Fatalf("subscription request delivered as %v", last)
	}
	reqs, err := st.SubscriptionRequests(ctx, owner)
	must(err)
	found := false
	for _, q := range reqs {
		found = found || q.From == "newcomer@remote.test"
	}
	if !found {
		t.Fatalf("request not stored from the bare JID: %+v", reqs)
	}
	// A new available session probes the remote contacts it is
	// subscribed to, from the bare JID.
	s2 := &session{j: jid.MustParse(owner + "/laptop")}
	r.Bind(s2)
	must(e.Acquire(ctx, owner))
	if _, err := e.HandlePresence(ctx, s2, parse(t, "<presence from='owner@example.com/laptop'/>")); err != nil {
		t.Fatal(err)
	}
	var probes []string
	for _, el := range remote.take() {
		if containsAll(el, "type='probe'") {
			probes = append(probes, el)
		}
	}
	if len(probes) != 2 || !containsAll(probes[0]+probes[1], "to='friend@remote.test'", "to='watched@remote.test'", "from='owner@example.com'") {
		t.Fatalf("probes at login: %v", probes)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
