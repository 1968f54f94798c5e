package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

func TestStreamFeaturesRequireTLSByDefault(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.C2S.AllowPlaintext = false })
	c := srv.Dial()
	f := c.Open()
	st := f.Child(ns.TLS, "starttls")
	if st == nil || st.Child(ns.TLS, "required") == nil {
		t.Fatalf("want <starttls><required/></starttls>, got %s", f.String())
	}
	if f.Child(ns.SASL, "mechanisms") != nil {
		t.Fatalf("mechanisms offered before TLS: %s", f.String())
	}
	// Authenticating before STARTTLS is refused.
	c.Send("<auth xmlns='%s' mechanism='SCRAM-SHA-256'>biwsbj11c2VyLHI9YWJj</auth>", ns.SASL)
	el := c.Expect("failure")
	if el.Child(ns.SASL, "encryption-required") == nil {
		t.Fatalf("want encryption-required, got %s", el.String())
	}
	// Any stanza before TLS ends the stream.
	c.Send("<message to='x@localhost'><body>hi</body></message>")
	c.ExpectStreamError("not-authorized")
}

func TestPlaintextMechanismsNeverOfferPLAIN(t *testing.T) {
	srv := xmpptest.RunServer(t)
	c := srv.Dial()
	f := c.Open()
	mechs := f.Child(ns.SASL, "mechanisms")
	if mechs == nil {
		t.Fatalf("no mechanisms: %s", f.String())
	}
	var names []string
	for _, m := range mechs.Children {
		names = append(names, m.Text)
	}
	got := strings.Join(names, ",")
	// OAUTHBEARER takes only the single-use tickets of Parley's own
	// pages (webui/session), never a password.
	if got != "SCRAM-SHA-256,SCRAM-SHA-1,OAUTHBEARER" {
		t.Fatalf("mechanisms over plaintext = %s", got)
	}
	c.Send("<auth xmlns='%s' mechanism='PLAIN'>AHVzZXIAcGFzcw==</auth>", ns.SASL)
	if el := c.Expect("failure"); el.Child(ns.SASL, "invalid-mechanism") == nil {
		t.Fatalf("PLAIN over plaintext: %s", el.String())
	}
}

func TestDirectTLSOffersPLAIN(t *testing.T) {
	srv := xmpptest.RunServer(t)
	srv.AddUser("alice@localhost", "secret")
	c := srv.DialTLS()
	f := c.Open()
	if !xmpptest.Contains(f, ">PLAIN<") || f.Child(ns.TLS, "starttls") != nil {
		t.Fatalf("direct TLS features: %s", f.String())
	}
	c.Send("<auth xmlns='%s' mechanism='PLAIN'>AGFsaWNlAHNlY3JldA==</auth>", ns.SASL) // \0alice\0secret
	c.Expect("success")
	c.Open()
	c.Bind("laptop")
	if c.JID != "alice@localhost/laptop" {
		t.Fatalf("bound %q", c.JID)
	}
}

func TestBadCredentials(t *testing.T) {
	srv := xmpptest.RunServer(t)
	srv.AddUser("alice@localhost", "secret")
	for _, tc := range []struct{ user, pass string }{{"alice", "wrong"}, {"nobody", "secret"}} {
		c := srv.Dial()
		c.Open()
		err := c.TryAuthenticate(tc.user, tc.pass)
		if err == nil || !strings.Contains(err.Error(), "not-authorized") {
			t.Fatalf("%s/%s: want not-authorized, got %v", tc.user, tc.pass, err)
		}
		// The client may retry on the same stream.
		if tc.user == "alice" {
			c.Authenticate("alice", "secret")
		}
	}
}

func TestAuthFailureRateLimit(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.Limits.AuthFailuresPerMinute = 2 })
	srv.AddUser("alice@localhost", "secret")
	c := srv.Dial()
	c.Open()
	for i := 0; i < 2; i++ {
		if err := c.TryAuthenticate("alice", "wrong"); err == nil || !strings.Contains(err.Error(), "not-authorized") {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	err := c.TryAuthenticate("alice", "secret")
	if err == nil || !strings.Contains(err.Error(), "temporary-auth-failure") {
		t.Fatalf("after the failure budget: want temporary-auth-failure, got %v", err)
	}
}

func TestBindGeneratedResourceAndSession(t *testing.T) {
	srv := xmpptest.RunServer(t)
	srv.AddUser("alice@localhost", "secret")
	c := srv.Dial()
	c.Open()
	c.Authenticate("alice", "secret")
	f := c.Open()
	if f.Child(ns.Bind, "bind") == nil || f.Child(ns.Session, "session") == nil || f.Child(ns.Session, "session").Child(ns.Session, "optional") == nil {
		t.Fatalf("post-auth features: %s", f.String())
	}
	c.Bind("")
	if !strings.HasPrefix(c.JID, "alice@localhost/") || len(c.JID) <= len("alice@localhost/") {
		t.Fatalf("generated resource: %q", c.JID)
	}
	c.Send("<iq type='set' id='s1'><session xmlns='%s'/></iq>", ns.Session)
	if el := c.Expect("iq"); el.Attr("type") != "result" || el.Attr("id") != "s1" {
		t.Fatalf("session: %s", el.String())
	}
}

func TestStanzaBeforeBindIsRefused(t *testing.T) {
	srv := xmpptest.RunServer(t)
	srv.AddUser("alice@localhost", "secret")
	c := srv.Dial()
	c.Open()
	c.Authenticate("alice", "secret")
	c.Open()
	c.Send("<message to='bob@localhost'><body>early</body></message>")
	c.ExpectStreamError("not-authorized")
}

func TestResourceConflictNewSessionWins(t *testing.T) {
	srv := xmpptest.RunServer(t)
	srv.AddUser("alice@localhost", "secret")
	old := srv.Dial()
	old.Login("alice", "secret", "phone")
	c := srv.Dial()
	c.Login("alice", "secret", "phone")
	old.ExpectStreamError("conflict")
	c.Send("<iq type='get' id='p' to='localhost'><ping xmlns='%s'/></iq>", ns.Ping)
	if el := c.Expect("iq"); el.Attr("type") != "result" {
		t.Fatalf("new session not usable: %s", el.String())
	}
}

func TestStreamErrors(t *testing.T) {
	srv := xmpptest.RunServer(t)
	srv.AddUser("alice@localhost", "secret")
	cases := []struct {
		name   string
		header string
		after  string
		cond   string
	}{
		{"host-unknown", "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.org' version='1.0'>", "", "host-unknown"},
		{"invalid-namespace", "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>", "", "invalid-namespace"},
		{"bad-stream-namespace", "<stream:stream xmlns='jabber:client' xmlns:stream='urn:wrong' to='localhost' version='1.0'>", "", "invalid-namespace"},
		{"unsupported-version", "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost'>", "", "unsupported-version"},
		{"not-well-formed", "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>", "<message to=bob/>", "not-well-formed"},
		{"restricted-xml", "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>", "<!-- comment -->", "restricted-xml"},
		{"doctype", "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>", "<!DOCTYPE foo [<!ENTITY x 'y'>]>", "restricted-xml"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := srv.Dial()
			c.Send("%s", tc.header+tc.after)
			h, err := c.ReadHeaderErr()
			if err != nil {
				t.Fatalf("no stream header before the error: %v", err)
			}
			_ = h
			if tc.after != "" {
				c.Expect("features")
			}
			c.ExpectStreamError(tc.cond)
		})
	}
}

func TestStanzaTooLarge(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.Limits.MaxStanzaBytes = 4096 })
	srv.AddUser("alice@localhost", "secret")
	c := srv.Dial()
	c.Login("alice", "secret", "r")
	c.Send("<message to='alice@localhost'><body>%s</body></message>", strings.Repeat("x", 5000))
	c.ExpectStreamError("policy-violation")
}

// A 'from' that is not the session's address is replaced by it (RFC 6120
// §8.1.2.1 allows checking or overriding; overriding keeps careless
// clients connected), so it can never spoof another entity.
func TestForeignFromIsReplaced(t *testing.T) {
	srv := xmpptest.RunServer(t)
	srv.AddUser("alice@localhost", "secret")
	srv.AddUser("bob@localhost", "secret")
	alice := srv.Dial()
	alice.Login("alice", "secret", "r")
	bob := srv.Dial()
	bob.Login("bob", "secret", "desk")
	bob.Send("<presence/>")
	bob.Expect("presence")
	for _, from := range []string{"carol@localhost/x", "alice@localhost/other", "room@conference.localhost/alice", "not a jid@@"} {
		alice.Send("<message from='%s' to='bob@localhost/desk' type='chat'><body>from %s</body></message>", from, from)
		m := bob.Expect("message")
		if m.Attr("from") != "alice@localhost/r" {
			t.Errorf("sent with from=%q: bob got it from %q, want alice@localhost/r", from, m.Attr("from"))
		}
	}
}

func TestUnsupportedStanzaType(t *testing.T) {
	srv := xmpptest.RunServer(t)
	srv.AddUser("alice@localhost", "secret")
	c := srv.Dial()
	c.Login("alice", "secret", "r")
	c.Send("<foo xmlns='urn:example'/>")
	c.ExpectStreamError("unsupported-stanza-type")
}

func TestHandshakeTimeout(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.C2S.HandshakeTimeout = config.Duration{Duration: 300 * time.Millisecond} })
	c := srv.Dial()
	c.Open()
	c.ExpectStreamError("connection-timeout")
}

func TestServerPingsIdleClientAndDropsDeadOne(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) {
		c.C2S.PingInterval = config.Duration{Duration: 200 * time.Millisecond}
		c.C2S.PingTimeout = config.Duration{Duration: 200 * time.Millisecond}
	})
	srv.AddUser("alice@localhost", "secret")
	c := srv.Dial()
	c.Login("alice", "secret", "r")
	// A live client answers the ping and stays connected.
	ping := c.Expect("iq")
	if ping.Child(ns.Ping, "ping") == nil || ping.Attr("type") != "get" {
		t.Fatalf("want a server ping, got %s", ping.String())
	}
	c.Send("<iq type='result' id='%s' to='localhost'/>", ping.Attr("id"))
	ping = c.Expect("iq")
	if ping.Child(ns.Ping, "ping") == nil {
		t.Fatalf("want a second ping, got %s", ping.String())
	}
	// A dead client (no answer) is disconnected.
	c.ExpectStreamError("connection-timeout")
	xmpptest.WaitFor(t, "session removed", func() bool { return srv.Router().Count() == 0 })
}

func TestGracefulShutdownSendsSystemShutdown(t *testing.T) {
	srv := xmpptest.RunServer(t)
	srv.AddUser("alice@localhost", "secret")
	c := srv.Dial()
	c.Login("alice", "secret", "r")
	go srv.Stop(context.Background())
	c.ExpectStreamError("system-shutdown")
}

// Each restarted stream (after STARTTLS, after SASL success) gets a new
// id (RFC 6120 §4.7.3, §5.4.3.3, §6.4.6).
func TestStreamRestartsGetNewIDs(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.C2S.AllowPlaintext = false })
	srv.AddUser("alice@localhost", "secret")
	c := srv.Dial()
	c.Open()
	ids := []string{c.Header.Attr("id")}
	c.StartTLS()
	c.Open()
	ids = append(ids, c.Header.Attr("id"))
	c.Authenticate("alice", "secret")
	c.Open()
	ids = append(ids, c.Header.Attr("id"))
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || seen[id] {
			t.Fatalf("stream ids (initial, after STARTTLS, after SASL) = %q: want three different ids", ids)
		}
		seen[id] = true
	}
	c.Bind("r")
}

// A stanza with a mismatched end tag ends the stream with
// <not-well-formed/> as soon as the bad end tag arrives (the client
// sends nothing after it), before and after authentication.
func TestMismatchedEndTagEndsStreamAtOnce(t *testing.T) {
	srv := xmpptest.RunServer(t)
	srv.AddUser("alice@localhost", "secret")
	srv.AddUser("bob@localhost", "secret")
	bob := srv.Dial()
	bob.Login("bob", "secret", "r")
	for _, stage := range []string{"before auth", "after auth", "bound"} {
		t.Run(stage, func(t *testing.T) {
			c := srv.Dial()
			c.Open()
			switch stage {
			case "after auth":
				c.Authenticate("alice", "secret")
				c.Open()
			case "bound":
				c.Authenticate("alice", "secret")
				c.Open()
				c.Bind("r")
			}
			c.Send("<message to='bob@localhost/r'><body>oops</mess>")
			c.ExpectStreamError("not-well-formed")
		})
	}
	// The legitimate session beside them works.
	bob.Send("<iq type='get' id='alive' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
	bob.ExpectMatch("ping result", func(el *xml.Element) bool { return el.Attr("id") == "alive" }, isAny)
}

// A stream header over 8 KB gets a stream error after a stream header
// of ours (RFC 6120 §4.9.1.2), so that its stream: prefix is bound.
func TestOversizedStreamHeader(t *testing.T) {
	srv := xmpptest.RunServer(t)
	srv.AddUser("alice@localhost", "secret")
	c := srv.Dial()
	c.Send("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0' x='%s'>", strings.Repeat("a", 9<<10))
	h, err := c.ReadHeaderErr()
	if err != nil {
		t.Fatalf("no stream header before the error: %v", err)
	}
	if h.Attr("from") != "localhost" || h.Attr("id") == "" {
		t.Fatalf("header %s", h)
	}
	c.ExpectStreamError("policy-violation")
	ok := srv.Dial()
	ok.Login("alice", "secret", "r")
}
