package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/xml"
)

// A support group's queue lives on one node, the group's owner: a
// visitor on another node is offered to agents on two more nodes, the
// first to answer takes the chat, the other is told, messages flow both
// ways; the owner drains, the open chat moves with its desk and a new
// visitor is still served.
func TestClusterLiveHelp(t *testing.T) {
	nodes := runCluster(t, 3)
	owner := -1
	for i, n := range nodes {
		if n.Cluster().Holds(lhSupport) {
			owner = i
		}
	}
	if owner < 0 {
		t.Fatal("no node keeps the support group's desk")
	}
	// The visitor on a node that does not keep the desk; alice on the
	// third node, bob on the owner.
	a, b, c := (owner+1)%3, (owner+2)%3, owner
	f := setupLH(t, nodes[a])
	alice := online(t, nodes[b], "alice", "desk")
	bob := online(t, nodes[c], "bob", "desk")
	xmpptest.WaitFor(t, "the desk's node to see both agents ready", func() bool {
		st, ok := nodes[owner].LiveHelp().GroupStatus(t.Context(), lhSupport)
		return ok && st.Ready == 2
	})

	v := f.visitor()
	v.open(f.chatURL(f.token(), "john.doe@sites.example.com"))
	guest := v.cfg["guest"]
	g := v.guestLogin(v.ticket())
	g.Send("<presence to='%s'/>", lhSupport)
	g.ExpectMatch("the group's presence", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("from") == lhSupport && el.Attr("type") == ""
	}, isPresenceOrHeadline)

	g.Send("<message to='%s' type='chat'><body>Hello from node %d</body></message>", lhSupport, a+1)
	offer := func(el *xml.Element) bool {
		return el.Name == "message" && el.Attr("from") == guest && xmpptest.Contains(el, "Reply to take this chat.") &&
			xmpptest.Contains(el, "Hello from node")
	}
	alice.ExpectMatch("alice's offer", offer, isPresence)
	bob.ExpectMatch("bob's offer", offer, isPresence)
	// The queue is the owner's, and every node reports it (from the
	// owner's snapshot, published after the offers went out).
	for i, n := range nodes {
		xmpptest.WaitFor(t, fmt.Sprintf("node %d to report 1 waiting", i+1), func() bool {
			st, ok := n.LiveHelp().GroupStatus(t.Context(), lhSupport)
			return ok && st.Waiting == 1
		})
	}

	// Alice answers first and takes it; bob is told, and his late
	// answer is not delivered.
	alice.Send("<message to='%s' type='chat'><body>Hi, Alice here</body></message>", guest)
	g.ExpectMatch("alice's answer", func(el *xml.Element) bool {
		return el.Name == "message" && el.Attr("type") == "chat" && el.Attr("from") == lhSupport && xmpptest.Contains(el, "Hi, Alice here")
	}, isPresenceOrHeadline)
	bob.ExpectMatch("taken", func(el *xml.Element) bool { return xmpptest.Contains(el, "Taken by alice.") }, isPresence)
	bob.Send("<message to='%s' type='chat'><body>Bob too</body></message>", guest)
	bob.ExpectMatch("not delivered", func(el *xml.Element) bool {
		return el.Attr("from") == guest && xmpptest.Contains(el, "has this chat; your message was not delivered")
	}, isPresence)
	g.Send("<message to='%s' type='chat'><body>Thanks</body></message>", lhSupport)
	alice.ExpectMatch("the visitor's message", func(el *xml.Element) bool {
		return el.Attr("from") == guest && xmpptest.Contains(el, "Thanks")
	}, isPresence)

	// The desk's node drains: the chat moves with the desk, alice and
	// the visitor keep talking.
	if out, err := nodes[owner].Drain(t.Context()); err != nil {
		t.Fatalf("drain: %v (%s)", err, out)
	}
	if nodes[owner].Cluster().Holds(lhSupport) {
		t.Fatal("the drained node still keeps the desk")
	}
	alice.Send("<message to='%s' type='chat'><body>Still here after the move</body></message>", guest)
	g.ExpectMatch("alice after the move", func(el *xml.Element) bool {
		return el.Name == "message" && el.Attr("from") == lhSupport && xmpptest.Contains(el, "Still here after the move")
	}, isPresenceOrHeadline)
	g.Send("<message to='%s' type='chat'><body>Good</body></message>", lhSupport)
	alice.ExpectMatch("the visitor after the move", func(el *xml.Element) bool {
		return el.Attr("from") == guest && xmpptest.Contains(el, "Good")
	}, isPresence)

	// A new visitor is served by the new owner (bob, on the drained
	// node, is gone: alice gets the offer).
	v2 := f.visitor()
	v2.open(f.chatURL(f.token(), "jane.roe@sites.example.com"))
	guest2 := v2.cfg["guest"]
	g2 := v2.guestLogin(v2.ticket())
	g2.Send("<message to='%s' type='chat'><body>A question after the drain</body></message>", lhSupport)
	alice.ExpectMatch("the new offer", func(el *xml.Element) bool {
		return el.Attr("from") == guest2 && xmpptest.Contains(el, "A question after the drain") && xmpptest.Contains(el, "Reply to take")
	}, isPresence)
	alice.Send("<message to='%s' type='chat'><body>Alice for the second visitor</body></message>", guest2)
	g2.ExpectMatch("alice's answer", func(el *xml.Element) bool {
		return el.Name == "message" && el.Attr("from") == lhSupport && strings.Contains(el.String(), "Alice for the second visitor")
	}, isPresenceOrHeadline)
}
