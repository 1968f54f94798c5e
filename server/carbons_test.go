package server_test

import (
	"testing"

	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// XEP-0280: carbons of sent and received messages reach the account's
// other resources that enabled them, and only those.
func TestCarbons(t *testing.T) {
	srv := newUsers(t, "alice", "bob")
	phone := online(t, srv, "alice", "phone")
	laptop := online(t, srv, "alice", "laptop", "<priority>-1</priority>")
	quiet := online(t, srv, "alice", "quiet") // never enables carbons
	bob := online(t, srv, "bob", "desk")
	for _, c := range []*xmpptest.Conn{phone, laptop} {
		c.Send("<iq type='set' id='cc'><enable xmlns='%s'/></iq>", ns.Carbons)
		c.ExpectMatch("carbons enabled", func(el *xml.Element) bool {
			return el.Name == "iq" && el.Attr("id") == "cc" && el.Attr("type") == "result"
		}, isPresence)
	}

	// Received: bob writes to alice's bare JID; phone (priority 0) gets
	// it, laptop (negative priority, carbons on) a received carbon.
	bob.Send("<message to='alice@localhost' type='chat' id='b1'><body>hi alice</body></message>")
	phone.ExpectMatch("the message", func(el *xml.Element) bool {
		return el.Name == "message" && el.Attr("id") == "b1" && el.Child(ns.Carbons, "received") == nil
	}, isPresence)
	inner := expectCarbon(t, laptop, "received")
	if inner.Attr("from") != "bob@localhost/desk" || inner.Child(ns.Client, "body").Text != "hi alice" {
		t.Fatalf("received carbon holds %s", inner)
	}

	// Sent: the laptop writes to bob; the phone gets a sent carbon.
	laptop.Send("<message to='bob@localhost' type='chat' id='a1'><body>hi bob</body></message>")
	bob.ExpectMatch("alice's message", func(el *xml.Element) bool { return el.Name == "message" && el.Attr("id") == "a1" }, isPresence)
	if inner := expectCarbon(t, phone, "sent"); inner.Attr("to") != "bob@localhost" || inner.Attr("from") != "alice@localhost/laptop" {
		t.Fatalf("sent carbon holds %s", inner)
	}

	// Private messages are not copied; the next copy proves nothing else came.
	laptop.Send("<message to='bob@localhost' type='chat' id='a2'><body>secret</body><private xmlns='%s'/><no-copy xmlns='%s'/></message>", ns.Carbons, ns.Hints)
	laptop.Send("<message to='bob@localhost' type='chat' id='a3'><body>public</body></message>")
	if inner := expectCarbon(t, phone, "sent"); inner.Attr("id") != "a3" {
		t.Fatalf("private message copied: %s", inner)
	}

	// The resource without carbons got bob's bare-JID message directly
	// (same priority as the phone) and then only b2: no carbon of a1 or
	// a3 in between.
	bob.Send("<message to='alice@localhost/quiet' type='chat' id='b2'><body>just you</body></message>")
	for _, id := range []string{"b1", "b2"} {
		m := quiet.ExpectMatch("message "+id, func(el *xml.Element) bool { return el.Name == "message" }, isPresence)
		if m.Attr("id") != id {
			t.Fatalf("resource without carbons got %s, want message %s", m, id)
		}
	}
}

// expectCarbon reads the next carbon of the given direction and returns
// the forwarded message.
func expectCarbon(t *testing.T, c *xmpptest.Conn, direction string) *xml.Element {
	t.Helper()
	el := c.ExpectMatch(direction+" carbon", func(el *xml.Element) bool {
		return el.Name == "message" && el.Child(ns.Carbons, direction) != nil
	}, isPresence)
	if el.Attr("from") != "alice@localhost" {
		t.Fatalf("carbon from %q, want the bare JID", el.Attr("from"))
	}
	fwd := el.Child(ns.Carbons, direction).Child(ns.Forward, "forwarded")
	if fwd == nil || fwd.Child(ns.Client, "message") == nil {
		t.Fatalf("carbon without forwarded message: %s", el)
	}
	return fwd.Child(ns.Client, "message")
}
