package server_test

import (
	"testing"
	"time"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// online logs user in with resource and sends initial presence,
// consuming its own presence echo.
func online(t *testing.T, srv *xmpptest.Server, user, resource string, extra ...string) *xmpptest.Conn {
	t.Helper()
	c := srv.Dial()
	c.Login(user, "secret", resource)
	body := ""
	if len(extra) > 0 {
		body = extra[0]
	}
	c.Send("<presence>%s</presence>", body)
	c.ExpectMatch("own presence", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("from") == c.JID && el.Attr("type") == ""
	}, isPresence)
	return c
}

func isPresence(el *xml.Element) bool { return el.Name == "presence" }

func isAny(*xml.Element) bool { return true }

func newUsers(t *testing.T, names ...string) *xmpptest.Server {
	srv := xmpptest.RunServer(t)
	for _, n := range names {
		srv.AddUser(n+"@localhost", "secret")
	}
	return srv
}

// subscribeBoth makes a and b mutually subscribed through the protocol.
func subscribeBoth(t *testing.T, a, b *xmpptest.Conn, aBare, bBare string) {
	t.Helper()
	a.Send("<presence to='%s' type='subscribe'/>", bBare)
	b.ExpectMatch("subscribe from a", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("type") == "subscribe" && el.Attr("from") == aBare
	}, isAny)
	b.Send("<presence to='%s' type='subscribed'/>", aBare)
	a.ExpectMatch("b's presence after approval", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("type") == "" && el.Attr("from") == b.JID
	}, isAny)
	b.Send("<presence to='%s' type='subscribe'/>", aBare)
	a.ExpectMatch("subscribe from b", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("type") == "subscribe" && el.Attr("from") == bBare
	}, isAny)
	a.Send("<presence to='%s' type='subscribed'/>", bBare)
	b.ExpectMatch("a's presence after approval", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("type") == "" && el.Attr("from") == a.JID
	}, isAny)
}

func rosterItem(t *testing.T, c *xmpptest.Conn, contact string) *xml.Element {
	t.Helper()
	c.Send("<iq type='get' id='rg'><query xmlns='jabber:iq:roster'/></iq>")
	res := c.ExpectMatch("roster result", func(el *xml.Element) bool {
		return el.Name == "iq" && el.Attr("id") == "rg"
	}, isAny)
	for _, it := range res.Child(ns.Roster, "query").Children {
		if it.Attr("jid") == contact {
			return it
		}
	}
	return nil
}

func TestChatMessageBetweenOnlineUsers(t *testing.T) {
	srv := newUsers(t, "alice", "bob")
	a := online(t, srv, "alice", "laptop")
	b := online(t, srv, "bob", "desk")
	a.Send("<message to='bob@localhost' type='chat' id='m1'><body>hello bob</body><active xmlns='%s'/></message>", ns.ChatStates)
	m := b.ExpectMatch("message", func(el *xml.Element) bool { return el.Name == "message" }, isPresence)
	// Addressed to the bare JID, it keeps its bare 'to' (RFC 6121 §8.5.2.1.1).
	if m.Attr("from") != "alice@localhost/laptop" || m.Attr("to") != "bob@localhost" || m.Child("", "body").Text != "hello bob" {
		t.Fatalf("delivered: %s", m.String())
	}
	if m.Child(ns.ChatStates, "active") == nil {
		t.Fatalf("chat state lost: %s", m.String())
	}
}

func TestBareJIDDeliveryHighestPriority(t *testing.T) {
	srv := newUsers(t, "alice", "bob")
	a := online(t, srv, "alice", "a")
	hi := online(t, srv, "bob", "hi", "<priority>5</priority>")
	lo := online(t, srv, "bob", "lo", "<priority>1</priority>")
	neg := online(t, srv, "bob", "neg", "<priority>-1</priority>")
	a.Send("<message to='bob@localhost' type='chat'><body>to the best</body></message>")
	hi.ExpectMatch("message at highest priority", func(el *xml.Element) bool { return el.Name == "message" }, isPresence)
	isMessage := func(el *xml.Element) bool { return el.Name == "message" }
	lo.ExpectSilenceOf(t, "message at lower priority", isMessage, 200*time.Millisecond)
	neg.ExpectSilenceOf(t, "message at negative priority", isMessage, 50*time.Millisecond)
}

func TestFullJIDFallbackAndErrors(t *testing.T) {
	srv := newUsers(t, "alice", "bob")
	a := online(t, srv, "alice", "a")
	b := online(t, srv, "bob", "b")
	// chat to a non-existent resource falls back to the bare JID.
	a.Send("<message to='bob@localhost/gone' type='chat'><body>fallback</body></message>")
	b.ExpectMatch("fallback message", func(el *xml.Element) bool { return el.Name == "message" }, isPresence)
	// iq to a non-existent resource: service-unavailable.
	a.Send("<iq to='bob@localhost/gone' type='get' id='q1'><query xmlns='jabber:iq:version'/></iq>")
	e := a.ExpectMatch("iq error", func(el *xml.Element) bool { return el.Name == "iq" }, isPresence)
	if e.Attr("type") != "error" || e.Child("", "error").Child(ns.Stanzas, "service-unavailable") == nil {
		t.Fatalf("want service-unavailable, got %s", e.String())
	}
	// message to an unknown user: service-unavailable.
	a.Send("<message to='nobody@localhost' type='chat' id='u1'><body>?</body></message>")
	e = a.ExpectMatch("message error", func(el *xml.Element) bool { return el.Name == "message" }, isPresence)
	if e.Attr("type") != "error" || e.Attr("id") != "u1" || e.Child("", "error").Child(ns.Stanzas, "service-unavailable") == nil {
		t.Fatalf("want service-unavailable, got %s", e.String())
	}
	// message to a domain that has no server: remote-server-not-found.
	a.Send("<message to='x@example.invalid' type='chat' id='r1'><body>?</body></message>")
	e = a.ExpectMatch("remote error", func(el *xml.Element) bool { return el.Name == "message" }, isPresence)
	if e.Child("", "error").Child(ns.Stanzas, "remote-server-not-found") == nil {
		t.Fatalf("want remote-server-not-found, got %s", e.String())
	}
	// malformed to.
	a.Send("<message to='a@b@c' id='j1'><body>?</body></message>")
	e = a.ExpectMatch("jid error", func(el *xml.Element) bool { return el.Name == "message" }, isPresence)
	if e.Child("", "error").Child(ns.Stanzas, "jid-malformed") == nil {
		t.Fatalf("want jid-malformed, got %s", e.String())
	}
}

func TestIQRules(t *testing.T) {
	srv := newUsers(t, "alice")
	a := online(t, srv, "alice", "a")
	cases := []struct{ send, cond string }{
		{"<iq type='get'><ping xmlns='urn:xmpp:ping'/></iq>", "bad-request"},                           // no id
		{"<iq type='get' id='x1'/>", "bad-request"},                                                    // no payload
		{"<iq type='bogus' id='x2'><ping xmlns='urn:xmpp:ping'/></iq>", "bad-request"},                 // bad type
		{"<iq type='get' id='x3' to='localhost'><unknown xmlns='urn:x'/></iq>", "service-unavailable"}, // unknown payload
	}
	for _, tc := range cases {
		a.Send("%s", tc.send)
		e := a.ExpectMatch("iq error", func(el *xml.Element) bool { return el.Name == "iq" }, isPresence)
		if e.Attr("type") != "error" || e.Child("", "error").Child(ns.Stanzas, tc.cond) == nil {
			t.Fatalf("%s: want %s, got %s", tc.send, tc.cond, e.String())
		}
	}
}

func TestPingVersionDisco(t *testing.T) {
	srv := newUsers(t, "alice")
	a := online(t, srv, "alice", "a")
	a.Send("<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
	if el := a.Expect("iq"); el.Attr("type") != "result" || el.Attr("from") != "localhost" {
		t.Fatalf("ping: %s", el.String())
	}
	a.Send("<iq type='get' id='v1' to='localhost'><query xmlns='jabber:iq:version'/></iq>")
	if el := a.Expect("iq"); !xmpptest.Contains(el, "<name>Parley</name>", "<version>") {
		t.Fatalf("version: %s", el.String())
	}
	a.Send("<iq type='get' id='d1' to='localhost'><query xmlns='%s'/></iq>", ns.DiscoInfo)
	el := a.Expect("iq")
	for _, f := range []string{ns.DiscoInfo, ns.DiscoItems, ns.Ping, ns.Version, ns.Offline, "category='server'"} {
		if !xmpptest.Contains(el, f) {
			t.Fatalf("server disco#info lacks %s: %s", f, el.String())
		}
	}
	a.Send("<iq type='get' id='d2'><query xmlns='%s'/></iq>", ns.DiscoInfo)
	el = a.Expect("iq")
	if !xmpptest.Contains(el, "category='account'", "type='registered'") {
		t.Fatalf("account disco#info: %s", el.String())
	}
}

func TestRosterSetGetPushAndVersioning(t *testing.T) {
	srv := newUsers(t, "alice", "bob")
	a1 := online(t, srv, "alice", "one")
	a2 := online(t, srv, "alice", "two")
	a2.ExpectMatch("presence of one", isPresence, nil) // a2 learns a1's presence (probe of own resources)
	a1.ExpectMatch("presence of two", isPresence, nil)
	for _, c := range []*xmpptest.Conn{a1, a2} {
		c.Send("<iq type='get' id='init'><query xmlns='jabber:iq:roster'/></iq>")
		c.ExpectMatch("initial roster", func(el *xml.Element) bool { return el.Attr("id") == "init" }, nil)
	}
	a1.Send("<iq type='set' id='add'><query xmlns='jabber:iq:roster'><item jid='bob@localhost' name='Bob'><group>Friends</group></item></query></iq>")
	for _, c := range []*xmpptest.Conn{a1, a2} {
		push := c.ExpectMatch("roster push", func(el *xml.Element) bool { return el.Name == "iq" && el.Attr("type") == "set" }, func(el *xml.Element) bool { return el.Attr("id") == "add" })
		if !xmpptest.Contains(push, "jid='bob@localhost'", "name='Bob'", "subscription='none'", "<group>Friends</group>", "ver=") {
			t.Fatalf("push: %s", push.String())
		}
	}
	a1.ExpectMatch("set result", func(el *xml.Element) bool { return el.Attr("id") == "add" && el.Attr("type") == "result" }, nil)

	a1.Send("<iq type='get' id='g'><query xmlns='jabber:iq:roster'/></iq>")
	res := a1.Expect("iq")
	q := res.Child(ns.Roster, "query")
	ver := q.Attr("ver")
	if ver == "" || len(q.Children) != 1 {
		t.Fatalf("roster: %s", res.String())
	}
	// Up to date: empty result.
	a1.Send("<iq type='get' id='g2'><query xmlns='jabber:iq:roster' ver='%s'/></iq>", ver)
	if res := a1.Expect("iq"); res.Attr("type") != "result" || len(res.Children) != 0 {
		t.Fatalf("versioned roster get with current ver: %s", res.String())
	}
	// Stale version: full roster.
	a1.Send("<iq type='get' id='g3'><query xmlns='jabber:iq:roster' ver='0'/></iq>")
	if res := a1.Expect("iq"); len(res.Child(ns.Roster, "query").Children) != 1 {
		t.Fatalf("stale ver: %s", res.String())
	}
	// Errors: two items, bad jid, duplicate group, subscription attr, self.
	bad := []struct{ xml, cond string }{
		{"<item jid='a@localhost'/><item jid='b@localhost'/>", "bad-request"},
		{"<item jid='@@'/>", "jid-malformed"},
		{"<item jid='c@localhost'><group>x</group><group>x</group></item>", "not-acceptable"},
		{"<item jid='c@localhost' subscription='both'/>", "bad-request"},
		{"<item jid='alice@localhost'/>", "not-allowed"},
		{"<item jid='zed@localhost' subscription='remove'/>", "item-not-found"},
	}
	for _, b := range bad {
		a1.Send("<iq type='set' id='bad'><query xmlns='jabber:iq:roster'>%s</query></iq>", b.xml)
		e := a1.Expect("iq")
		if e.Attr("type") != "error" || e.Child("", "error").Child(ns.Stanzas, b.cond) == nil {
			t.Fatalf("%s: want %s, got %s", b.xml, b.cond, e.String())
		}
	}
	// Remove.
	a1.Send("<iq type='set' id='rm'><query xmlns='jabber:iq:roster'><item jid='bob@localhost' subscription='remove'/></query></iq>")
	push := a1.ExpectMatch("removal push", func(el *xml.Element) bool { return el.Attr("type") == "set" }, func(el *xml.Element) bool { return el.Attr("id") == "rm" })
	if !xmpptest.Contains(push, "subscription='remove'") {
		t.Fatalf("removal push: %s", push.String())
	}
}

func TestSubscriptionHandshakeAndPresence(t *testing.T) {
	srv := newUsers(t, "alice", "bob")
	a := online(t, srv, "alice", "a")
	b := online(t, srv, "bob", "b")
	subscribeBoth(t, a, b, "alice@localhost", "bob@localhost")
	if it := rosterItem(t, a, "bob@localhost"); it == nil || it.Attr("subscription") != "both" || it.HasAttr("ask") {
		t.Fatalf("alice's item for bob: %v", it)
	}
	if it := rosterItem(t, b, "alice@localhost"); it == nil || it.Attr("subscription") != "both" {
		t.Fatalf("bob's item for alice: %v", it)
	}
	// Presence broadcast.
	a.Send("<presence><show>away</show><status>lunch</status></presence>")
	p := b.ExpectMatch("away presence", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("from") == a.JID && xmpptest.Contains(el, "<show>away</show>")
	}, isAny)
	if !xmpptest.Contains(p, "<status>lunch</status>") {
		t.Fatalf("status lost: %s", p.String())
	}
	// Unavailable on connection loss.
	a.Net().Close()
	b.ExpectMatch("unavailable after disconnect", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("from") == a.JID && el.Attr("type") == "unavailable"
	}, isAny)
	// Probe at login: bob sees alice come back, alice gets bob's presence.
	a2 := srv.Dial()
	a2.Login("alice", "secret", "again")
	a2.Send("<presence/>")
	a2.ExpectMatch("bob's presence from probe", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("from") == b.JID && el.Attr("type") == ""
	}, isAny)
	b.ExpectMatch("alice available again", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("from") == a2.JID
	}, isAny)
}

func TestSubscriptionRequestStoredAndRedelivered(t *testing.T) {
	srv := newUsers(t, "alice", "bob")
	a := online(t, srv, "alice", "a")
	rosterItem(t, a, "bob@localhost") // become an interested resource
	a.Send("<presence to='bob@localhost' type='subscribe'><status>it's alice</status></presence>")
	push := a.ExpectMatch("ask push", func(el *xml.Element) bool { return el.Name == "iq" }, isPresence)
	_ = push
	// Bob logs in later: the request is delivered after initial presence.
	b := srv.Dial()
	b.Login("bob", "secret", "b")
	b.Send("<presence/>")
	req := b.ExpectMatch("stored request", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("type") == "subscribe"
	}, isPresence)
	if req.Attr("from") != "alice@localhost" || !xmpptest.Contains(req, "it's alice") {
		t.Fatalf("request: %s", req.String())
	}
	// Deny it: alice's item goes back to none without ask.
	b.Send("<presence to='alice@localhost' type='unsubscribed'/>")
	a.ExpectMatch("denial", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("type") == "unsubscribed" && el.Attr("from") == "bob@localhost"
	}, isAny)
	if it := rosterItem(t, a, "bob@localhost"); it == nil || it.Attr("subscription") != "none" || it.HasAttr("ask") {
		t.Fatalf("after denial: %v", it)
	}
	// A new login of bob no longer sees the request.
	b2 := srv.Dial()
	b2.Login("bob", "secret", "b2")
	b2.Send("<presence/>")
	b2.ExpectSilenceOf(t, "subscription request", func(el *xml.Element) bool { return el.Attr("type") == "subscribe" }, 200*time.Millisecond)
}

func TestPreApproval(t *testing.T) {
	srv := newUsers(t, "alice", "bob")
	a := online(t, srv, "alice", "a")
	b := online(t, srv, "bob", "b")
	rosterItem(t, b, "alice@localhost")
	b.Send("<presence to='alice@localhost' type='subscribed'/>") // pre-approve alice
	b.ExpectMatch("approved push", func(el *xml.Element) bool { return xmpptest.Contains(el, "approved='true'") }, isAny)
	a.Send("<presence to='bob@localhost' type='subscribe'/>")
	a.ExpectMatch("auto-approved", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("type") == "subscribed" && el.Attr("from") == "bob@localhost"
	}, isAny)
	b.ExpectSilenceOf(t, "subscribe request", func(el *xml.Element) bool { return el.Attr("type") == "subscribe" }, 200*time.Millisecond)
}

func TestUnsubscribeAndRemoveCancel(t *testing.T) {
	srv := newUsers(t, "alice", "bob")
	a := online(t, srv, "alice", "a")
	b := online(t, srv, "bob", "b")
	subscribeBoth(t, a, b, "alice@localhost", "bob@localhost")
	// alice unsubscribes from bob's presence: her item becomes from, his to.
	a.Send("<presence to='bob@localhost' type='unsubscribe'/>")
	a.ExpectMatch("unavailable of bob", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("type") == "unavailable" && el.Attr("from") == b.JID
	}, isAny)
	if it := rosterItem(t, a, "bob@localhost"); it.Attr("subscription") != "from" {
		t.Fatalf("alice's item: %s", it.String())
	}
	if it := rosterItem(t, b, "alice@localhost"); it.Attr("subscription") != "to" {
		t.Fatalf("bob's item: %s", it.String())
	}
	// bob removes alice: both sides end with no subscription.
	b.Send("<iq type='set' id='rm'><query xmlns='jabber:iq:roster'><item jid='alice@localhost' subscription='remove'/></query></iq>")
	b.ExpectMatch("remove result", func(el *xml.Element) bool { return el.Attr("id") == "rm" }, isAny)
	if it := rosterItem(t, b, "alice@localhost"); it != nil {
		t.Fatalf("bob still has alice: %s", it.String())
	}
	xmpptest.WaitFor(t, "alice's item to become none", func() bool {
		it := rosterItem(t, a, "bob@localhost")
		return it != nil && it.Attr("subscription") == "none"
	})
}

func TestDirectedPresenceCleanup(t *testing.T) {
	srv := newUsers(t, "alice", "bob")
	a := online(t, srv, "alice", "a")
	b := online(t, srv, "bob", "b")
	a.Send("<presence to='%s'><status>direct</status></presence>", b.JID)
	b.ExpectMatch("directed presence", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("from") == a.JID && xmpptest.Contains(el, "direct")
	}, isAny)
	a.Send("<presence type='unavailable'/>")
	b.ExpectMatch("unavailable to directed recipient", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("from") == a.JID && el.Attr("type") == "unavailable"
	}, isAny)
}

func TestOfflineMessages(t *testing.T) {
	srv := newUsers(t, "alice", "bob")
	a := online(t, srv, "alice", "a")
	a.Send("<message to='bob@localhost' type='chat' id='o1'><body>while you were out</body></message>")
	a.Send("<message to='bob@localhost' type='chat'><composing xmlns='%s'/></message>", ns.ChatStates)
	a.Send("<message to='bob@localhost' type='normal' id='o2'><body>second</body></message>")
	xmpptest.WaitFor(t, "two stored messages", func() bool {
		n, _ := srv.Store().CountOffline(t.Context(), "bob@localhost")
		return n == 2
	})
	b := srv.Dial()
	b.Login("bob", "secret", "b")
	b.Send("<presence/>")
	var got []*xml.Element
	for len(got) < 2 {
		got = append(got, b.ExpectMatch("offline message", func(el *xml.Element) bool { return el.Name == "message" }, isPresence))
	}
	if !xmpptest.Contains(got[0], "while you were out", "urn:xmpp:delay", "stamp=") || !xmpptest.Contains(got[1], "second") {
		t.Fatalf("offline delivery: %s / %s", got[0].String(), got[1].String())
	}
	if got[0].Attr("from") != a.JID || got[0].Attr("to") != b.JID {
		t.Fatalf("addresses: %s", got[0].String())
	}
	xmpptest.WaitFor(t, "store emptied", func() bool {
		n, _ := srv.Store().CountOffline(t.Context(), "bob@localhost")
		return n == 0
	})
}

func TestOfflineQuota(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.Offline.MaxMessages = 1 })
	srv.AddUser("alice@localhost", "secret")
	srv.AddUser("bob@localhost", "secret")
	a := online(t, srv, "alice", "a")
	a.Send("<message to='bob@localhost' id='q1'><body>one</body></message>")
	a.Send("<message to='bob@localhost' id='q2'><body>two</body></message>")
	e := a.ExpectMatch("quota error", func(el *xml.Element) bool { return el.Name == "message" }, isPresence)
	if e.Attr("id") != "q2" || e.Child("", "error").Child(ns.Stanzas, "service-unavailable") == nil {
		t.Fatalf("want service-unavailable for q2, got %s", e.String())
	}
}

func TestVirtualHosts(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.Hosts = []string{"localhost", "example.org"} })
	srv.AddUser("alice@localhost", "secret")
	srv.AddUser("dave@example.org", "secret")
	srv.AddUser("alice@example.org", "other")
	a := online(t, srv, "alice", "a")
	d := srv.Dial()
	d.Domain = "example.org"
	d.Login("dave", "secret", "d")
	d.Send("<presence/>")
	a.Send("<message to='dave@example.org' type='chat'><body>across domains</body></message>")
	d.ExpectMatch("message from the other domain", func(el *xml.Element) bool {
		return el.Name == "message" && el.Attr("from") == "alice@localhost/a"
	}, isPresence)
	// Same localpart, different domain: a different account and password.
	other := srv.Dial()
	other.Domain = "example.org"
	other.Open()
	if err := other.TryAuthenticate("alice", "secret"); err == nil {
		t.Fatal("alice@localhost's password opened alice@example.org")
	}
	other.Authenticate("alice", "other")
}

// XEP-0160 §3: stored messages go out when the recipient next sends
// non-negative presence, also when an existing session raises its
// priority from negative.
func TestOfflineDeliveredWhenPriorityBecomesNonNegative(t *testing.T) {
	srv := newUsers(t, "alice", "bob")
	a := online(t, srv, "alice", "a")
	b := online(t, srv, "bob", "phone", "<priority>-1</priority>")
	a.Send("<message to='bob@localhost' type='chat'><body>kept for later</body></message>")
	xmpptest.WaitFor(t, "message stored", func() bool {
		n, _ := srv.Store().CountOffline(t.Context(), "bob@localhost")
		return n == 1
	})
	b.Send("<presence><priority>1</priority></presence>")
	b.ExpectMatch("stored message", func(el *xml.Element) bool {
		return el.Name == "message" && xmpptest.Contains(el, "kept for later")
	}, isPresence)
}

// A message of type error addressed to a user's bare JID is silently
// ignored (RFC 6121 §8.5.2.1.1, §8.5.2.2.1): not delivered to any of the
// user's resources, not stored, not bounced.
func TestErrorMessageToBareJIDIsIgnored(t *testing.T) {
	srv := newUsers(t, "alice", "bob", "carol")
	a := online(t, srv, "alice", "a")
	b := online(t, srv, "bob", "b")
	isMessage := func(el *xml.Element) bool { return el.Name == "message" }
	a.Send("<message to='bob@localhost' type='error' id='e1'><error type='cancel'><item-not-found xmlns='%s'/></error></message>", ns.Stanzas)
	a.Send("<message to='carol@localhost' type='error' id='e2'><error type='cancel'><item-not-found xmlns='%s'/></error></message>", ns.Stanzas)
	a.Send("<message to='bob@localhost' type='chat' id='after'><body>after the error</body></message>")
	// Stanzas from one sender arrive in order: the first message bob gets
	// must be the chat sent after the error.
	m := b.ExpectMatch("a message", isMessage, isPresence)
	if m.Attr("id") != "after" {
		t.Fatalf("bob got %s before the chat message: an error to his bare JID was delivered", m)
	}
	// carol (offline) has nothing stored; alice got no bounce.
	a.Send("<iq type='get' id='alive' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
	a.ExpectMatch("ping result", func(el *xml.Element) bool { return el.Attr("id") == "alive" }, isPresence)
	c := online(t, srv, "carol", "c")
	c.Send("<iq type='get' id='alive' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
	if el := c.ExpectMatch("ping result", func(el *xml.Element) bool { return el.Name == "iq" }, isPresence); el.Attr("id") != "alive" {
		t.Fatalf("carol: %s", el)
	}
}
