package server_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/im/caps"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// Protocol tests of PEP (XEP-0163 on XEP-0060): publish with automatic
// node creation, items, notifications filtered by entity capabilities
// (XEP-0115), last items to resources coming online, access models,
// publish-options (XEP-0223), node configuration and limits.

const (
	metadataNode = "urn:xmpp:avatar:metadata"
	nickNode     = "http://jabber.org/protocol/nick"
	clientNode   = "https://parley.test/client"
)

// friends makes each pair mutually subscribed to each other's presence,
// straight in the store, before they log in.
func friends(t *testing.T, srv *xmpptest.Server, pairs ...[2]string) {
	t.Helper()
	ctx := context.Background()
	for _, p := range pairs {
		for _, o := range [][2]string{{p[0], p[1]}, {p[1], p[0]}} {
			if _, err := srv.Store().PutRosterItem(ctx, o[0]+"@localhost", store.RosterItem{Contact: o[1] + "@localhost", Subscription: store.SubBoth}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// clientCaps is a client's disco#info answer for the given features and
// the XEP-0115 ver string it hashes to.
func clientCaps(t *testing.T, features ...string) (*xml.Element, string) {
	t.Helper()
	q := xml.NewElement(ns.DiscoInfo, "query")
	q.AddChild(xml.NewElement(ns.DiscoInfo, "identity", xml.Attr{Name: "category", Value: "client"}, xml.Attr{Name: "type", Value: "pc"}, xml.Attr{Name: "name", Value: "test"}))
	for _, f := range append([]string{ns.DiscoInfo, ns.Caps}, features...) {
		q.AddChild(xml.NewElement(ns.DiscoInfo, "feature", xml.Attr{Name: "var", Value: f}))
	}
	ver, ok := caps.Ver(q, "sha-1")
	if !ok {
		t.Fatal("caps.Ver failed")
	}
	return q, ver
}

func capsElement(ver string) string {
	return fmt.Sprintf("<c xmlns='%s' hash='sha-1' node='%s' ver='%s'/>", ns.Caps, clientNode, ver)
}

// isCapsQuery matches the server's disco#info query for ver.
func isCapsQuery(ver string) func(*xml.Element) bool {
	return func(el *xml.Element) bool {
		q := el.Child(ns.DiscoInfo, "query")
		return el.Name == "iq" && el.Attr("type") == "get" && q != nil && q.Attr("node") == clientNode+"#"+ver
	}
}

// answerCapsQuery reads up to the server's caps query and answers it.
func answerCapsQuery(t *testing.T, c *xmpptest.Conn, query *xml.Element, ver string) {
	t.Helper()
	q := c.ExpectMatch("the server's caps query", isCapsQuery(ver), isAny)
	if q.Attr("from") != c.Domain {
		t.Fatalf("caps query from %q, want the server %q", q.Attr("from"), c.Domain)
	}
	ans := query.Copy()
	ans.SetAttr("node", clientNode+"#"+ver)
	c.Send("<iq type='result' id='%s' to='%s'>%s</iq>", q.Attr("id"), q.Attr("from"), ans.Bytes(ns.Client))
}

// onlineCaps logs user in with resource, sends presence with the
// capabilities of features and, when the server is expected to ask for
// them (a hash it has not seen), answers its query.
func onlineCaps(t *testing.T, srv *xmpptest.Server, user, resource string, expectQuery bool, features ...string) *xmpptest.Conn {
	t.Helper()
	query, ver := clientCaps(t, features...)
	c := srv.Dial()
	c.Login(user, "secret", resource)
	c.Send("<presence>%s</presence>", capsElement(ver))
	c.ExpectMatch("own presence", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("from") == c.JID && el.Attr("type") == ""
	}, isPresence)
	if expectQuery {
		answerCapsQuery(t, c, query, ver)
	}
	return c
}

func mustResult(t *testing.T, el *xml.Element) *xml.Element {
	t.Helper()
	if el.Attr("type") != "result" {
		t.Fatalf("got %s, want a result", el)
	}
	return el
}

// wantError checks an error's condition and, if app is set, its
// pubsub#errors (or other application) condition.
func wantError(t *testing.T, el *xml.Element, cond, appSpace, app string) {
	t.Helper()
	e := el.Child(ns.Client, "error")
	if el.Attr("type") != "error" || e == nil || e.Child(ns.Stanzas, cond) == nil {
		t.Fatalf("got %s, want error %s", el, cond)
	}
	if app != "" && e.Child(appSpace, app) == nil {
		t.Fatalf("got %s, want error %s with %s", el, cond, app)
	}
}

func publishXML(node, id, payload, options string) string {
	idAttr := ""
	if id != "" {
		idAttr = " id='" + id + "'"
	}
	return fmt.Sprintf("<pubsub xmlns='%s'><publish node='%s'><item%s>%s</item></publish>%s</pubsub>", ns.PubSub, node, idAttr, payload, options)
}

func publishOptions(kv ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>%s#publish-options</value></field>", ns.PubSub)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, "<field var='pubsub#%s'><value>%s</value></field>", kv[i], kv[i+1])
	}
	b.WriteString("</x></publish-options>")
	return b.String()
}

func metadata(id string) string {
	return fmt.Sprintf("<metadata xmlns='%s'><info id='%s' bytes='100' type='image/png' width='32' height='32'/></metadata>", ns.AvatarMetadata, id)
}

// isEvent matches a PEP notification from owner about node.
func isEvent(owner, node string) func(*xml.Element) bool {
	return func(el *xml.Element) bool {
		ev := el.Child(ns.PubSubEvent, "event")
		if el.Name != "message" || el.Attr("from") != owner || ev == nil {
			return false
		}
		for _, c := range ev.Children {
			if c.Attr("node") == node {
				return true
			}
		}
		return false
	}
}

// eventItem returns the event's item element (or retract).
func eventItem(el *xml.Element) *xml.Element {
	items := el.Child(ns.PubSubEvent, "event").Child(ns.PubSubEvent, "items")
	if items == nil || len(items.Children) == 0 {
		return nil
	}
	return items.Children[0]
}

var markers atomic.Int64

// noEventBefore has from send to a marker message and has to read up
// to it, failing if an element matching bad comes first. Stanzas from
// the server to one session keep their order, so what the server queued
// for to before the marker was sent has arrived by then.
func noEventBefore(t *testing.T, from, to *xmpptest.Conn, desc string, bad func(*xml.Element) bool) {
	t.Helper()
	m := fmt.Sprintf("marker-%d", markers.Add(1))
	from.Send("<message to='%s' type='chat'><body>%s</body></message>", to.JID, m)
	for {
		el := to.Next()
		if bad(el) {
			t.Fatalf("%s: got %s", desc, el)
		}
		if el.Name == "message" && el.Child("", "body") != nil && el.Child("", "body").Text == m {
			return
		}
	}
}

// TestPEPNotifyFilteredByCaps: alice publishes her avatar metadata;
// bob, whose client asked for metadata notifications (+notify in its
// capabilities), gets the notification; carol, whose client did not,
// gets none. The server asks each new capabilities hash once: bob's
// second resource with the same client is not asked again, and gets the
// notification too.
func TestPEPNotifyFilteredByCaps(t *testing.T) {
	srv := newUsers(t, "alice", "bob", "carol")
	friends(t, srv, [2]string{"alice", "bob"}, [2]string{"alice", "carol"})
	a := onlineCaps(t, srv, "alice", "laptop", true, ns.PubSub)
	b := onlineCaps(t, srv, "bob", "desk", true, metadataNode+"+notify")
	b2 := onlineCaps(t, srv, "bob", "phone", false, metadataNode+"+notify")
	c := onlineCaps(t, srv, "carol", "tablet", true, nickNode+"+notify")

	mustResult(t, iq(t, a, "set", "", publishXML(metadataNode, "sha1-1", metadata("sha1-1"), "")))
	for _, conn := range []*xmpptest.Conn{b, b2} {
		ev := conn.ExpectMatch("alice's metadata event", isEvent("alice@localhost", metadataNode), isAny)
		if it := eventItem(ev); it == nil || it.Attr("id") != "sha1-1" || it.Child(ns.AvatarMetadata, "metadata") == nil {
			t.Fatalf("%s got event %s, want item sha1-1 with the metadata", conn.JID, ev)
		}
		if ev.Attr("type") != "headline" || ev.Attr("to") != conn.JID {
			t.Errorf("event %s: want a headline to %s", ev, conn.JID)
		}
	}
	noEventBefore(t, a, c, "carol's client did not ask for metadata notifications", isEvent("alice@localhost", metadataNode))
	noEventBefore(t, a, b2, "bob's phone was asked for its capabilities although desk had the same hash", isCapsQuery(""))

	// A nick goes to carol only.
	mustResult(t, iq(t, a, "set", "", publishXML(nickNode, "", "<nick xmlns='http://jabber.org/protocol/nick'>Alice</nick>", "")))
	c.ExpectMatch("alice's nick event", isEvent("alice@localhost", nickNode), isAny)
	noEventBefore(t, a, b, "bob's client did not ask for nick notifications", isEvent("alice@localhost", nickNode))
}

// TestPEPLastItemOnLogin: a contact whose client comes online later gets
// the last item of each node it wants, with the time it was published;
// after a status change (same capabilities) it gets nothing again.
func TestPEPLastItemOnLogin(t *testing.T) {
	srv := newUsers(t, "alice", "bob")
	friends(t, srv, [2]string{"alice", "bob"})
	a := onlineCaps(t, srv, "alice", "laptop", true, ns.PubSub)
	mustResult(t, iq(t, a, "set", "", publishXML(metadataNode, "old", metadata("old"), "")))
	mustResult(t, iq(t, a, "set", "", publishXML(metadataNode, "new", metadata("new"), "")))
	mustResult(t, iq(t, a, "set", "", publishXML(nickNode, "n1", "<nick xmlns='http://jabber.org/protocol/nick'>A</nick>", "")))

	b := onlineCaps(t, srv, "bob", "desk", true, metadataNode+"+notify")
	ev := b.ExpectMatch("the last metadata item", isEvent("alice@localhost", metadataNode), isAny)
	if it := eventItem(ev); it == nil || it.Attr("id") != "new" {
		t.Fatalf("last item event %s, want item new", ev)
	}
	if ev.Child(ns.Delay, "delay") == nil {
		t.Errorf("last item event %s has no delay stamp", ev)
	}
	b.Send("<presence><show>away</show>%s</presence>", capsElement(verOf(t, metadataNode+"+notify")))
	noEventBefore(t, a, b, "a status change with the same capabilities", isEvent("alice@localhost", ""))
}

func verOf(t *testing.T, features ...string) string {
	_, v := clientCaps(t, features...)
	return v
}

// TestPEPItems: the owner and a contact read items by id and by number;
// a stranger cannot read a presence node, anyone can read an open one,
// nobody but the owner a whitelist node; nobody publishes to another
// account's node.
func TestPEPItems(t *testing.T) {
	srv := newUsers(t, "alice", "bob", "mallory")
	friends(t, srv, [2]string{"alice", "bob"})
	a := online(t, srv, "alice", "laptop")
	b := online(t, srv, "bob", "desk")
	m := online(t, srv, "mallory", "x")

	opts := publishOptions("max_items", "10")
	for i := 1; i <= 3; i++ {
		mustResult(t, iq(t, a, "set", "", publishXML("urn:test:notes", fmt.Sprint("n", i), fmt.Sprintf("<note xmlns='urn:test'>%d</note>", i), opts)))
	}
	ids := func(el *xml.Element) []string {
		var out []string
		for _, it := range mustResult(t, el).Child(ns.PubSub, "pubsub").Child(ns.PubSub, "items").Children {
			out = append(out, it.Attr("id"))
		}
		return out
	}
	itemsXML := func(node, extra, inner string) string {
		return fmt.Sprintf("<pubsub xmlns='%s'><items node='%s'%s>%s</items></pubsub>", ns.PubSub, node, extra, inner)
	}
	if got := ids(iq(t, a, "get", "", itemsXML("urn:test:notes", "", ""))); strings.Join(got, ",") != "n1,n2,n3" {
		t.Errorf("owner's items %v, want n1,n2,n3", got)
	}
	if got := ids(iq(t, b, "get", "alice@localhost", itemsXML("urn:test:notes", " max_items='2'", ""))); strings.Join(got, ",") != "n2,n3" {
		t.Errorf("contact's two most recent items %v, want n2,n3", got)
	}
	if got := ids(iq(t, b, "get", "alice@localhost", itemsXML("urn:test:notes", "", "<item id='n1'/><item id='zz'/>"))); strings.Join(got, ",") != "n1" {
		t.Errorf("items by id %v, want n1", got)
	}
	wantError(t, iq(t, m, "get", "alice@localhost", itemsXML("urn:test:notes", "", "")), "not-authorized", ns.PubSubErrors, "presence-subscription-required")
	wantError(t, iq(t, b, "get", "alice@localhost", itemsXML("urn:test:none", "", "")), "item-not-found", "", "")

	// Open: anyone. Whitelist: the owner only.
	mustResult(t, iq(t, a, "set", "", publishXML("urn:test:open", "o", "<o xmlns='urn:test'/>", publishOptions("access_model", "open"))))
	if got := ids(iq(t, m, "get", "alice@localhost", itemsXML("urn:test:open", "", ""))); len(got) != 1 {
		t.Errorf("a stranger reads an open node: %v, want one item", got)
	}
	mustResult(t, iq(t, a, "set", "", publishXML("urn:test:secret", "s", "<s xmlns='urn:test'/>", publishOptions("access_model", "whitelist"))))
	wantError(t, iq(t, m, "get", "alice@localhost", itemsXML("urn:test:secret", "", "")), "not-allowed", ns.PubSubErrors, "closed-node")
	wantError(t, iq(t, b, "get", "alice@localhost", itemsXML("urn:test:secret", "", "")), "not-allowed", ns.PubSubErrors, "closed-node")
	if got := ids(iq(t, a, "get", "", itemsXML("urn:test:secret", "", ""))); len(got) != 1 {
		t.Errorf("the owner reads her whitelist node: %v", got)
	}

	// Publishing to someone else's node.
	wantError(t, iq(t, m, "set", "alice@localhost", publishXML("urn:test:open", "x", "<x xmlns='urn:test'/>", "")), "forbidden", "", "")
	wantError(t, iq(t, m, "set", "alice@localhost", fmt.Sprintf("<pubsub xmlns='%s'><retract node='urn:test:open'><item id='o'/></retract></pubsub>", ns.PubSub)), "forbidden", "", "")
	wantError(t, iq(t, m, "set", "alice@localhost", fmt.Sprintf("<pubsub xmlns='%s'><delete node='urn:test:open'/></pubsub>", ns.PubSubOwner)), "forbidden", "", "")
	if got := ids(iq(t, a, "get", "", itemsXML("urn:test:open", "", ""))); strings.Join(got, ",") != "o" {
		t.Errorf("after mallory's attempts the open node holds %v, want o", got)
	}

	// Disco: the account is a PEP service with publish-options; its items
	// are the nodes the asker may read.
	info := mustResult(t, iq(t, a, "get", "alice@localhost", "<query xmlns='http://jabber.org/protocol/disco#info'/>"))
	if !xmpptest.Contains(info, "category='pubsub'", "type='pep'", ns.PubSub+"#publish-options", ns.PubSub+"#config-node-max") {
		t.Errorf("account disco#info %s lacks pubsub/pep or publish-options", info)
	}
	items := mustResult(t, iq(t, m, "get", "alice@localhost", "<query xmlns='http://jabber.org/protocol/disco#items'/>"))
	if s := items.String(); !strings.Contains(s, "urn:test:open") || strings.Contains(s, "urn:test:secret") || strings.Contains(s, "urn:test:notes") {
		t.Errorf("a stranger's disco#items of alice: %s; want the open node only", s)
	}
}

// TestPEPRosterAccess: a roster-model node is read by contacts in the
// allowed groups only.
func TestPEPRosterAccess(t *testing.T) {
	srv := newUsers(t, "alice", "bob", "carol")
	ctx := context.Background()
	for _, it := range []store.RosterItem{
		{Contact: "bob@localhost", Subscription: store.SubBoth, Groups: []string{"Family"}},
		{Contact: "carol@localhost", Subscription: store.SubBoth, Groups: []string{"Work"}},
	} {
		if _, err := srv.Store().PutRosterItem(ctx, "alice@localhost", it); err != nil {
			t.Fatal(err)
		}
	}
	a := online(t, srv, "alice", "laptop")
	b := online(t, srv, "bob", "desk")
	c := online(t, srv, "carol", "desk")
	form := fmt.Sprintf("<publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>%s#publish-options</value></field><field var='pubsub#access_model'><value>roster</value></field><field var='pubsub#roster_groups_allowed'><value>Family</value></field></x></publish-options>", ns.PubSub)
	mustResult(t, iq(t, a, "set", "", publishXML("urn:test:family", "f", "<f xmlns='urn:test'/>", form)))
	get := fmt.Sprintf("<pubsub xmlns='%s'><items node='urn:test:family'/></pubsub>", ns.PubSub)
	mustResult(t, iq(t, b, "get", "alice@localhost", get))
	wantError(t, iq(t, c, "get", "alice@localhost", get), "not-authorized", ns.PubSubErrors, "not-in-roster-group")
}

// TestPEPPublishOptionsAndConfig: a private node (XEP-0223) is created
// by publish-options; options that do not match an existing node fail
// with precondition-not-met until the owner reconfigures it; max_items
// bounds the items kept, "max" meaning the server's limit.
func TestPEPPublishOptionsAndConfig(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.PEP.MaxItems = 5 })
	srv.AddUser("alice@localhost", "secret")
	a := online(t, srv, "alice", "laptop")
	const node = "urn:xmpp:bookmarks:1"
	conf := func(room string) string {
		return fmt.Sprintf("<conference xmlns='%s' name='%s' autojoin='true'><nick>al</nick></conference>", node, room)
	}
	private := publishOptions("persist_items", "true", "max_items", "max", "send_last_published_item", "never", "access_model", "whitelist")
	for i := 1; i <= 7; i++ {
		mustResult(t, iq(t, a, "set", "", publishXML(node, fmt.Sprintf("room%d@conference.localhost", i), conf(fmt.Sprint("Room ", i)), private)))
	}
	res := mustResult(t, iq(t, a, "get", "", fmt.Sprintf("<pubsub xmlns='%s'><items node='%s'/></pubsub>", ns.PubSub, node)))
	if n := len(res.Child(ns.PubSub, "pubsub").Child(ns.PubSub, "items").Children); n != 5 {
		t.Errorf("node with max_items=max keeps %d items, want the server's limit 5", n)
	}
	getConf := fmt.Sprintf("<pubsub xmlns='%s'><configure node='%s'/></pubsub>", ns.PubSubOwner, node)
	cf := mustResult(t, iq(t, a, "get", "", getConf))
	if !xmpptest.Contains(cf, "pubsub#access_model", "<value>whitelist</value>", "<value>max</value>", "<value>never</value>") {
		t.Errorf("configuration form %s does not show the publish options", cf)
	}

	// Mismatched options: precondition-not-met, nothing published.
	wantError(t, iq(t, a, "set", "", publishXML(node, "x@conference.localhost", conf("X"), publishOptions("access_model", "open"))),
		"conflict", ns.PubSubErrors, "precondition-not-met")
	// A value Parley cannot honour.
	wantError(t, iq(t, a, "set", "", publishXML("urn:test:n", "1", "<a xmlns='urn:test'/>", publishOptions("max_items", "6"))),
		"conflict", ns.PubSubErrors, "precondition-not-met")

	// The owner reconfigures: open, 2 items; the older items go.
	setConf := fmt.Sprintf("<pubsub xmlns='%s'><configure node='%s'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>%s#node_config</value></field><field var='pubsub#access_model'><value>open</value></field><field var='pubsub#max_items'><value>2</value></field></x></configure></pubsub>", ns.PubSubOwner, node, ns.PubSub)
	mustResult(t, iq(t, a, "set", "", setConf))
	mustResult(t, iq(t, a, "set", "", publishXML(node, "x@conference.localhost", conf("X"), publishOptions("access_model", "open"))))
	res = mustResult(t, iq(t, a, "get", "", fmt.Sprintf("<pubsub xmlns='%s'><items node='%s'/></pubsub>", ns.PubSub, node)))
	var got []string
	for _, it := range res.Child(ns.PubSub, "pubsub").Child(ns.PubSub, "items").Children {
		got = append(got, it.Attr("id"))
	}
	if strings.Join(got, ",") != "room7@conference.localhost,x@conference.localhost" {
		t.Errorf("after reconfiguring to 2 items: %v", got)
	}
	bad := strings.Replace(setConf, "<value>2</value>", "<value>99</value>", 1)
	wantError(t, iq(t, a, "set", "", bad), "not-acceptable", "", "")
}

// TestPEPRetractDeleteAndLimits: retract and delete notify the owner's
// other resources; items over the size limit and nodes over the count
// limit are refused.
func TestPEPRetractDeleteAndLimits(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.PEP.MaxNodes = 2; c.PEP.MaxItemBytes = 2048 })
	srv.AddUser("alice@localhost", "secret")
	a := onlineCaps(t, srv, "alice", "laptop", true, "urn:test:a+notify")
	a2 := onlineCaps(t, srv, "alice", "phone", false, "urn:test:a+notify")
	mustResult(t, iq(t, a, "set", "", publishXML("urn:test:a", "1", "<a xmlns='urn:test'/>", "")))
	a2.ExpectMatch("publish event", isEvent("alice@localhost", "urn:test:a"), isAny)
	mustResult(t, iq(t, a, "set", "", fmt.Sprintf("<pubsub xmlns='%s'><retract node='urn:test:a' notify='true'><item id='1'/></retract></pubsub>", ns.PubSub)))
	ev := a2.ExpectMatch("retract event", isEvent("alice@localhost", "urn:test:a"), isAny)
	if it := eventItem(ev); it == nil || it.Name != "retract" || it.Attr("id") != "1" {
		t.Fatalf("retract event %s", ev)
	}
	wantError(t, iq(t, a, "set", "", fmt.Sprintf("<pubsub xmlns='%s'><retract node='urn:test:a'><item id='1'/></retract></pubsub>", ns.PubSub)), "item-not-found", "", "")

	big := "<a xmlns='urn:test'>" + strings.Repeat("x", 3000) + "</a>"
	wantError(t, iq(t, a, "set", "", publishXML("urn:test:a", "2", big, "")), "not-acceptable", ns.PubSubErrors, "payload-too-big")
	mustResult(t, iq(t, a, "set", "", publishXML("urn:test:b", "1", "<b xmlns='urn:test'/>", "")))
	wantError(t, iq(t, a, "set", "", publishXML("urn:test:c", "1", "<c xmlns='urn:test'/>", "")), "not-allowed", ns.PubSubErrors, "max-nodes-exceeded")

	mustResult(t, iq(t, a, "set", "", fmt.Sprintf("<pubsub xmlns='%s'><delete node='urn:test:a'/></pubsub>", ns.PubSubOwner)))
	ev = a2.ExpectMatch("delete event", func(el *xml.Element) bool {
		e := el.Child(ns.PubSubEvent, "event")
		return e != nil && e.Child(ns.PubSubEvent, "delete") != nil
	}, isAny)
	if ev.Child(ns.PubSubEvent, "event").Child(ns.PubSubEvent, "delete").Attr("node") != "urn:test:a" {
		t.Fatalf("delete event %s", ev)
	}
	// The deleted node freed a place.
	mustResult(t, iq(t, a, "set", "", publishXML("urn:test:c", "1", "<c xmlns='urn:test'/>", "")))
	wantError(t, iq(t, a, "set", "", fmt.Sprintf("<pubsub xmlns='%s'><subscribe node='urn:test:c' jid='alice@localhost'/></pubsub>", ns.PubSub)),
		"feature-not-implemented", ns.PubSubErrors, "unsupported")
	wantError(t, iq(t, a, "set", "", publishXML("", "1", "<c xmlns='urn:test'/>", "")), "bad-request", ns.PubSubErrors, "nodeid-required")
}
