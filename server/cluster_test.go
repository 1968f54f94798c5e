package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/parley-im/parley/conference"
	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/pgtest"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// runCluster starts n nodes sharing one PostgreSQL database (a fresh
// schema) and one NATS server started by the test, as docs/cluster.md
// describes with an external NATS. Heartbeats are fast so that the
// tests wait little.
func runCluster(t testing.TB, n int, opts ...xmpptest.Options) []*xmpptest.Server {
	t.Helper()
	pg := pgtest.Shared(t)
	dsn := pg.NewSchema(t)
	ns := natsServer(t)
	nodes := make([]*xmpptest.Server, n)
	for i := range nodes {
		nodes[i] = xmpptest.RunServer(t, append([]xmpptest.Options{func(c *config.Config) {
			c.Storage.Driver, c.Storage.DSN, c.Storage.MaxConnections = "postgres", dsn, 4
			c.NATS.Listen, c.NATS.URL = "", ns.ClientURL()
			c.Cluster.Node = fmt.Sprintf("n%d", i+1)
			c.Cluster.Heartbeat.Duration = 100 * time.Millisecond
			c.Cluster.PeerTimeout.Duration = time.Second
			c.Cluster.DrainTimeout.Duration = 10 * time.Second
		}}, opts...)...)
	}
	for _, s := range nodes {
		xmpptest.WaitFor(t, "every node to see the others", func() bool {
			peers := s.Cluster().Peers()
			if len(peers) != n-1 {
				return false
			}
			for _, p := range peers {
				if !p.Synced {
					return false
				}
			}
			return true
		})
	}
	return nodes
}

func natsServer(t testing.TB) *natsserver.Server {
	t.Helper()
	srv, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: natsserver.RANDOM_PORT, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	return srv
}

func isMessageWith(body string) func(*xml.Element) bool {
	return func(el *xml.Element) bool {
		b := el.Child(ns.Client, "body")
		return el.Name == "message" && b != nil && b.Text == body
	}
}

// Clients on different nodes chat, see each other's presence, get their
// carbons and their offline messages.
func TestClusterChatAndPresence(t *testing.T) {
	nodes := runCluster(t, 3)
	n1, n2, n3 := nodes[0], nodes[1], nodes[2]
	n1.AddUser("alice@localhost", "secret") // one store: a user added on any node
	n1.AddUser("bob@localhost", "secret")

	alice := online(t, n1, "alice", "laptop")
	bob := online(t, n2, "bob", "phone")
	subscribeBoth(t, alice, bob, "alice@localhost", "bob@localhost")

	// A chat message from n1 to n2, and back.
	alice.Send("<message to='bob@localhost' type='chat' id='m1'><body>hello from n1</body></message>")
	got := bob.ExpectMatch("alice's message", isMessageWith("hello from n1"), isAny)
	if got.Attr("from") != alice.JID || got.Child(ns.StanzaID, "stanza-id") == nil {
		t.Fatalf("message across nodes: %s", got)
	}
	bob.Send("<message to='%s' type='chat'><body>hi from n2</body></message>", alice.JID)
	alice.ExpectMatch("bob's reply", isMessageWith("hi from n2"), isAny)

	// Presence: bob goes away on n2, alice on n1 sees it.
	bob.Send("<presence><show>away</show></presence>")
	alice.ExpectMatch("bob away", func(el *xml.Element) bool {
		s := el.Child(ns.Client, "show")
		return el.Name == "presence" && el.Attr("from") == bob.JID && s != nil && s.Text == "away"
	}, isAny)

	// Alice's second resource on n3 with carbons gets a copy of what
	// bob sends to her laptop, and sees her other resource's presence.
	tablet := n3.Dial()
	tablet.Login("alice", "secret", "tablet")
	tablet.Send("<iq type='set' id='c'><enable xmlns='%s'/></iq>", ns.Carbons)
	tablet.ExpectMatch("carbons on", func(el *xml.Element) bool { return el.Name == "iq" && el.Attr("id") == "c" }, isAny)
	tablet.Send("<presence/>")
	tablet.ExpectMatch("the laptop's presence", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("from") == alice.JID
	}, isAny)
	bob.Send("<message to='%s' type='chat'><body>to the laptop</body></message>", alice.JID)
	alice.ExpectMatch("the original", isMessageWith("to the laptop"), isAny)
	tablet.ExpectMatch("the carbon", func(el *xml.Element) bool {
		return el.Name == "message" && el.Child(ns.Carbons, "received") != nil &&
			strings.Contains(el.String(), "to the laptop")
	}, isAny)

	// Bob leaves; a message for him waits in offline storage and reaches
	// him when he logs in on another node.
	bob.Close()
	alice.ExpectMatch("bob unavailable", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("type") == "unavailable" && el.Attr("from") == bob.JID
	}, isAny)
	alice.Send("<message to='bob@localhost' type='chat'><body>while you were out</body></message>")
	xmpptest.WaitFor(t, "the offline message stored", func() bool {
		n, _ := n1.Store().CountOffline(t.Context(), "bob@localhost")
		return n == 1
	})
	bob2 := n3.Dial()
	bob2.Login("bob", "secret", "desk")
	bob2.Send("<presence/>")
	bob2.ExpectMatch("the offline message", isMessageWith("while you were out"), isAny)
}

// A user on each node shares a room; each sees the others' messages.
func TestClusterSharedRoom(t *testing.T) {
	nodes := runCluster(t, 3)
	var conns []*xmpptest.Conn
	for i, s := range nodes {
		user := fmt.Sprintf("u%d", i)
		s.AddUser(user+"@localhost", "secret")
		c := s.Dial()
		c.Login(user, "secret", "r")
		c.Send("<presence to='lobby@conference.localhost/%s'><x xmlns='http://jabber.org/protocol/muc'/></presence>", user)
		c.ExpectMatch("self-presence in the room", func(el *xml.Element) bool {
			return el.Name == "presence" && el.Attr("from") == "lobby@conference.localhost/"+user &&
				strings.Contains(el.String(), "status code='110'")
		}, isAny)
		if i == 0 {
			// The creator accepts the default configuration (instant room).
			c.Send("<iq type='set' to='lobby@conference.localhost' id='cfg'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>")
			c.ExpectMatch("room configured", func(el *xml.Element) bool { return el.Name == "iq" && el.Attr("id") == "cfg" }, isAny)
		}
		conns = append(conns, c)
	}
	holders := 0
	for _, s := range nodes {
		if s.MUC().Loaded("lobby@conference.localhost") {
			holders++
		}
	}
	if holders != 1 {
		t.Fatalf("the room is held by %d nodes, want 1", holders)
	}
	conns[2].Send("<message to='lobby@conference.localhost' type='groupchat'><body>hello room</body></message>")
	for i, c := range conns {
		got := c.ExpectMatch(fmt.Sprintf("the room message at u%d", i), isMessageWith("hello room"), isAny)
		if got.Attr("from") != "lobby@conference.localhost/u2" {
			t.Fatalf("from %q", got.Attr("from"))
		}
	}
}

// The same full JID bound on two nodes: the newer session wins.
func TestClusterResourceConflict(t *testing.T) {
	nodes := runCluster(t, 2)
	nodes[0].AddUser("carol@localhost", "secret")
	first := nodes[0].Dial()
	first.Login("carol", "secret", "desk")
	xmpptest.WaitFor(t, "n2 to see carol", func() bool { return nodes[1].Router().Online("carol@localhost") })
	second := nodes[1].Dial()
	second.Login("carol", "secret", "desk")
	first.ExpectStreamError("conflict")
	xmpptest.WaitFor(t, "n1 to forget the old session", func() bool { return nodes[0].Router().Count() == 0 })
	if !nodes[0].Router().Online("carol@localhost") {
		t.Fatal("the new session is not seen from n1")
	}
}

// The integration services of any node answer for users on any node.
func TestClusterPresenceFromAnyNode(t *testing.T) {
	nodes := runCluster(t, 3)
	nodes[0].AddUser("dave@localhost", "secret")
	_, _, tok := presenceSite(t, nodes[0])
	dave := online(t, nodes[0], "dave", "desk", "<show>dnd</show><status>busy</status>")
	_ = dave
	js := presenceURL(tok, "R_UID=dave@localhost&R_MODE=JS")
	for i, s := range nodes {
		xmpptest.WaitFor(t, fmt.Sprintf("node %d to answer dnd", i+1), func() bool {
			_, _, body := httpGet(t, s, js)
			return string(body) == "var status = \"busy\";\nvar show = \"DND\";\n"
		})
	}
}

// A drained node gives its rooms away, fails its health check, and
// sends its clients elsewhere with <see-other-host/>.
func TestClusterDrain(t *testing.T) {
	nodes := runCluster(t, 2, func(c *config.Config) { c.Cluster.Advertise = "other.example:5222" })
	nodes[0].AddUser("erin@localhost", "secret")
	c := nodes[0].Dial()
	c.Login("erin", "secret", "r")
	out, err := nodes[0].Drain(t.Context())
	if err != nil {
		t.Fatalf("drain: %v (%s)", err, out)
	}
	el := c.Next()
	host := el.Child(ns.Streams, "see-other-host")
	if el.Name != "error" || host == nil || host.Text != "other.example:5222" {
		t.Fatalf("got %s, want <see-other-host>other.example:5222</see-other-host>", el)
	}
	if code, _, body := httpGet(t, nodes[0], "/healthz"); code != 503 || !strings.HasPrefix(string(body), "draining") {
		t.Fatalf("healthz of a drained node: %d %q", code, body)
	}
	if code, _, body := httpGet(t, nodes[1], "/healthz"); code != 200 || !strings.Contains(string(body), "peers 1 [n1 (draining)]") {
		t.Fatalf("healthz of its peer: %d %q", code, body)
	}
}

// A web conference lives on the node that holds its room: ended from
// another node, its people are let out there.
func TestClusterConferenceEndedFromAnotherNode(t *testing.T) {
	nodes := runCluster(t, 3)
	nodes[0].AddUser("alice@localhost", "secret")
	it := &itest{t: t, srv: nodes[0], base: "http://" + nodes[0].Addr("http").String()}
	siteID, _ := it.site("cluster-site", "PRECONFERENCE")
	start, end := time.Now(), time.Now().Add(time.Hour)
	r, err := nodes[0].Conferences().Schedule(t.Context(), conference.Caller{Site: siteID}, conference.Spec{Title: "Standup",
		Type: conference.TypeRegular, Start: &start, End: &end, Host: &conference.Person{UserID: "alice"}}, it.base)
	if err != nil {
		t.Fatal(err)
	}
	room := "conf" + r.Conference.ID
	alice := mucLogin(t, nodes[1], "alice")
	join(t, alice, room, "Alice", "")
	holder := -1
	for i, s := range nodes {
		if s.MUC().Loaded(room + "@conference.localhost") {
			holder = i
		}
	}
	if holder < 0 {
		t.Fatal("no node holds the conference room")
	}
	other := (holder + 1) % 3
	if err := nodes[other].Conferences().End(t.Context(), r.Conference.ID, conference.EndForced); err != nil {
		t.Fatalf("End on node %d (room on node %d): %v", other+1, holder+1, err)
	}
	alice.ExpectMatch("the room destroyed", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("type") == "unavailable" && strings.Contains(el.String(), "<destroy")
	}, isAny)
	c, err := nodes[2].Conferences().Lookup(t.Context(), r.Conference.ID)
	if err != nil || c.State != store.ConferenceEnded {
		t.Fatalf("after End: %+v %v", c, err)
	}
}
