package server_test

import (
	"testing"
	"time"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/pgtest"
	"github.com/parley-im/parley/internal/xmpptest"
)

// A cluster of two nodes serving a.test federates with b.test. b.test's
// own streams to a.test reach node 1 only (its forwarder plays the load
// balancer); alice is on node 2, whose outgoing stream carries what she
// sends (and, bidirectional, may carry b.test's answers). Network
// presence that one node receives shows on every node's presence
// endpoint.
func TestClusterFederation(t *testing.T) {
	pg := pgtest.Shared(t)
	dsn := pg.NewSchema(t)
	bus := natsServer(t)
	clustered := func(node string) xmpptest.Options {
		return func(c *config.Config) {
			if c.Hosts[0] != "a.test" {
				return
			}
			c.Storage.Driver, c.Storage.DSN, c.Storage.MaxConnections = "postgres", dsn, 4
			c.NATS.Listen, c.NATS.URL = "", bus.ClientURL()
			c.Cluster.Node = node
			c.Cluster.Heartbeat.Duration = 100 * time.Millisecond
			c.Cluster.PeerTimeout.Duration = time.Second
		}
	}
	servers, _ := xmpptest.RunFederation(t, []string{"a.test", "b.test"}, clustered("n1"))
	a1, b := servers[0], servers[1]
	cfg2 := a1.Config
	a2 := xmpptest.RunServer(t, func(c *config.Config) {
		dir := c.DataDir
		*c = cfg2
		c.DataDir, c.Cluster.Node = dir, "n2"
	})
	for _, s := range []*xmpptest.Server{a1, a2} {
		xmpptest.WaitFor(t, "the nodes to see each other", func() bool {
			p := s.Cluster().Peers()
			return len(p) == 1 && p[0].Synced
		})
	}
	a1.AddUser("alice@a.test", "secret")
	b.AddUser("bob@b.test", "secret")
	b.AddUser("alice.away@b.test", "secret")

	alice := online(t, a2, "alice", "desk")
	bob := online(t, b, "bob", "phone")
	subscribeBoth(t, alice, bob, "alice@a.test", "bob@b.test")
	alice.Send("<message to='bob@b.test' type='chat'><body>from node 2</body></message>")
	await(t, bob, "alice's message, sent by node 2", messageWith("from node 2"))
	bob.Send("<message to='alice@a.test/desk' type='chat'><body>through node 1</body></message>")
	await(t, alice, "bob's message, received by node 1", messageWith("through node 1"))

	// Network presence: both nodes read the setting; b.test's presence
	// for alice arrives at the node holding its stream, and both nodes'
	// endpoints show it.
	ctx := t.Context()
	if err := a1.Store().SetPresenceSharing(ctx, "alice@a.test", true); err != nil {
		t.Fatal(err)
	}
	away := online(t, b, "alice.away", "phone", "<show>xa</show>")
	if err := a1.Store().SetNetworkPresence(ctx, "alice@a.test", "alice.away@b.test"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*xmpptest.Server{a1, a2} {
		if err := s.NetworkPresence().Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	await(t, away, "the subscription request", presenceOf("alice@a.test", "subscribe"))
	away.Send("<presence to='alice@a.test' type='subscribed'/>")
	state := func(srv *xmpptest.Server) string {
		_, h, _ := httpGet(t, srv, "/plugins/presence/status?jid=alice@a.test&type=xml")
		return h.Get("X-Presence-State")
	}
	for _, show := range []string{"xa", "dnd"} {
		if show != "xa" {
			away.Send("<presence><show>%s</show></presence>", show)
		}
		xmpptest.WaitFor(t, "alice's network presence "+show+" on node 1's endpoint", func() bool { return state(a1) == show })
		xmpptest.WaitFor(t, "alice's network presence "+show+" on node 2's endpoint", func() bool { return state(a2) == show })
	}
}
