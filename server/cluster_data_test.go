package server_test

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// What one node keeps in memory of an account (block lists, PEP node
// configurations, vCard photo hashes) follows the changes made through
// another node: the node that changes it tells the others.

func isError(el *xml.Element) bool { return el.Attr("type") == "error" }

// A block made through n1 applies on n2 (where the blocked contact is)
// and on n3 (alice's other resource reads her list); so does the unblock.
func TestClusterBlockList(t *testing.T) {
	nodes := runCluster(t, 3)
	n1, n2, n3 := nodes[0], nodes[1], nodes[2]
	n1.AddUser("alice@localhost", "secret")
	n1.AddUser("bob@localhost", "secret")
	friends(t, n1, [2]string{"alice", "bob"})
	alice := online(t, n1, "alice", "laptop")
	bob := online(t, n2, "bob", "desk")
	phone := online(t, n3, "alice", "phone")
	vcardGet := "<vCard xmlns='vcard-temp'/>"
	mustResult(t, iq(t, bob, "get", "alice@localhost", vcardGet)) // n2 knows of no block

	mustResult(t, iq(t, alice, "set", "", "<block xmlns='urn:xmpp:blocking'><item jid='bob@localhost'/></block>"))
	xmpptest.WaitFor(t, "n2 to refuse bob's request to alice, who blocks him", func() bool {
		return isError(iq(t, bob, "get", "alice@localhost", vcardGet))
	})
	wantError(t, iq(t, bob, "get", "alice@localhost", vcardGet), "service-unavailable", "", "")
	xmpptest.WaitFor(t, "n3 to list bob in alice's block list", func() bool {
		return xmpptest.Contains(iq(t, phone, "get", "", "<blocklist xmlns='urn:xmpp:blocking'/>"), "jid='bob@localhost'")
	})

	mustResult(t, iq(t, alice, "set", "", "<unblock xmlns='urn:xmpp:blocking'/>"))
	xmpptest.WaitFor(t, "n2 to answer bob again once alice unblocked everyone", func() bool {
		return !isError(iq(t, bob, "get", "alice@localhost", vcardGet))
	})
}

// A PEP node's access model changed through n1 applies to a reader on
// n2, which had read the node (and cached its configuration) before.
func TestClusterPEPConfiguration(t *testing.T) {
	nodes := runCluster(t, 2)
	n1, n2 := nodes[0], nodes[1]
	n1.AddUser("alice@localhost", "secret")
	n1.AddUser("bob@localhost", "secret")
	alice := online(t, n1, "alice", "laptop")
	bob := online(t, n2, "bob", "desk")
	const node = "urn:parley:test:cluster"
	mustResult(t, iq(t, alice, "set", "", publishXML(node, "one", "<data xmlns='urn:parley:test'/>", publishOptions("access_model", "open"))))
	read := fmt.Sprintf("<pubsub xmlns='%s'><items node='%s'/></pubsub>", ns.PubSub, node)
	if got := mustResult(t, iq(t, bob, "get", "alice@localhost", read)); !xmpptest.Contains(got, "id='one'") {
		t.Fatalf("bob read %s", got)
	}

	setConf := fmt.Sprintf("<pubsub xmlns='%s'><configure node='%s'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>%s#node_config</value></field><field var='pubsub#access_model'><value>whitelist</value></field></x></configure></pubsub>", ns.PubSubOwner, node, ns.PubSub)
	mustResult(t, iq(t, alice, "set", "", setConf))
	xmpptest.WaitFor(t, "n2 to refuse bob the node alice made whitelist-only on n1", func() bool {
		return isError(iq(t, bob, "get", "alice@localhost", read))
	})
}

// A vCard photo set through n1: alice's resource on n2 that sends
// presence afterwards carries the new photo hash (n2 had cached her
// hash without a photo before).
func TestClusterVCardPhotoHash(t *testing.T) {
	nodes := runCluster(t, 3)
	n1, n2, n3 := nodes[0], nodes[1], nodes[2]
	n1.AddUser("alice@localhost", "secret")
	n1.AddUser("bob@localhost", "secret")
	friends(t, n1, [2]string{"alice", "bob"})
	bob := online(t, n3, "bob", "desk")
	phone := online(t, n2, "alice", "phone") // n2 stamps her presence: no photo
	bob.ExpectMatch("alice's phone online", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("from") == phone.JID && el.Attr("type") == ""
	}, isAny)
	laptop := online(t, n1, "alice", "laptop")

	photo := []byte("not really a PNG, but bytes all the same")
	sum := sha1.Sum(photo)
	want := hex.EncodeToString(sum[:])
	mustResult(t, iq(t, laptop, "set", "", "<vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>%s</BINVAL></PHOTO></vCard>",
		base64.StdEncoding.EncodeToString(photo)))

	// n2 re-stamps the presence of alice's phone, which every node's
	// table then holds (the presence a contact's probe gets).
	phoneJID, err := jid.Parse(phone.JID)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		xmpptest.WaitFor(t, "the phone's presence with the new hash in every node's table", func() bool {
			res, ok := n.Router().Resource(phoneJID)
			return ok && res.Presence != nil && strings.Contains(res.Presence.String(), want)
		})
	}

	for i := 0; ; i++ {
		status := fmt.Sprintf("tick %d", i)
		phone.Send("<presence><status>%s</status></presence>", status)
		p := bob.ExpectMatch("alice's phone's presence "+status, func(el *xml.Element) bool {
			s := el.Child(ns.Client, "status")
			return el.Name == "presence" && el.Attr("from") == phone.JID && s != nil && s.Text == status
		}, isAny)
		if strings.Contains(p.String(), want) {
			return
		}
		if i == 200 {
			t.Fatalf("n2 still stamps alice's presence without her new photo: %s", p)
		}
	}
}

// The nodes share the SASL secret through the store: an unknown user
// gets the same SCRAM salt from every node (a salt that changes with the
// node would tell unknown users from real ones).
func TestClusterSharedSASLSecret(t *testing.T) {
	nodes := runCluster(t, 2)
	salt := func(n *xmpptest.Server) string {
		c := n.Dial()
		c.Open()
		c.Send("<auth xmlns='%s' mechanism='SCRAM-SHA-256'>%s</auth>", ns.SASL, base64.StdEncoding.EncodeToString([]byte("n,,n=nobody-here,r=abcdefghijkl")))
		ch := c.Expect("challenge")
		data, err := base64.StdEncoding.DecodeString(ch.Text)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range strings.Split(string(data), ",") {
			if s, ok := strings.CutPrefix(f, "s="); ok {
				return s
			}
		}
		t.Fatalf("no salt in %q", data)
		return ""
	}
	if a, b := salt(nodes[0]), salt(nodes[1]); a != b {
		t.Fatalf("an unknown user's salt differs between nodes: %s and %s", a, b)
	}
}

// The administrators' commands see the whole cluster: the online users
// of every node, and an announcement reaches them all.
func TestClusterAdminCommands(t *testing.T) {
	nodes := runCluster(t, 2, func(c *config.Config) { c.Admins = []string{"root@localhost"} })
	for _, u := range []string{"root", "alice", "bob"} {
		nodes[0].AddUser(u+"@localhost", "secret")
	}
	root := online(t, nodes[0], "root", "console")
	a := online(t, nodes[0], "alice", "laptop")
	b := online(t, nodes[1], "bob", "desk")
	xmpptest.WaitFor(t, "n1 to know bob's session on n2", func() bool { return nodes[0].Router().Online("bob@localhost") })
	f := resultForm(t, run(t, root, "get-online-users-list"))
	if got := f.Values("onlineuserjids"); !slices.Equal(got, []string{"alice@localhost", "bob@localhost", "root@localhost"}) {
		t.Errorf("online users %v, want the users of both nodes", got)
	}
	run(t, root, "announce", []string{"body", "to every node"})
	for _, conn := range []*xmpptest.Conn{a, b} {
		conn.ExpectMatch("the announcement", func(el *xml.Element) bool {
			return el.Name == "message" && el.Attr("from") == "localhost" && xmpptest.Contains(el, "<body>to every node</body>")
		}, isAny)
	}
}
