package server_test

import (
	"testing"

	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// XEP-0352: an inactive client gets presence updates and standalone chat
// states late (only the latest per sender), and everything at once when
// something urgent arrives or it becomes active.
func TestCSIHoldsPresenceAndChatStates(t *testing.T) {
	srv := newUsers(t, "alice", "bob")
	alice := online(t, srv, "alice", "phone")
	bob := online(t, srv, "bob", "desk")
	subscribeBoth(t, alice, bob, "alice@localhost", "bob@localhost")

	alice.Send("<inactive xmlns='%s'/>", ns.CSI)
	// Once the ping is answered the server has read <inactive/>.
	alice.Send("<iq type='get' id='sync'><ping xmlns='urn:xmpp:ping'/></iq>")
	alice.ExpectMatch("ping result", func(el *xml.Element) bool { return el.Name == "iq" && el.Attr("id") == "sync" }, isPresence)
	bob.Send("<presence><show>away</show></presence>")
	bob.Send("<presence><show>dnd</show></presence>")
	bob.Send("<message to='alice@localhost/phone' type='chat'><composing xmlns='%s'/></message>", ns.ChatStates)
	bob.Send("<message to='alice@localhost/phone' type='chat'><body>urgent</body></message>")

	// The body flushes what was held: the latest presence only, then the
	// chat state, then the message.
	p := alice.Next()
	if p.Name != "presence" || p.Attr("from") != "bob@localhost/desk" || p.Child(ns.Client, "show") == nil || p.Child(ns.Client, "show").Text != "dnd" {
		t.Fatalf("first after flush: %s, want bob's dnd presence (away superseded)", p)
	}
	if m := alice.Next(); m.Name != "message" || m.Child(ns.ChatStates, "composing") == nil {
		t.Fatalf("second after flush: %s, want the chat state", m)
	}
	if m := alice.Next(); m.Name != "message" || m.Child(ns.Client, "body") == nil {
		t.Fatalf("third after flush: %s, want the message", m)
	}

	// Becoming active flushes too.
	bob.Send("<presence><show>xa</show></presence>")
	alice.Send("<active xmlns='%s'/>", ns.CSI)
	alice.ExpectMatch("bob's xa presence", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Child(ns.Client, "show") != nil && el.Child(ns.Client, "show").Text == "xa"
	}, nil)
}

func TestCSIFeatureAdvertised(t *testing.T) {
	srv := newUsers(t, "alice")
	c := srv.Dial()
	c.Open()
	c.Authenticate("alice", "secret")
	if f := c.Open(); f.Child(ns.CSI, "csi") == nil {
		t.Fatalf("no <csi/> feature: %s", f)
	}
}
