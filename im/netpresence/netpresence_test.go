package netpresence_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/im/netpresence"
	"github.com/parley-im/parley/im/roster"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// otherServers records what is sent to other servers.
type otherServers struct {
	mu  sync.Mutex
	got []string
}

func (o *otherServers) Receive(_ context.Context, el *xml.Element) {
	o.mu.Lock()
	o.got = append(o.got, el.String())
	o.mu.Unlock()
}

func (o *otherServers) take() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := o.got
	o.got = nil
	return out
}

func presence(t *testing.T, s string) *xml.Element {
	t.Helper()
	el, err := xml.ParseElement([]byte(s), ns.Client, xml.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	return el
}

func TestNetworkPresence(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	r := router.New()
	r.SetHosts([]string{"example.com"})
	remote := &otherServers{}
	r.SetRemote(remote)
	engine := roster.New(roster.Config{Store: st, Router: r, IsLocal: func(d string) bool { return d == "example.com" },
		UserExists: func(ctx context.Context, bare string) bool { _, err := st.User(ctx, bare); return err == nil }})
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	svc := netpresence.New(netpresence.Config{Store: st, Roster: engine, Now: func() time.Time { return now }})
	for _, u := range []string{"alice@example.com", "bob@example.com"} {
		if err := st.CreateUser(ctx, store.User{JID: u}); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := svc.Status("alice@example.com"); ok {
		t.Fatal("a status before any setting")
	}
	if err := st.SetNetworkPresence(ctx, "alice@example.com", "alice@partner.example"); err != nil {
		t.Fatal(err)
	}
	if err := svc.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	// The request goes out from alice's bare JID, and her roster has the
	// contact pending.
	sent := remote.take()
	if len(sent) != 1 || !strings.Contains(sent[0], "type='subscribe'") || !strings.Contains(sent[0], "from='alice@example.com'") || !strings.Contains(sent[0], "to='alice@partner.example'") {
		t.Fatalf("sent %v, want one subscription request", sent)
	}
	if it, err := st.RosterItem(ctx, "alice@example.com", "alice@partner.example"); err != nil || !it.AskOut {
		t.Fatalf("alice's roster item: %+v %v", it, err)
	}
	st1, _ := svc.Status("alice@example.com")
	if st1.Approval != netpresence.Pending || len(st1.Resources) != 0 {
		t.Fatalf("before approval: %+v", st1)
	}
	// A refresh soon after sends nothing again.
	if err := svc.Refresh(ctx); err != nil || len(remote.take()) != 0 {
		t.Fatalf("a second refresh resent the request: %v", err)
	}

	ev := func(from, to, raw string) {
		svc.RemotePresence(ctx, im.RemotePresence{From: jid.MustParse(from), To: jid.MustParse(to), Presence: presence(t, raw)})
	}
	// Someone else's presence, or presence to someone else, is ignored.
	ev("mallory@partner.example/x", "alice@example.com", "<presence/>")
	ev("alice@partner.example/x", "bob@example.com", "<presence/>")
	if st, _ := svc.Status("alice@example.com"); len(st.Resources) != 0 {
		t.Fatalf("foreign presence taken: %+v", st)
	}
	ev("alice@partner.example", "alice@example.com", "<presence type='subscribed'/>")
	ev("alice@partner.example/laptop", "alice@example.com", "<presence><show>dnd</show><status>abroad</status></presence>")
	now = now.Add(time.Minute)
	ev("alice@partner.example/phone", "alice@example.com", "<presence><show>away</show></presence>")
	st2, _ := svc.Status("alice@example.com")
	if st2.Approval != netpresence.Approved || len(st2.Resources) != 2 || st2.Resources[0].Name != "phone" {
		t.Fatalf("after approval: %+v", st2)
	}
	ev("alice@partner.example/phone", "alice@example.com", "<presence type='unavailable'/>")
	if st, _ := svc.Status("alice@example.com"); len(st.Resources) != 1 || st.Resources[0].Name != "laptop" {
		t.Fatalf("after phone left: %+v", st)
	}
	ev("alice@partner.example", "alice@example.com", "<presence type='unsubscribed'/>")
	if st, _ := svc.Status("alice@example.com"); st.Approval != netpresence.Refused || len(st.Resources) != 0 {
		t.Fatalf("after a refusal: %+v", st)
	}

	// Another account: asked afresh.
	if err := st.SetNetworkPresence(ctx, "alice@example.com", "alice2@partner.example"); err != nil {
		t.Fatal(err)
	}
	if err := svc.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := svc.Status("alice@example.com"); st.Approval != netpresence.Pending || st.Remote != "alice2@partner.example" {
		t.Fatalf("another account: %+v", st)
	}
	if sent := remote.take(); len(sent) != 1 || !strings.Contains(sent[0], "to='alice2@partner.example'") {
		t.Fatalf("sent %v, want a request to the new account", sent)
	}
	// Turned off: forgotten.
	if err := st.ClearNetworkPresence(ctx, "alice@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := svc.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := svc.Status("alice@example.com"); ok {
		t.Fatal("still tracked after off")
	}
}

func TestValid(t *testing.T) {
	local := func(d string) bool { return d == "example.com" }
	for remote, want := range map[string]error{
		"alice@partner.example":   nil,
		"partner.example":         netpresence.ErrNotAccount,
		"alice@partner.example/r": netpresence.ErrNotAccount,
		"a@b@c":                   netpresence.ErrNotAccount,
		"bob@example.com":         netpresence.ErrLocal,
	} {
		if _, err := netpresence.Valid("alice@example.com", remote, local); err != want {
			t.Errorf("Valid(%q) = %v, want %v", remote, err, want)
		}
	}
}
