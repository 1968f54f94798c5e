package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// Issue 19 item 1: stream management queues and waiting sessions are
// bounded.

// smOn logs user in on c with resource, enables resumable stream
// management and sends initial presence.
func smOn(t *testing.T, c *xmpptest.Conn, user, resource string) {
	t.Helper()
	c.Open()
	c.Authenticate(user, "secret")
	c.Open()
	c.Bind(resource)
	c.Send("<enable xmlns='%s' resume='true'/>", ns.SM)
	expectSM(t, c, "enabled")
}

func ping(t *testing.T, c *xmpptest.Conn, id string) {
	t.Helper()
	c.Send("<iq type='get' id='%s' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>", id)
	c.ExpectMatch("ping result "+id, func(el *xml.Element) bool { return el.Name == "iq" && el.Attr("id") == id },
		func(el *xml.Element) bool { return el.Name != "iq" })
}

// A session waiting for a resumption holds at most unacked_queue_bytes:
// past it the session ends and what it held goes to offline storage,
// where its user finds every message at the next login.
func TestWaitingSessionQueueIsCappedInBytes(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.Limits.UnackedQueueBytes = 1 << 20 })
	srv.AddUser("alice@localhost", "secret")
	srv.AddUser("bob@localhost", "secret")
	alice := srv.Dial()
	smOn(t, alice, "alice", "phone")
	alice.Send("<presence/>")
	alice.Drop()
	waitHibernating(t, srv, 1)

	bob := online(t, srv, "bob", "desk")
	body := strings.Repeat("x", 100<<10)
	const n = 20 // 2 MB for a session allowed to hold 1 MB
	for i := range n {
		bob.Send("<message to='alice@localhost/phone' type='chat'><body>%02d %s</body></message>", i, body)
	}
	xmpptest.WaitFor(t, "the waiting session to end past its byte cap", func() bool {
		return gaugeValue(srv, "parley_c2s_hibernating_sessions") == 0 && !srv.Router().Online("alice@localhost")
	})
	ping(t, bob, "alive") // the sender is unaffected

	// Nothing is lost: every message waits in offline storage. (Those
	// sent while the session was ending may be stored before the ones it
	// held: the order across that moment is not kept.)
	again := online(t, srv, "alice", "laptop")
	got := map[string]bool{}
	for range n {
		el := again.ExpectMatch("message", func(el *xml.Element) bool { return el.Name == "message" }, isAny)
		if b := el.Child(ns.Client, "body"); b != nil && len(b.Text) > 2 {
			got[b.Text[:2]] = true
		}
	}
	for i := range n {
		if !got[fmt.Sprintf("%02d", i)] {
			t.Errorf("message %02d lost", i)
		}
	}
}

// Sessions waiting for a resumption count against the per-address
// connection limit; a new live connection from that address ends the
// oldest of them rather than exceed the limit, and once every slot is
// live the next connection is refused. Other addresses are unaffected.
func TestWaitingSessionsCountPerAddress(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.Limits.MaxConnectionsPerIP = 3 })
	srv.AddUser("alice@localhost", "secret")
	srv.AddUser("bob@localhost", "secret")
	for i := range 3 {
		c := srv.DialFrom("127.0.0.2")
		smOn(t, c, "alice", fmt.Sprintf("r%d", i))
		c.Drop()
	}
	waitHibernating(t, srv, 3)
	for i := range 3 {
		c := srv.DialFrom("127.0.0.2")
		c.Open()
		waitHibernating(t, srv, float64(2-i))
	}
	if c := srv.DialFrom("127.0.0.2"); !c.Refused() {
		t.Fatal("a fourth live connection from one address was served (limit 3)")
	}
	bob := srv.Dial() // 127.0.0.1
	bob.Login("bob", "secret", "desk")
	ping(t, bob, "alive")
}

// Waiting sessions count against the total connection limit too.
func TestWaitingSessionsCountInTotal(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.Limits.MaxConnections = 2 })
	srv.AddUser("alice@localhost", "secret")
	srv.AddUser("bob@localhost", "secret")
	for i := range 2 {
		c := srv.DialFrom("127.0.0.2")
		smOn(t, c, "alice", fmt.Sprintf("r%d", i))
		c.Drop()
	}
	waitHibernating(t, srv, 2)
	bob := srv.DialFrom("127.0.0.3")
	bob.Login("bob", "secret", "desk")
	waitHibernating(t, srv, 1)
	other := srv.DialFrom("127.0.0.4")
	other.Open()
	waitHibernating(t, srv, 0)
	if c := srv.DialFrom("127.0.0.5"); !c.Refused() {
		t.Fatal("a third connection was served (limit 2)")
	}
	ping(t, bob, "alive")
}

// An account has at most max_sessions_per_account sessions, waiting
// ones included: a new resource at the limit ends the account's waiting
// session, or is refused with <resource-constraint/>; replacing one of
// its resources is always allowed.
func TestSessionsPerAccount(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.Limits.MaxSessionsPerAccount = 2 })
	srv.AddUser("alice@localhost", "secret")
	srv.AddUser("bob@localhost", "secret")
	bob := srv.Dial()
	bob.Login("bob", "secret", "desk")
	r1 := srv.Dial()
	r1.Login("alice", "secret", "r1")
	r2 := srv.Dial()
	smOn(t, r2, "alice", "r2")

	bindFails := func(resource string) {
		t.Helper()
		c := srv.Dial()
		c.Open()
		c.Authenticate("alice", "secret")
		c.Open()
		c.Send("<iq type='set' id='bind'><bind xmlns='%s'><resource>%s</resource></bind></iq>", ns.Bind, resource)
		el := c.Expect("iq")
		if el.Attr("type") != "error" || el.Child(ns.Client, "error").Child(ns.Stanzas, "resource-constraint") == nil {
			t.Fatalf("third session %s: %s", resource, el)
		}
	}
	bindFails("r3")
	// Replacing r1 is no new session.
	again := srv.Dial()
	again.Login("alice", "secret", "r1")
	r1.ExpectStreamError("conflict")
	// A waiting session gives way to a new one.
	r2.Drop()
	waitHibernating(t, srv, 1)
	r3 := srv.Dial()
	r3.Login("alice", "secret", "r3")
	waitHibernating(t, srv, 0)
	bindFails("r4")
	ping(t, r3, "r3")
	ping(t, bob, "bob")
}
