package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
)

// Issue 19 item 10: what a client may make the server parse before it
// logs in is small, namespace declarations are capped, and a connection
// gets a handful of authentication attempts.

// Before authentication an element over max_prelogin_stanza_bytes ends
// the stream; after it, the full stanza limit applies again.
func TestPreloginStanzaLimit(t *testing.T) {
	srv := xmpptest.RunServer(t) // defaults: 16 KiB before login, 256 KiB after
	srv.AddUser("alice@localhost", "secret")
	c := srv.Dial()
	c.Open()
	c.Send("<auth xmlns='%s' mechanism='SCRAM-SHA-256'>%s</auth>", ns.SASL, strings.Repeat("A", 20<<10))
	c.ExpectStreamError("policy-violation")

	alice := srv.Dial()
	alice.Login("alice", "secret", "r")
	alice.Send("<message to='alice@localhost/r' type='chat'><body>%s</body></message>", strings.Repeat("x", 100<<10))
	alice.Expect("message")
	ping(t, alice, "alive")
}

// More prefixed namespace declarations in scope than
// max_namespace_declarations end the stream: resolving prefixed names
// against thousands of them cost ~49 ms of CPU per 210 KB stanza.
func TestNamespaceDeclarationLimit(t *testing.T) {
	srv := newUsers(t, "alice", "bob")
	bob := srv.Dial()
	bob.Login("bob", "secret", "r")
	// 65 declarations over five nested elements (each well within the
	// attribute limit).
	var nested strings.Builder
	for e := range 5 {
		nested.WriteString("<x")
		for i := range 13 {
			fmt.Fprintf(&nested, " xmlns:p%d_%d='urn:x:%d'", e, i, i)
		}
		nested.WriteString(">")
	}
	nested.WriteString("<p0_0:y/>" + strings.Repeat("</x>", 5))
	alice := srv.Dial()
	alice.Login("alice", "secret", "r")
	alice.Send("<message to='bob@localhost/r'>%s</message>", nested.String())
	alice.ExpectStreamError("policy-violation")
	// Before login the same goes for the stream's first element.
	c := srv.Dial()
	c.Open()
	c.Send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>", ns.SASL, nested.String())
	c.ExpectStreamError("policy-violation")
	ping(t, bob, "alive")
}

// A connection gets max_auth_attempts SASL exchanges (RFC 6120 §6.4.5);
// the next ends the stream with <policy-violation/>. Attempts refused
// before STARTTLS count too.
func TestAuthAttemptsPerConnection(t *testing.T) {
	srv := newUsers(t, "alice")
	c := srv.Dial()
	c.Open()
	for i := range 5 {
		if err := c.TryAuthenticate("alice", "wrong"); err == nil || !strings.Contains(err.Error(), "not-authorized") {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	c.Send("<auth xmlns='%s' mechanism='SCRAM-SHA-256'>biwsbj1hbGljZSxyPWFiYw==</auth>", ns.SASL)
	c.ExpectStreamError("policy-violation")

	tlsOnly := xmpptest.RunServer(t, func(c *config.Config) { c.C2S.AllowPlaintext = false })
	c = tlsOnly.Dial()
	c.Open()
	for range 5 {
		c.Send("<auth xmlns='%s' mechanism='SCRAM-SHA-256'>biwsbj1hbGljZSxyPWFiYw==</auth>", ns.SASL)
		if el := c.Expect("failure"); el.Child(ns.SASL, "encryption-required") == nil {
			t.Fatalf("before TLS: %s", el)
		}
	}
	c.Send("<auth xmlns='%s' mechanism='SCRAM-SHA-256'>biwsbj1hbGljZSxyPWFiYw==</auth>", ns.SASL)
	c.ExpectStreamError("policy-violation")

	// A fresh connection, and the right password, work.
	ok := srv.Dial()
	ok.Login("alice", "secret", "r")
	ping(t, ok, "alive")
}
