package server_test

import (
	"testing"
	"time"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
)

// Issue 19 item 9: connections that have not logged in have a pool of
// their own, in total and per address, and a shorter deadline.

// Idle unauthenticated connections from a few addresses fill the
// pre-login pool; a legitimate login still gets in (the address holding
// the most pre-login slots gives way), and one address cannot hold more
// than its share.
func TestPreloginPoolCannotLockOutLogins(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) {
		c.Limits.MaxPreloginConnections = 5
		c.Limits.MaxPreloginConnectionsPerIP = 3
	})
	srv.AddUser("alice@localhost", "secret")
	srv.AddUser("bob@localhost", "secret")

	// 127.0.0.3 holds three slots, the oldest by a client that never even
	// sends its stream header; 127.0.0.2 holds two.
	silent := srv.DialFrom("127.0.0.3")
	xmpptest.WaitFor(t, "the silent connection to be admitted", func() bool {
		return gaugeVecSum(srv, "parley_c2s_connections") == 1
	})
	for range 2 {
		srv.DialFrom("127.0.0.3").Open()
	}
	if c := srv.DialFrom("127.0.0.3"); !c.Refused() {
		t.Fatal("a fourth unauthenticated connection from one address was served (limit 3)")
	}
	for range 2 {
		srv.DialFrom("127.0.0.2").Open()
	}

	// The pool is full: alice's login takes the slot of 127.0.0.3's
	// oldest connection, which gets a stream header and
	// <policy-violation/>.
	alice := srv.Dial()
	alice.Login("alice", "secret", "desk")
	if _, err := silent.ReadHeaderErr(); err != nil {
		t.Fatalf("the connection that gave way got no stream header: %v", err)
	}
	silent.ExpectStreamError("policy-violation")

	// Logged-in sessions hold no pre-login slot: the pool has room for
	// one more, then bob's login makes room again.
	srv.DialFrom("127.0.0.4").Open()
	bob := srv.Dial()
	bob.Login("bob", "secret", "desk")
	ping(t, alice, "alice")
	ping(t, bob, "bob")
}

// An unauthenticated connection gets limits.prelogin_timeout, much
// shorter than the handshake timeout; a logged-in one is not cut by it.
func TestPreloginDeadline(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) {
		c.Limits.PreloginTimeout = config.Duration{Duration: 300 * time.Millisecond}
		c.C2S.HandshakeTimeout = config.Duration{Duration: time.Minute}
	})
	srv.AddUser("alice@localhost", "secret")
	alice := srv.Dial()
	alice.Login("alice", "secret", "desk")
	idle := srv.Dial()
	idle.Open()
	idle.ExpectStreamError("connection-timeout")
	// By now alice's connection is older than the pre-login deadline.
	ping(t, alice, "alive")
	// Authenticated but not yet bound: the handshake deadline applies.
	c := srv.Dial()
	c.Open()
	c.Authenticate("alice", "secret")
	slow := srv.Dial()
	slow.Open()
	slow.ExpectStreamError("connection-timeout")
	if f := c.Open(); f.Child(ns.Bind, "bind") == nil {
		t.Fatalf("features after authentication: %s", f)
	}
	c.Bind("late")
}
