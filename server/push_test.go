package server_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// summaryField returns a field's value in a push notification's summary
// form, and whether it is there.
func summaryField(t *testing.T, iq *xml.Element, name string) (string, bool) {
	t.Helper()
	form := xmlPath(iq, ns.PubSub+" pubsub", ns.PubSub+" publish", ns.PubSub+" item", ns.Push+" notification", ns.DataForms+" x")
	if form == nil {
		t.Fatalf("no summary form in %s", iq)
	}
	for _, f := range form.ChildrenNamed(ns.DataForms, "field") {
		if f.Attr("var") == name {
			if v := f.Child(ns.DataForms, "value"); v != nil {
				return v.Text, true
			}
			return "", true
		}
	}
	return "", false
}

// xmlPath follows children named "space name".
func xmlPath(el *xml.Element, steps ...string) *xml.Element {
	for _, s := range steps {
		if el == nil {
			return nil
		}
		var found *xml.Element
		for _, c := range el.Children {
			if c.Space+" "+c.Name == s {
				found = c
				break
			}
		}
		el = found
	}
	return el
}

func enablePush(t *testing.T, c *xmpptest.Conn, node string) {
	t.Helper()
	c.Send(`<iq type='set' id='push1'><enable xmlns='urn:xmpp:push:0' jid='push.localhost' node='%s'>
		<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>
		<field var='secret'><value>s3cr3t</value></field></x></enable></iq>`, node)
	if r := c.ExpectMatch("enable result", func(el *xml.Element) bool { return el.Name == "iq" }, isAny); r.Attr("type") != "result" {
		t.Fatalf("enable push: %s", r)
	}
}

// expectNotification reads the component's next stanza: a notification
// for node.
func expectNotification(t *testing.T, comp *xmpptest.Conn, node string) *xml.Element {
	t.Helper()
	iq := comp.Expect("iq")
	pub := xmlPath(iq, ns.PubSub+" pubsub", ns.PubSub+" publish")
	if iq.Attr("type") != "set" || iq.Attr("from") != "alice@localhost" || pub == nil || pub.Attr("node") != node {
		t.Fatalf("component got %s, want a publish to node %s from alice@localhost", iq, node)
	}
	secret := xmlPath(iq, ns.PubSub+" pubsub", ns.PubSub+" publish-options", ns.DataForms+" x")
	if secret == nil || len(secret.ChildrenNamed(ns.DataForms, "field")) != 2 {
		t.Fatalf("publish-options not passed on: %s", iq)
	}
	return iq
}

// XEP-0357: alice's phone enables push; a message stored while she is
// offline is announced to the app server with the summary, without the
// body by default; after disable nothing is sent.
func TestPushOffline(t *testing.T) {
	srv := componentServer(t, "alice", "bob")
	comp := srv.DialComponent()
	comp.ComponentLogin("push.localhost", pushSecret)
	phone := online(t, srv, "alice", "phone")
	phone.Send("<iq type='get' id='d1' to='alice@localhost'><query xmlns='%s'/></iq>", ns.DiscoInfo)
	if info := phone.Expect("iq"); !xmpptest.Contains(info, ns.Push) {
		t.Fatalf("account disco#info lacks %s: %s", ns.Push, info)
	}
	enablePush(t, phone, "node-0")
	phone.Send("</stream:stream>")
	xmpptest.WaitFor(t, "alice offline", func() bool { return len(srv.Router().Resources("alice@localhost")) == 0 })

	bob := online(t, srv, "bob", "desk")
	bob.Send("<message to='alice@localhost' type='chat'><body>wake up</body></message>")
	bob.Send("<message to='alice@localhost' type='chat'><body>please</body></message>")
	n := expectNotification(t, comp, "node-0")
	if v, _ := summaryField(t, n, "message-count"); v != "1" {
		t.Errorf("first notification: message-count %q, want 1", v)
	}
	if v, _ := summaryField(t, n, "last-message-sender"); v != "bob@localhost/desk" {
		t.Errorf("last-message-sender %q, want bob@localhost/desk", v)
	}
	if _, ok := summaryField(t, n, "last-message-body"); ok {
		t.Errorf("the body was sent to the app server although push.include_body is off: %s", n)
	}
	// "please" came within the throttle interval (push.Config.Throttle,
	// 1s): no second wake-up. bob's stanzas are handled in order, so the
	// probe reaching the component proves nothing was published before.
	bob.Send("<message to='probe@push.localhost'><body>probe 1</body></message>")
	if m := comp.Expect("message"); m.Attr("to") != "probe@push.localhost" {
		t.Fatalf("component got %s, want the probe (the second message is throttled)", m)
	}
	// The app server's answer goes to alice's bare JID: nobody is there,
	// and it must not bounce back to the component.
	comp.Send("<iq type='result' id='%s' from='push.localhost' to='alice@localhost'/>", n.Attr("id"))

	// A chat state alone wakes nobody. The phone registers two new nodes
	// and disables node-1 (never notified, so never throttled) and node-0:
	// only node-2 is notified.
	bob.Send("<message to='alice@localhost' type='chat'><composing xmlns='%s'/></message>", ns.ChatStates)
	phone = online(t, srv, "alice", "phone")
	enablePush(t, phone, "node-1")
	enablePush(t, phone, "node-2")
	for _, node := range []string{"node-1", "node-0"} {
		phone.Send("<iq type='set' id='off'><disable xmlns='urn:xmpp:push:0' jid='push.localhost' node='%s'/></iq>", node)
		if r := phone.ExpectMatch("disable result", func(el *xml.Element) bool { return el.Name == "iq" }, isAny); r.Attr("type") != "result" {
			t.Fatalf("disable %s: %s", node, r)
		}
	}
	// The mailbox ("wake up", "please") is deleted once it has been
	// written to the phone's connection, a page at a time and after the
	// write: wait for that before the phone leaves.
	xmpptest.WaitFor(t, "alice's mailbox handed over and emptied", func() bool {
		u, err := srv.Store().OfflineUsage(context.Background(), "alice@localhost")
		return err == nil && u.Messages == 0
	})
	phone.Send("</stream:stream>")
	xmpptest.WaitFor(t, "alice offline again", func() bool { return len(srv.Router().Resources("alice@localhost")) == 0 })
	bob.Send("<message to='alice@localhost' type='chat'><body>on the new node</body></message>")
	if v, _ := summaryField(t, expectNotification(t, comp, "node-2"), "message-count"); v != "1" {
		t.Errorf("message-count %q on the new node, want 1 (the earlier ones were delivered)", v)
	}
	bob.Send("<message to='probe@push.localhost'><body>probe 2</body></message>")
	if m := comp.Expect("message"); m.Attr("to") != "probe@push.localhost" {
		t.Fatalf("component got %s, want only the probe (node-0 and node-1 are disabled)", m)
	}
}

// A client whose stream waits to be resumed (XEP-0198) is announced
// when a message is held for it; with include_body the text goes along.
func TestPushWhileHibernating(t *testing.T) {
	srv := xmpptest.RunServer(t, withComponents, func(c *config.Config) { c.Push.IncludeBody = true })
	srv.AddUser("alice@localhost", "secret")
	srv.AddUser("bob@localhost", "secret")
	comp := srv.DialComponent()
	comp.ComponentLogin("push.localhost", pushSecret)
	alice, _ := enableSM(t, srv, "alice")
	enablePush(t, alice, "phone-node")
	alice.Net().Close()
	waitHibernating(t, srv, 1)

	bob := online(t, srv, "bob", "desk")
	bob.Send("<message to='alice@localhost/phone' type='chat'><body>are you there?</body></message>")
	n := expectNotification(t, comp, "phone-node")
	if v, _ := summaryField(t, n, "last-message-body"); v != "are you there?" {
		t.Errorf("last-message-body %q, want the text (push.include_body on)", v)
	}
}

func TestPushEnableErrors(t *testing.T) {
	srv := componentServer(t, "alice")
	c := online(t, srv, "alice", "phone")
	for _, req := range []string{
		"<enable xmlns='urn:xmpp:push:0' node='n'/>",                                                                    // no jid
		"<enable xmlns='urn:xmpp:push:0' jid='push.localhost'/>",                                                        // no node
		"<enable xmlns='urn:xmpp:push:0' jid='push.localhost' node='n'><x xmlns='jabber:x:data' type='form'/></enable>", // not submitted
		"<disable xmlns='urn:xmpp:push:0' jid='a@@b'/>",                                                                 // bad jid
	} {
		c.Send("<iq type='set' id='e'>%s</iq>", req)
		r := c.ExpectMatch("error", func(el *xml.Element) bool { return el.Name == "iq" }, isAny)
		if r.Attr("type") != "error" || !xmpptest.Contains(r, "bad-request") {
			t.Errorf("%s: got %s, want bad-request", req, r)
		}
	}
	// Domains served here are not app servers: a registration naming a
	// room would make a room's own messages notify the room (under its lock).
	for _, local := range []string{"localhost", "conference.localhost", "team@conference.localhost"} {
		c.Send("<iq type='set' id='l'><enable xmlns='urn:xmpp:push:0' jid='%s' node='n'/></iq>", local)
		if r := c.ExpectMatch("error", func(el *xml.Element) bool { return el.Name == "iq" }, isAny); r.Attr("type") != "error" || !xmpptest.Contains(r, "not-acceptable") {
			t.Errorf("enable with jid %s: %s, want not-acceptable", local, r)
		}
	}
	// Ten registrations per account; replacing one is always allowed.
	for i := range 10 {
		enablePush(t, c, "node-"+strconv.Itoa(i))
	}
	enablePush(t, c, "node-3")
	c.Send("<iq type='set' id='e11'><enable xmlns='urn:xmpp:push:0' jid='push.localhost' node='node-10'/></iq>")
	if r := c.ExpectMatch("error", func(el *xml.Element) bool { return el.Name == "iq" }, isAny); r.Attr("type") != "error" || !xmpptest.Contains(r, "resource-constraint") {
		t.Errorf("an eleventh registration: %s, want resource-constraint", r)
	}
}
