package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
)

// Issue 19 item 3 (with item 12's principle): failed SASL logins are
// charged to the account the client named, across addresses, without
// letting the attacker lock the real user out.
func TestLoginThrottlePerAccount(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.Limits.AuthFailuresPerMinute = 5 })
	srv.AddUser("alice@localhost", "secret")
	srv.AddUser("bob@localhost", "secret")
	try := func(from, user, password string) error {
		t.Helper()
		c := srv.DialFrom(from)
		c.Open()
		return c.TryAuthenticate(user, password)
	}
	// Wrong guesses for alice (and for an account that does not exist),
	// one per address, as a distributed attack makes them.
	for _, user := range []string{"alice", "nobody"} {
		for i := range 5 {
			addr := fmt.Sprintf("127.0.0.%d", 10+i)
			if err := try(addr, user, "guess"); err == nil || !strings.Contains(err.Error(), "not-authorized") {
				t.Fatalf("%s, guess %d: %v", user, i, err)
			}
		}
	}
	// The accounts are under attack: an attacking address is refused,
	// even with the right password (so it cannot tell it found it), and
	// an unknown account looks the same.
	for _, user := range []string{"alice", "nobody"} {
		err := try("127.0.0.10", user, "secret")
		if err == nil || !strings.Contains(err.Error(), "temporary-auth-failure") {
			t.Fatalf("%s from an attacking address: %v, want temporary-auth-failure", user, err)
		}
	}
	// The real user, from an address without failures, logs in (slowed
	// down, never refused), and so does another account from an
	// attacking address.
	if err := try("127.0.0.1", "alice", "secret"); err != nil {
		t.Fatalf("alice from her own address during the attack: %v", err)
	}
	if err := try("127.0.0.10", "bob", "secret"); err != nil {
		t.Fatalf("bob from an address that attacked alice: %v", err)
	}
	// PLAIN is gated the same way (over TLS): the right password from an
	// attacking address is refused unchecked.
	c := srv.DialTLSFrom("127.0.0.11")
	c.Open()
	c.Send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHNlY3JldA==</auth>") // \0alice\0secret
	if el := c.Expect("failure"); !xmpptest.Contains(el, "temporary-auth-failure") {
		t.Fatalf("PLAIN from an attacking address: %s", el)
	}
}
