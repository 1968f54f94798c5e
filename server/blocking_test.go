package server_test

import (
	"fmt"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

func isBlockPush(what string) func(*xml.Element) bool {
	return func(el *xml.Element) bool {
		return el.Name == "iq" && el.Attr("type") == "set" && el.Child(ns.Blocking, what) != nil
	}
}

func isPresenceFrom(from, typ string) func(*xml.Element) bool {
	return func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("from") == from && el.Attr("type") == typ
	}
}

func isMessageFrom(from string) func(*xml.Element) bool {
	return func(el *xml.Element) bool { return el.Name == "message" && el.Attr("from") == from }
}

// TestBlockingCommand (XEP-0191): alice blocks bob. Both her resources
// get the push; bob sees her go offline, his messages bounce with
// service-unavailable and his presence no longer reaches her; what she
// sends him comes back with <blocked/>. Unblocking restores presence and
// messages; unblock-all empties the list.
func TestBlockingCommand(t *testing.T) {
	srv := newUsers(t, "alice", "bob", "carol")
	friends(t, srv, [2]string{"alice", "bob"}, [2]string{"alice", "carol"})
	a := online(t, srv, "alice", "laptop")
	a2 := online(t, srv, "alice", "phone")
	b := online(t, srv, "bob", "desk")
	c := online(t, srv, "carol", "desk")

	list := mustResult(t, iq(t, a, "get", "", "<blocklist xmlns='urn:xmpp:blocking'/>"))
	if len(list.Child(ns.Blocking, "blocklist").Children) != 0 {
		t.Fatalf("new block list %s", list)
	}
	mustResult(t, iq(t, a, "set", "", "<block xmlns='urn:xmpp:blocking'><item jid='bob@localhost'/></block>"))
	for _, r := range []*xmpptest.Conn{a, a2} {
		push := r.ExpectMatch("block push", isBlockPush("block"), isAny)
		if !xmpptest.Contains(push, "jid='bob@localhost'") {
			t.Fatalf("push %s", push)
		}
	}
	b.ExpectMatch("alice/laptop unavailable", isPresenceFrom(a.JID, "unavailable"), isAny)
	b.ExpectMatch("alice/phone unavailable", isPresenceFrom(a2.JID, "unavailable"), isAny)
	if l := mustResult(t, iq(t, a2, "get", "", "<blocklist xmlns='urn:xmpp:blocking'/>")); !xmpptest.Contains(l, "jid='bob@localhost'") {
		t.Fatalf("block list %s, want bob", l)
	}

	// bob -> alice: bounced as if she were offline.
	b.Send("<message to='alice@localhost' id='m1' type='chat'><body>hi</body></message>")
	bounce := b.ExpectMatch("bounce", func(el *xml.Element) bool { return el.Name == "message" && el.Attr("id") == "m1" }, isAny)
	wantError(t, bounce, "service-unavailable", "", "")
	wantError(t, iq(t, b, "get", a.JID, "<ping xmlns='urn:xmpp:ping'/>"), "service-unavailable", "", "")
	wantError(t, iq(t, b, "get", "alice@localhost", "<vCard xmlns='vcard-temp'/>"), "service-unavailable", "", "")
	b.Send("<presence><show>away</show></presence>")
	// alice -> bob: not-acceptable with <blocked/>.
	a.Send("<message to='bob@localhost/desk' id='m2' type='chat'><body>hello?</body></message>")
	back := a.ExpectMatch("blocked error", func(el *xml.Element) bool { return el.Name == "message" && el.Attr("id") == "m2" }, isAny)
	wantError(t, back, "not-acceptable", ns.BlockingErrors, "blocked")
	noEventBefore(t, c, a, "bob's presence or message reached alice", func(el *xml.Element) bool {
		return el.Attr("from") == b.JID || el.Attr("from") == "bob@localhost"
	})
	noEventBefore(t, c, b, "alice's message reached bob", isMessageFrom(a.JID))

	// Unblock: bob gets alice's presence again, messages flow.
	mustResult(t, iq(t, a, "set", "", "<unblock xmlns='urn:xmpp:blocking'><item jid='bob@localhost'/></unblock>"))
	a2.ExpectMatch("unblock push", isBlockPush("unblock"), isAny)
	b.ExpectMatch("alice's presence after unblock", isPresenceFrom(a.JID, ""), isAny)
	b.Send("<message to='alice@localhost/laptop' id='m3' type='chat'><body>again</body></message>")
	a.ExpectMatch("bob's message after unblock", isMessageFrom(b.JID), isAny)

	// Domains match every address at them; unblock-all.
	mustResult(t, iq(t, a, "set", "", "<block xmlns='urn:xmpp:blocking'><item jid='localhost/bot'/><item jid='carol@localhost'/></block>"))
	c.ExpectMatch("alice unavailable to carol", isPresenceFrom(a.JID, "unavailable"), isAny)
	mustResult(t, iq(t, a, "set", "", "<unblock xmlns='urn:xmpp:blocking'/>"))
	push := a2.ExpectMatch("unblock-all push", func(el *xml.Element) bool {
		u := el.Child(ns.Blocking, "unblock")
		return el.Name == "iq" && u != nil && len(u.Children) == 0
	}, isAny)
	_ = push
	c.ExpectMatch("alice's presence after unblock-all", isPresenceFrom(a.JID, ""), isAny)
	if l := mustResult(t, iq(t, a, "get", "", "<blocklist xmlns='urn:xmpp:blocking'/>")); len(l.Child(ns.Blocking, "blocklist").Children) != 0 {
		t.Fatalf("block list after unblock-all: %s", l)
	}

	wantError(t, iq(t, a, "set", "", "<block xmlns='urn:xmpp:blocking'/>"), "bad-request", "", "")
	wantError(t, iq(t, a, "set", "", "<block xmlns='urn:xmpp:blocking'><item jid='a@b@c'/></block>"), "jid-malformed", "", "")
}

// TestBlockingLimit: a block list holds at most blocking.max_items JIDs.
func TestBlockingLimit(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.Blocking.MaxItems = 2 })
	srv.AddUser("alice@localhost", "secret")
	a := online(t, srv, "alice", "laptop")
	mustResult(t, iq(t, a, "set", "", "<block xmlns='urn:xmpp:blocking'><item jid='x@spam.example'/><item jid='y@spam.example'/></block>"))
	wantError(t, iq(t, a, "set", "", "<block xmlns='urn:xmpp:blocking'><item jid='z@spam.example'/></block>"), "not-acceptable", "", "")
	l := mustResult(t, iq(t, a, "get", "", "<blocklist xmlns='urn:xmpp:blocking'/>"))
	if n := len(l.Child(ns.Blocking, "blocklist").Children); n != 2 {
		t.Fatalf("block list has %d items after a refused block, want 2: %s", n, l)
	}
	_ = fmt.Sprint
}
