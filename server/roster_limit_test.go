package server_test

import (
	"fmt"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// TestRosterSizeLimit: a user who fills their roster up to
// roster.max_items gets <not-acceptable/> for one more item and
// <policy-violation/> for a subscription to a new contact, each saying
// the roster is full; their roster keeps working, and another user
// chatting beside them is unaffected. Before, a roster grew without
// bound.
func TestRosterSizeLimit(t *testing.T) {
	const max = 40
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.Roster.MaxItems = max })
	for _, u := range []string{"mallory", "bob", "carol"} {
		srv.AddUser(u+"@localhost", "secret")
	}
	m := online(t, srv, "mallory", "r")
	b := online(t, srv, "bob", "r")
	c := online(t, srv, "carol", "r")
	rosterSet := func(id, contact string) *xml.Element {
		m.Send("<iq type='set' id='%s'><query xmlns='jabber:iq:roster'><item jid='%s'/></query></iq>", id, contact)
		return m.ExpectMatch("answer to "+id, func(el *xml.Element) bool { return el.Name == "iq" && el.Attr("id") == id }, isAny)
	}
	for i := range max {
		if r := rosterSet(fmt.Sprint("s", i), fmt.Sprintf("c%d@example.net", i)); r.Attr("type") != "result" {
			t.Fatalf("item %d: %s", i, r.Bytes(ns.Client))
		}
		if i%10 == 0 { // the chat beside it goes on
			b.Send("<message to='carol@localhost' type='chat'><body>still here %d</body></message>", i)
			c.ExpectMatch("bob's message", func(el *xml.Element) bool { return el.Name == "message" && el.Attr("from") == b.JID }, isPresence)
		}
	}
	r := rosterSet("over", "one-more@example.net")
	if r.Attr("type") != "error" || r.Child(ns.Client, "error").Child(ns.Stanzas, "not-acceptable") == nil ||
		!xmpptest.Contains(r, "roster is full") {
		t.Fatalf("item over the limit: %s", r.Bytes(ns.Client))
	}
	m.Send("<presence type='subscribe' to='bob@localhost'/>")
	p := m.ExpectMatch("error for the subscription", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("type") == "error"
	}, isAny)
	if p.Child(ns.Client, "error").Child(ns.Stanzas, "policy-violation") == nil || !xmpptest.Contains(p, "roster is full") {
		t.Fatalf("subscription over the limit: %s", p.Bytes(ns.Client))
	}
	// Bob got no request, and his roster is his own.
	if rosterItem(t, b, "mallory@localhost") != nil {
		t.Fatal("bob's roster holds mallory")
	}
	// Mallory's roster still answers, with max items; a change to an
	// existing item works.
	m.Send("<iq type='get' id='all'><query xmlns='jabber:iq:roster'/></iq>")
	all := m.ExpectMatch("roster", func(el *xml.Element) bool { return el.Attr("id") == "all" }, isAny)
	if n := len(all.Child(ns.Roster, "query").Children); n != max {
		t.Fatalf("roster holds %d items, want %d", n, max)
	}
	if r := rosterSet("rename", "c0@example.net"); r.Attr("type") != "result" {
		t.Fatalf("changing an item of a full roster: %s", r.Bytes(ns.Client))
	}
}
