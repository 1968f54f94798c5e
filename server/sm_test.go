package server_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// XEP-0198 stream management.

func isSMRequest(el *xml.Element) bool { return el.Space == ns.SM && el.Name == "r" }

// expectSM reads until the stream management element name, skipping
// the server's ack requests and stanzas.
func expectSM(t *testing.T, c *xmpptest.Conn, name string) *xml.Element {
	t.Helper()
	return c.ExpectMatch("<"+name+" xmlns='"+ns.SM+"'/>", func(el *xml.Element) bool {
		return el.Space == ns.SM && el.Name == name
	}, func(el *xml.Element) bool { return isSMRequest(el) || el.Space == ns.Client })
}

// expectBody reads until a message with body text, skipping ack requests.
func expectBody(t *testing.T, c *xmpptest.Conn, text string) {
	t.Helper()
	el := c.ExpectMatch("message "+text, func(el *xml.Element) bool { return el.Name == "message" }, func(el *xml.Element) bool { return isSMRequest(el) || isPresence(el) })
	if b := el.Child(ns.Client, "body"); b == nil || b.Text != text {
		t.Fatalf("got %s, want body %q", el, text)
	}
}

// enableSM logs user in (SM enabled, resumable) and returns the
// connection and the resumption id.
func enableSM(t *testing.T, srv *xmpptest.Server, user string) (*xmpptest.Conn, string) {
	t.Helper()
	c := srv.Dial()
	c.Open()
	c.Authenticate(user, "secret")
	if f := c.Open(); f.Child(ns.SM, "sm") == nil {
		t.Fatalf("no <sm/> feature after authentication: %s", f)
	}
	c.Bind("phone")
	c.Send("<enable xmlns='%s' resume='true'/>", ns.SM)
	en := expectSM(t, c, "enabled")
	if en.Attr("id") == "" || en.Attr("resume") != "true" || en.Attr("max") == "" {
		t.Fatalf("enabled: %s", en)
	}
	return c, en.Attr("id")
}

func resume(t *testing.T, srv *xmpptest.Server, user, id string, h int) (*xmpptest.Conn, *xml.Element) {
	t.Helper()
	c := srv.Dial()
	c.Open()
	c.Authenticate(user, "secret")
	c.Open()
	c.Send("<resume xmlns='%s' previd='%s' h='%d'/>", ns.SM, id, h)
	return c, c.ExpectMatch("resumed or failed", func(el *xml.Element) bool {
		return el.Space == ns.SM && (el.Name == "resumed" || el.Name == "failed")
	}, isSMRequest)
}

func TestSMCountsAndAcks(t *testing.T) {
	srv := newUsers(t, "alice")
	c, _ := enableSM(t, srv, "alice")
	for i := range 3 {
		c.Send("<iq type='get' id='p%d'><ping xmlns='urn:xmpp:ping'/></iq>", i)
	}
	c.Send("<r xmlns='%s'/>", ns.SM)
	if a := expectSM(t, c, "a"); a.Attr("h") != "3" {
		t.Fatalf("after 3 stanzas: %s", a)
	}
	// The server asks for an ack of the 3 results; too high an h is an error.
	c.Send("<a xmlns='%s' h='3'/>", ns.SM)
	c.Send("<a xmlns='%s' h='9'/>", ns.SM)
	c.ExpectMatch("stream error", func(el *xml.Element) bool {
		return el.Space == ns.Stream && el.Name == "error" && el.Child(ns.Streams, "undefined-condition") != nil
	}, func(el *xml.Element) bool { return el.Name == "iq" || isSMRequest(el) })
}

func TestSMEnableErrors(t *testing.T) {
	srv := newUsers(t, "alice")
	c := srv.Dial()
	c.Open()
	c.Authenticate("alice", "secret")
	c.Open()
	c.Send("<enable xmlns='%s'/>", ns.SM)
	if f := expectSM(t, c, "failed"); f.Child(ns.Stanzas, "unexpected-request") == nil {
		t.Fatalf("enable before bind: %s", f)
	}
	c.Bind("r")
	c.Send("<enable xmlns='%s'/>", ns.SM)
	if en := expectSM(t, c, "enabled"); en.Attr("resume") != "" {
		t.Fatalf("resume offered though not asked: %s", en)
	}
	c.Send("<enable xmlns='%s'/>", ns.SM)
	if f := expectSM(t, c, "failed"); f.Child(ns.Stanzas, "unexpected-request") == nil {
		t.Fatalf("enable twice: %s", f)
	}
}

func TestSMResumeResendsUnacked(t *testing.T) {
	srv := newUsers(t, "alice", "bob")
	alice, id := enableSM(t, srv, "alice")
	bob := online(t, srv, "bob", "desk")
	for i := 1; i <= 3; i++ {
		bob.Send("<message to='alice@localhost/phone' type='chat'><body>m%d</body></message>", i)
		expectBody(t, alice, "m"+strconv.Itoa(i))
	}
	// The connection dies (no </stream:stream>) having acked only m1.
	alice.Send("<a xmlns='%s' h='0'/>", ns.SM)
	alice.Net().Close()
	waitHibernating(t, srv, 1)
	bob.Send("<message to='alice@localhost/phone' type='chat'><body>m4</body></message>")

	// Resuming with h=1 gets m2, m3 again and m4, in order.
	c, r := resume(t, srv, "alice", id, 1)
	if r.Name != "resumed" || r.Attr("previd") != id || r.Attr("h") != "0" {
		t.Fatalf("resume: %s (want h='0': alice sent no stanza, an <a/> is not one)", r)
	}
	for _, want := range []string{"m2", "m3", "m4"} {
		expectBody(t, c, want)
	}
	// The resumed session is the same resource: routing still reaches it.
	bob.Send("<message to='alice@localhost/phone' type='chat'><body>m5</body></message>")
	expectBody(t, c, "m5")

	// A second resumption of the same id takes over from this one.
	c2, r := resume(t, srv, "alice", id, 5)
	if r.Name != "resumed" {
		t.Fatalf("second resume: %s", r)
	}
	bob.Send("<message to='alice@localhost/phone' type='chat'><body>m6</body></message>")
	expectBody(t, c2, "m6")
}

func TestSMResumeUnknownID(t *testing.T) {
	srv := newUsers(t, "alice", "mallory")
	_, id := enableSM(t, srv, "alice")
	c, r := resume(t, srv, "alice", "no-such-id", 0)
	if r.Name != "failed" || r.Child(ns.Stanzas, "item-not-found") == nil {
		t.Fatalf("unknown id: %s", r)
	}
	c.Bind("fresh") // the stream goes on: the client binds instead
	// Another account cannot take over alice's session.
	_, r = resume(t, srv, "mallory", id, 0)
	if r.Name != "failed" {
		t.Fatalf("mallory resumed alice's session: %s", r)
	}
}

func TestSMTimeoutStoresUnackedOffline(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.C2S.ResumeTimeout = config.Duration{Duration: 300 * time.Millisecond} })
	srv.AddUser("alice@localhost", "secret")
	srv.AddUser("bob@localhost", "secret")
	alice, _ := enableSM(t, srv, "alice")
	alice.Send("<presence/>")
	bob := online(t, srv, "bob", "desk")
	bob.Send("<message to='alice@localhost' type='chat'><body>unacked</body></message>")
	expectBody(t, alice, "unacked")
	alice.Net().Close()
	xmpptest.WaitFor(t, "alice's session to end", func() bool { return !srv.Router().Online("alice@localhost") })
	// The session leaves the router before its unacknowledged stanzas
	// are stored offline: wait for that store, or "while away" may be
	// stored first (on PostgreSQL it often was) and the order below is
	// not the order of sending.
	xmpptest.WaitFor(t, "the unacknowledged message stored offline", func() bool {
		return counterValue(srv, "parley_offline_stored_total") == 1
	})
	bob.Send("<message to='alice@localhost' type='chat'><body>while away</body></message>")

	again := online(t, srv, "alice", "laptop")
	expectBody(t, again, "unacked")
	expectBody(t, again, "while away")
}

func waitHibernating(t *testing.T, srv *xmpptest.Server, n float64) {
	t.Helper()
	xmpptest.WaitFor(t, "a hibernating session", func() bool {
		return gaugeValue(srv, "parley_c2s_hibernating_sessions") == n
	})
}

func gaugeValue(srv *xmpptest.Server, name string) float64 {
	mfs, err := srv.Metrics().Registry.Gather()
	if err != nil {
		return -1
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return -1
}
