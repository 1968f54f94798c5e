package server_test

import (
	"strings"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// Two Parley servers, a.test and b.test, federated on loopback (each
// with a test CA certificate, trusting the other's domain): everything
// users do locally works with the other server's users.

func federation(t *testing.T, opts ...xmpptest.Options) (a, b *xmpptest.Server, fwd map[string]*xmpptest.Forwarder) {
	t.Helper()
	servers, fwd := xmpptest.RunFederation(t, []string{"a.test", "b.test"}, opts...)
	a, b = servers[0], servers[1]
	a.AddUser("alice@a.test", "secret")
	a.AddUser("carol@a.test", "secret")
	b.AddUser("bob@b.test", "secret")
	return a, b, fwd
}

func presenceOf(from, typ string) func(*xml.Element) bool {
	return func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("type") == typ && strings.HasPrefix(el.Attr("from"), from)
	}
}

func messageWith(body string) func(*xml.Element) bool {
	return func(el *xml.Element) bool {
		b := el.Child(ns.Client, "body")
		return el.Name == "message" && b != nil && b.Text == body
	}
}

// Subscriptions both ways, presence, probes, unavailable presence and
// chat between users of two servers.
func TestFederationChatAndPresence(t *testing.T) {
	a, b, _ := federation(t)
	alice := online(t, a, "alice", "desk")
	bob := online(t, b, "bob", "phone")
	subscribeBoth(t, alice, bob, "alice@a.test", "bob@b.test")

	alice.Send("<message to='bob@b.test' type='chat' id='c1'><body>hello from a</body></message>")
	m := await(t, bob, "alice's message", messageWith("hello from a"))
	if m.Attr("from") != "alice@a.test/desk" || m.Attr("to") != "bob@b.test" {
		t.Fatalf("delivered as %s", m)
	}
	bob.Send("<message to='alice@a.test/desk' type='chat'><body>hello from b</body></message>")
	await(t, alice, "bob's answer", messageWith("hello from b"))

	// bob leaves: alice sees him go; a new resource of alice learns his
	// absence... and, once he is back, his presence through a probe.
	bob.Send("<presence type='unavailable'/>")
	await(t, alice, "bob unavailable", presenceOf("bob@b.test/phone", "unavailable"))
	bob = online(t, b, "bob", "tablet", "<show>dnd</show>")
	await(t, alice, "bob's return", func(el *xml.Element) bool {
		return presenceOf("bob@b.test/tablet", "")(el) && xmpptest.Contains(el, "<show>dnd</show>")
	})
	laptop := a.Dial()
	laptop.Login("alice", "secret", "laptop")
	laptop.Send("<presence/>")
	await(t, laptop, "bob's presence answering the probe", func(el *xml.Element) bool {
		return presenceOf("bob@b.test/tablet", "")(el) && xmpptest.Contains(el, "<show>dnd</show>")
	})
	await(t, bob, "alice's new resource", presenceOf("alice@a.test/laptop", ""))

	// A message to a user who does not exist there bounces from there.
	alice.Send("<message to='nobody@b.test' type='chat' id='nb'><body>?</body></message>")
	e := await(t, alice, "bounce from b.test", func(el *xml.Element) bool { return el.Name == "message" && el.Attr("id") == "nb" })
	if errCond(e) != "service-unavailable" || e.Attr("from") != "nobody@b.test" {
		t.Fatalf("bounce: %s", e)
	}
	// No server at all for a domain: remote-server-not-found.
	alice.Send("<message to='x@nowhere.invalid' type='chat' id='nf'><body>?</body></message>")
	e = await(t, alice, "bounce for a domain without a server", func(el *xml.Element) bool { return el.Name == "message" && el.Attr("id") == "nf" })
	if errCond(e) != "remote-server-not-found" {
		t.Fatalf("bounce: %s", e)
	}

	// Removing the contact cancels both subscriptions at the other side.
	bob.Send("<iq type='get' id='rg'><query xmlns='jabber:iq:roster'/></iq>")
	if r := await(t, bob, "bob's roster", func(el *xml.Element) bool { return el.Name == "iq" && el.Attr("id") == "rg" }); !xmpptest.Contains(r, "jid='alice@a.test'", "subscription='both'") {
		t.Fatalf("bob's roster: %s", r)
	}
	alice.Send("<iq type='set' id='rm'><query xmlns='jabber:iq:roster'><item jid='bob@b.test' subscription='remove'/></query></iq>")
	await(t, bob, "roster push: alice gone", func(el *xml.Element) bool {
		return el.Name == "iq" && xmpptest.Contains(el, "jid='alice@a.test'", "subscription='none'")
	})
	await(t, bob, "unavailable after the removal", presenceOf("alice@a.test", "unavailable"))
}

// Carbons and the message archive keep conversations with users of
// other servers, both directions.
func TestFederationCarbonsAndMAM(t *testing.T) {
	a, b, _ := federation(t)
	desk := online(t, a, "alice", "desk")
	phone := online(t, a, "alice", "phone")
	phone.Send("<iq type='set' id='cb'><enable xmlns='%s'/></iq>", ns.Carbons)
	await(t, phone, "carbons on", func(el *xml.Element) bool { return el.Name == "iq" && el.Attr("id") == "cb" })
	bob := online(t, b, "bob", "r")

	desk.Send("<message to='bob@b.test' type='chat'><body>sent from the desk</body></message>")
	await(t, bob, "message from the desk", messageWith("sent from the desk"))
	await(t, phone, "sent carbon", func(el *xml.Element) bool {
		return el.Name == "message" && el.Child(ns.Carbons, "sent") != nil && xmpptest.Contains(el, "sent from the desk")
	})
	bob.Send("<message to='alice@a.test/desk' type='chat'><body>to the desk</body></message>")
	await(t, desk, "bob's message", messageWith("to the desk"))
	await(t, phone, "received carbon", func(el *xml.Element) bool {
		return el.Name == "message" && el.Child(ns.Carbons, "received") != nil && xmpptest.Contains(el, "to the desk")
	})

	p := queryMAM(t, desk, map[string][]string{"with": {"bob@b.test"}}, "", "")
	if len(p.bodies) != 2 || p.bodies[0] != "sent from the desk" || p.bodies[1] != "to the desk" {
		t.Fatalf("alice's archive with bob@b.test: %v (%v)", p.bodies, p.err)
	}
	// bob's server archived its side too.
	pb := queryMAM(t, bob, map[string][]string{"with": {"alice@a.test"}}, "", "")
	if len(pb.bodies) != 2 {
		t.Fatalf("bob's archive with alice@a.test: %v", pb.bodies)
	}
}

// A user of another server joins a room, is seen by the occupants,
// and talks in it.
func TestFederationMUCRemoteOccupant(t *testing.T) {
	a, b, _ := federation(t)
	alice := a.Dial()
	alice.Login("alice", "secret", "r")
	bob := b.Dial()
	bob.Login("bob", "secret", "r")
	room := "lobby@conference.a.test"
	alice.Send("<presence to='%s/Alice'><x xmlns='%s'/></presence>", room, muc.NS)
	await(t, alice, "room created", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("from") == room+"/Alice" && hasStatus(el, "110", "201")
	})
	alice.Send("<iq type='set' to='%s' id='cfg'><query xmlns='%s#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>", room, muc.NS)
	await(t, alice, "instant room", func(el *xml.Element) bool {
		return el.Name == "iq" && el.Attr("id") == "cfg" && el.Attr("type") == "result"
	})

	bob.Send("<presence to='%s/Bob'><x xmlns='%s'/></presence>", room, muc.NS)
	await(t, bob, "alice in the room", presenceFrom(room+"/Alice"))
	await(t, bob, "bob's self-presence", presenceFrom(room+"/Bob", "110"))
	seen := await(t, alice, "bob joining", presenceFrom(room+"/Bob"))
	if it := mucItem(seen); it == nil || it.Attr("role") != "participant" {
		t.Fatalf("bob's occupant presence: %s", seen)
	}
	bob.Send("<message to='%s' type='groupchat' id='g1'><body>hi all, from b.test</body></message>", room)
	m := await(t, alice, "bob's groupchat", messageWith("hi all, from b.test"))
	if m.Attr("from") != room+"/Bob" || m.Attr("type") != "groupchat" {
		t.Fatalf("groupchat as alice got it: %s", m)
	}
	await(t, bob, "bob's own groupchat echoed", messageWith("hi all, from b.test"))
	alice.Send("<message to='%s' type='groupchat'><body>welcome, bob</body></message>", room)
	await(t, bob, "alice's groupchat", messageWith("welcome, bob"))
	bob.Send("<presence to='%s/Bob' type='unavailable'/>", room)
	await(t, alice, "bob leaving", presenceOf(room+"/Bob", "unavailable"))
}

// iq requests reach the other server and its users, and answers come
// back: software version of the server, disco of an account, an iq to a
// user's resource, an error for a resource that is not there.
func TestFederationIQ(t *testing.T) {
	a, b, _ := federation(t)
	alice := online(t, a, "alice", "r")
	bob := online(t, b, "bob", "r")
	alice.Send("<iq type='get' to='b.test' id='v1'><query xmlns='%s'/></iq>", ns.Version)
	v := await(t, alice, "version of b.test", func(el *xml.Element) bool { return el.Name == "iq" && el.Attr("id") == "v1" })
	if v.Attr("type") != "result" || v.Attr("from") != "b.test" || !xmpptest.Contains(v, "<name>Parley</name>") {
		t.Fatalf("version: %s", v)
	}
	alice.Send("<iq type='get' to='bob@b.test' id='d1'><query xmlns='%s'/></iq>", ns.DiscoInfo)
	d := await(t, alice, "disco of bob's account", func(el *xml.Element) bool { return el.Name == "iq" && el.Attr("id") == "d1" })
	if d.Attr("type") != "result" || !xmpptest.Contains(d, "category='account'") {
		t.Fatalf("disco: %s", d)
	}
	// Requests that act for an account are never served for others.
	alice.Send("<iq type='get' to='bob@b.test' id='r1'><query xmlns='jabber:iq:roster'/></iq>")
	r := await(t, alice, "roster of another's account", func(el *xml.Element) bool { return el.Name == "iq" && el.Attr("id") == "r1" })
	if errCond(r) != "service-unavailable" {
		t.Fatalf("bob's roster for alice: %s", r)
	}
	alice.Send("<iq type='get' to='bob@b.test/r' id='p1'><ping xmlns='%s'/></iq>", ns.Ping)
	ping := await(t, bob, "alice's ping", func(el *xml.Element) bool { return el.Name == "iq" && el.Attr("id") == "p1" })
	bob.Send("<iq type='result' to='%s' id='p1'/>", ping.Attr("from"))
	await(t, alice, "bob's pong", func(el *xml.Element) bool {
		return el.Name == "iq" && el.Attr("id") == "p1" && el.Attr("type") == "result" && el.Attr("from") == "bob@b.test/r"
	})
	alice.Send("<iq type='get' to='bob@b.test/gone' id='p2'><ping xmlns='%s'/></iq>", ns.Ping)
	e := await(t, alice, "error for a missing resource", func(el *xml.Element) bool { return el.Name == "iq" && el.Attr("id") == "p2" })
	if errCond(e) != "service-unavailable" {
		t.Fatalf("missing resource: %s", e)
	}
}

// Push notifications reach an app server on another domain: the
// component of b.test gets alice's notification over federation.
func TestFederationPushToRemoteAppServer(t *testing.T) {
	a, b, fwd := federation(t, func(c *config.Config) {
		if c.Hosts[0] == "b.test" {
			c.Components.Listen = "127.0.0.1:0"
			c.Components.Secrets = []string{"push.b.test=" + pushSecret}
		}
	})
	_ = fwd
	comp := b.DialComponent()
	comp.ComponentLogin("push.b.test", pushSecret)
	phone := online(t, a, "alice", "phone")
	phone.Send("<iq type='set' id='push1'><enable xmlns='urn:xmpp:push:0' jid='push.b.test' node='n1'/></iq>")
	if r := await(t, phone, "enable", func(el *xml.Element) bool { return el.Name == "iq" && el.Attr("id") == "push1" }); r.Attr("type") != "result" {
		t.Fatalf("enable push with a remote app server: %s", r)
	}
	phone.Send("</stream:stream>")
	xmpptest.WaitFor(t, "alice offline", func() bool { return len(a.Router().Resources("alice@a.test")) == 0 })
	carol := online(t, a, "carol", "r")
	carol.Send("<message to='alice@a.test' type='chat'><body>wake up</body></message>")
	iq := comp.Expect("iq")
	pub := xmlPath(iq, ns.PubSub+" pubsub", ns.PubSub+" publish")
	if iq.Attr("from") != "alice@a.test" || iq.Attr("to") != "push.b.test" || pub == nil || pub.Attr("node") != "n1" {
		t.Fatalf("app server got %s", iq)
	}
	// Its answer travels back (and goes nowhere: nobody waits for it).
	comp.Send("<iq type='result' id='%s' from='push.b.test' to='alice@a.test'/>", iq.Attr("id"))
}

// Stanzas queued while the other server is unreachable are delivered
// when it comes back.
func TestFederationQueueSurvivesOutage(t *testing.T) {
	a, b, fwd := federation(t)
	alice := online(t, a, "alice", "r")
	bob := online(t, b, "bob", "r")
	alice.Send("<message to='bob@b.test' type='chat'><body>first</body></message>")
	await(t, bob, "first", messageWith("first"))
	fwd["b.test"].Cut()
	xmpptest.WaitFor(t, "a.test's stream to b.test to end", func() bool { return !a.S2S().Connected("a.test", "b.test") })
	alice.Send("<message to='bob@b.test' type='chat'><body>during</body></message>")
	xmpptest.WaitFor(t, "a failed attempt", func() bool { return a.S2S().Failures("a.test", "b.test") > 0 })
	fwd["b.test"].Restore()
	await(t, bob, "the queued message", messageWith("during"))
	alice.ExpectSilenceOf(t, "a bounce", func(el *xml.Element) bool { return el.Attr("type") == "error" }, 100_000_000)
}

// Network presence (seed 000): alice@a.test points her presence at her
// account on another network, bob@b.test... here the same person's
// account on b.test, "alice.away@b.test". Parley asks for its presence
// on her behalf; once approved there, the presence endpoint shows it
// instead of hers, and shows hers again when she turns it off.
func TestFederationNetworkPresence(t *testing.T) {
	a, b, fwd := federation(t, func(c *config.Config) { c.Storage.Driver = "sqlite" })
	b.AddUser("alice.away@b.test", "secret")
	ctx := t.Context()
	if err := a.Store().SetPresenceSharing(ctx, "alice@a.test", true); err != nil {
		t.Fatal(err)
	}
	state := func(srv *xmpptest.Server) string {
		_, h, _ := httpGet(t, srv, "/plugins/presence/status?jid=alice@a.test&type=xml")
		return h.Get("X-Presence-State")
	}
	desk := online(t, a, "alice", "desk")
	if got := state(a); got != "available" {
		t.Fatalf("her own presence first: %s", got)
	}
	away := online(t, b, "alice.away", "phone", "<show>xa</show>")
	if err := a.Store().SetNetworkPresence(ctx, "alice@a.test", "alice.away@b.test"); err != nil {
		t.Fatal(err)
	}
	if err := a.NetworkPresence().Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	// Until the account approves, the surfaces show offline.
	if got := state(a); got != "offline" {
		t.Fatalf("before approval: %s", got)
	}
	req := await(t, away, "the subscription request", presenceOf("alice@a.test", "subscribe"))
	if req.Attr("from") != "alice@a.test" {
		t.Fatalf("request: %s", req)
	}
	// The request is alice's own: her client sees the contact pending.
	desk.Send("<iq type='get' id='rg'><query xmlns='jabber:iq:roster'/></iq>")
	if r := await(t, desk, "roster", func(el *xml.Element) bool { return el.Attr("id") == "rg" }); !xmpptest.Contains(r, "jid='alice.away@b.test'", "ask='subscribe'") {
		t.Fatalf("alice's roster: %s", r)
	}
	away.Send("<presence to='alice@a.test' type='subscribed'/>")
	xmpptest.WaitFor(t, "the network presence on the endpoint", func() bool { return state(a) == "xa" })
	away.Send("<presence><show>dnd</show><status>In Tokyo</status></presence>")
	xmpptest.WaitFor(t, "the change on the endpoint", func() bool { return state(a) == "dnd" })
	if _, _, body := httpGet(t, a, "/plugins/presence/status?jid=alice@a.test&type=xml"); !strings.Contains(string(body), "<status>In Tokyo</status>") {
		t.Fatalf("status message: %s", body)
	}
	away.Send("<presence type='unavailable'/>")
	xmpptest.WaitFor(t, "offline on the endpoint", func() bool { return state(a) == "offline" })
	away = online(t, b, "alice.away", "laptop", "<show>away</show>")
	xmpptest.WaitFor(t, "back on the endpoint", func() bool { return state(a) == "away" })

	// a.test restarts: the setting is read at start and the account's
	// presence asked for at once (a probe: the subscription holds).
	cfg := a.Config
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	a2 := xmpptest.RunServer(t, func(c *config.Config) { *c = cfg })
	fwd["a.test"].SetTarget(a2.Addr("s2s").String())
	xmpptest.WaitFor(t, "the network presence after a restart", func() bool { return state(a2) == "away" })

	if err := a2.Store().ClearNetworkPresence(ctx, "alice@a.test"); err != nil {
		t.Fatal(err)
	}
	if err := a2.NetworkPresence().Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := state(a2); got != "offline" {
		t.Fatalf("after turning it off: %s, want her own presence (offline: she is not logged in)", got)
	}
}

// vCards and PEP items of another server's users are read through
// federation, by the rules their server applies to anyone: bob reads
// alice's vCard and, subscribed to her presence, her PEP nickname; he
// cannot change her vCard, and carol (not subscribed) cannot read the
// nickname.
func TestFederationVCardAndPEPReads(t *testing.T) {
	a, b, _ := federation(t)
	b.AddUser("dave@b.test", "secret")
	alice := online(t, a, "alice", "desk")
	bob := online(t, b, "bob", "phone")
	subscribeBoth(t, alice, bob, "alice@a.test", "bob@b.test")
	mustResult(t, iq(t, alice, "set", "", "<vCard xmlns='vcard-temp'><FN>Alice of A</FN></vCard>"))
	got := mustResult(t, iq(t, bob, "get", "alice@a.test", "<vCard xmlns='vcard-temp'/>"))
	if !xmpptest.Contains(got, "<FN>Alice of A</FN>") || got.Attr("from") != "alice@a.test" {
		t.Fatalf("bob read %s", got)
	}
	if r := iq(t, bob, "set", "alice@a.test", "<vCard xmlns='vcard-temp'><FN>Mallory</FN></vCard>"); r.Attr("type") != "error" {
		t.Fatalf("bob changed alice's vCard: %s", r)
	}
	mustResult(t, iq(t, alice, "set", "", publishXML("http://jabber.org/protocol/nick", "current", "<nick xmlns='http://jabber.org/protocol/nick'>Ally</nick>", "")))
	items := mustResult(t, iq(t, bob, "get", "alice@a.test", "<pubsub xmlns='%s'><items node='http://jabber.org/protocol/nick'/></pubsub>", ns.PubSub))
	if !xmpptest.Contains(items, "<nick xmlns='http://jabber.org/protocol/nick'>Ally</nick>") {
		t.Fatalf("bob read alice's nickname node: %s", items)
	}
	dave := online(t, b, "dave", "r")
	if r := iq(t, dave, "get", "alice@a.test", "<pubsub xmlns='%s'><items node='http://jabber.org/protocol/nick'/></pubsub>", ns.PubSub); r.Attr("type") != "error" {
		t.Fatalf("dave, not subscribed, read alice's presence-only node: %s", r)
	}
}
