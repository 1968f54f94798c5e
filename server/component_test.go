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

const pushSecret = "a-secret-of-the-push-app-server"

// withComponents opens the XEP-0114 listener for push.localhost.
func withComponents(c *config.Config) {
	c.Components.Listen = "127.0.0.1:0"
	c.Components.Secrets = []string{"push.localhost=" + pushSecret}
}

func componentServer(t *testing.T, users ...string) *xmpptest.Server {
	srv := xmpptest.RunServer(t, withComponents)
	for _, u := range users {
		srv.AddUser(u+"@localhost", "secret")
	}
	return srv
}

// A component and a user exchange stanzas; on the wire the component
// speaks jabber:component:accept, the user jabber:client.
func TestComponentRouting(t *testing.T) {
	srv := componentServer(t, "alice")
	comp := srv.DialComponent()
	comp.ComponentLogin("push.localhost", pushSecret)
	alice := online(t, srv, "alice", "desk")

	comp.Send("<message from='bot@push.localhost/x' to='alice@localhost/desk' type='chat'><body>hi from a component</body></message>")
	m := alice.ExpectMatch("the component's message", func(el *xml.Element) bool { return el.Name == "message" }, isPresence)
	if m.Space != ns.Client || m.Attr("from") != "bot@push.localhost/x" || m.Child(ns.Client, "body") == nil {
		t.Fatalf("alice got %s, want a jabber:client message from bot@push.localhost/x with its body", m)
	}
	// A message without from is stamped with the component's domain; one
	// to the bare JID goes to the available resource.
	comp.Send("<message to='alice@localhost'><body>stamped</body></message>")
	m = alice.ExpectMatch("the stamped message", func(el *xml.Element) bool { return el.Name == "message" }, isPresence)
	if m.Attr("from") != "push.localhost" {
		t.Fatalf("stamped from %q, want push.localhost", m.Attr("from"))
	}

	alice.Send("<iq type='get' id='v1' to='push.localhost'><query xmlns='jabber:iq:version'/></iq>")
	iq := comp.Expect("iq")
	if iq.Space != ns.ComponentAccept || iq.Attr("from") != "alice@localhost/desk" || iq.Attr("to") != "push.localhost" ||
		iq.Child(ns.ComponentAccept, "query") != nil || iq.Child("jabber:iq:version", "query") == nil {
		t.Fatalf("component got %s", iq)
	}
	comp.Send("<iq type='result' id='v1' from='push.localhost' to='alice@localhost/desk'><query xmlns='jabber:iq:version'><name>pushd</name></query></iq>")
	res := alice.Expect("iq")
	if res.Attr("type") != "result" || res.Attr("id") != "v1" || !strings.Contains(res.String(), "pushd") {
		t.Fatalf("alice got %s", res)
	}

	// The component's own iq requests are answered (RFC 6120 §8.2.3): by
	// the server's handlers when addressed to the server, with an error
	// when no session takes them.
	comp.Send("<iq type='get' id='d1' from='push.localhost' to='localhost'><query xmlns='%s'/></iq>", ns.DiscoInfo)
	if r := comp.Expect("iq"); r.Attr("type") != "result" || r.Attr("id") != "d1" || !xmpptest.Contains(r, "var='"+ns.Ping+"'") {
		t.Fatalf("disco#info of the server for a component: %s", r)
	}
	comp.Send("<iq type='get' id='p1' from='push.localhost' to='localhost'><ping xmlns='%s'/></iq>", ns.Ping)
	if r := comp.Expect("iq"); r.Attr("type") != "result" || r.Attr("id") != "p1" {
		t.Fatalf("ping of the server: %s", r)
	}
	for _, to := range []string{"alice@localhost/gone", "nobody@localhost"} {
		comp.Send("<iq type='get' id='u1' from='push.localhost' to='%s'><query xmlns='jabber:iq:version'/></iq>", to)
		if r := comp.Expect("iq"); r.Attr("type") != "error" || !xmpptest.Contains(r, "service-unavailable") {
			t.Fatalf("iq to %s: %s, want service-unavailable", to, r)
		}
	}

	// A stanza to an unknown component domain still bounces.
	alice.Send("<message to='nobody@gone.localhost' type='chat'><body>x</body></message>")
	e := alice.Expect("message")
	if e.Attr("type") != "error" || e.Child(ns.Client, "error") == nil {
		t.Fatalf("message to an unserved domain: %s", e)
	}
}

func TestComponentHandshakeErrors(t *testing.T) {
	srv := componentServer(t)

	c := srv.DialComponent()
	h := c.OpenComponent("push.localhost")
	c.Send("<handshake>%s</handshake>", xmpptest.HandshakeDigest(h.Attr("id"), "not the secret"))
	c.ExpectStreamError("not-authorized")

	c = srv.DialComponent()
	c.OpenComponent("other.localhost")
	c.ExpectStreamError("host-unknown")

	c = srv.DialComponent()
	c.Send("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='push.localhost'>")
	if _, err := c.ReadHeaderErr(); err != nil {
		t.Fatal(err)
	}
	c.ExpectStreamError("invalid-namespace")

	// The handshake digest is hex in any case.
	first := srv.DialComponent()
	h = first.OpenComponent("push.localhost")
	first.Send("<handshake>%s</handshake>", strings.ToUpper(xmpptest.HandshakeDigest(h.Attr("id"), pushSecret)))
	first.Expect("handshake")

	// The domain is taken while the first connection lasts.
	second := srv.DialComponent()
	h = second.OpenComponent("push.localhost")
	second.Send("<handshake>%s</handshake>", xmpptest.HandshakeDigest(h.Attr("id"), pushSecret))
	second.ExpectStreamError("conflict")

	// A component may only speak for its own domain.
	first.Send("<message from='alice@localhost' to='alice@localhost'><body>forged</body></message>")
	first.ExpectStreamError("invalid-from")

	// Once it is gone, the domain can connect again.
	xmpptest.WaitFor(t, "push.localhost unregistered", func() bool {
		_, ok := srv.Router().Component("push.localhost")
		return !ok
	})
	third := srv.DialComponent()
	third.ComponentLogin("push.localhost", pushSecret)
}

// A connection stalled in the handshake does not hold up the server's
// stop: it is closed at once.
func TestComponentStalledHandshakeDoesNotDelayStop(t *testing.T) {
	srv := componentServer(t)
	c := srv.DialComponent()
	c.OpenComponent("push.localhost") // and never sends <handshake/>
	done := make(chan error, 1)
	go func() { done <- srv.Stop(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("stop: %v", err)
		}
	case <-time.After(srv.Config.C2S.HandshakeTimeout.Duration / 2):
		t.Fatal("Stop waits for a component stalled in its handshake")
	}
	if _, err := c.NextErr(xmpptest.Timeout); err == nil {
		t.Fatal("the stalled component's connection is still open")
	}
}
