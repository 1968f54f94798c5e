package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// Issue 19 item 7: once the server has ended a stream (a conflict, a
// slow consumer, any stream error), nothing more the client sends on it
// is processed.

// expectNoMessageBefore pings the server from c and fails if a message
// arrives before the result: everything routed to c earlier is queued
// before it.
func expectNoMessageBefore(t *testing.T, c *xmpptest.Conn, id string) {
	t.Helper()
	c.Send("<iq type='get' id='%s' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>", id)
	el := c.ExpectMatch("ping result", func(el *xml.Element) bool { return el.Name == "iq" && el.Attr("id") == id },
		func(el *xml.Element) bool { return el.Name == "presence" || (el.Space == ns.SM) })
	_ = el
}

// sendAfterEnd has c keep sending messages to to after the server ended
// its stream, without closing its side, and waits until the server is
// done with the connection anyway (its reader has stopped taking input),
// leaving live connections open.
func sendAfterEnd(t *testing.T, srv *xmpptest.Server, c *xmpptest.Conn, to string, live float64) {
	t.Helper()
	msg := []byte("<message to='" + to + "' type='chat'><body>after the end</body></message>")
	done := make(chan struct{})
	go func() { // until the server closes the connection
		defer close(done)
		for {
			c.Net().SetWriteDeadline(time.Now().Add(xmpptest.Timeout))
			if _, err := c.Net().Write(msg); err != nil {
				return
			}
		}
	}()
	xmpptest.WaitFor(t, "the server to finish the ended connection while its client keeps sending", func() bool {
		return gaugeVecSum(srv, "parley_c2s_connections") == live
	})
	c.Net().Close()
	<-done
}

func TestNothingProcessedAfterConflict(t *testing.T) {
	srv := newUsers(t, "alice", "bob")
	bob := online(t, srv, "bob", "desk")
	old := srv.Dial()
	old.Login("alice", "secret", "phone")
	newer := srv.Dial()
	newer.Login("alice", "secret", "phone")
	old.ExpectStreamError("conflict")
	sendAfterEnd(t, srv, old, "bob@localhost/desk", 2)
	expectNoMessageBefore(t, bob, "after-conflict")
	// The new session works.
	newer.Send("<message to='bob@localhost/desk' type='chat'><body>from the new one</body></message>")
	expectBody(t, bob, "from the new one")
}

func TestNothingProcessedAfterSlowConsumer(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) {
		c.Limits.OutboundQueueStanzas = 20
		c.Limits.OutboundQueueBytes = 1 << 20
	})
	srv.AddUser("alice@localhost", "secret")
	srv.AddUser("carol@localhost", "secret")
	alice := online(t, srv, "alice", "a")
	carol := online(t, srv, "carol", "c")
	body := strings.Repeat("x", 60000)
	slow := func() bool { return counterValue(srv, "parley_slow_consumers_total") > 0 }
	for i := 0; i < 2000 && !slow(); i++ {
		alice.Send("<message to='carol@localhost/c' type='chat'><body>%s</body></message>", body)
	}
	xmpptest.WaitFor(t, "carol to be a slow consumer", slow)
	// carol reads what was queued, then her stream error (within the
	// grace period the server gives a slow consumer to take it).
	carol.ExpectMatch("the stream error", func(el *xml.Element) bool {
		return el.Space == ns.Stream && el.Name == "error" && el.Child(ns.Streams, "policy-violation") != nil
	}, func(el *xml.Element) bool { return el.Name == "message" })
	sendAfterEnd(t, srv, carol, "alice@localhost/a", 1)
	expectNoMessageBefore(t, alice, "after-slow-consumer")
}

func counterValue(srv *xmpptest.Server, name string) float64 {
	mfs, err := srv.Metrics().Registry.Gather()
	if err != nil {
		return -1
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return -1
}

func gaugeVecSum(srv *xmpptest.Server, name string) float64 {
	mfs, err := srv.Metrics().Registry.Gather()
	if err != nil {
		return -1
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetGauge().GetValue()
			}
		}
	}
	return sum
}
