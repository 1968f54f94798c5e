package server_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// XEP-0045 multi-user chat through the real server, raw XML.

const confDomain = "conference.localhost"

func roomJID(room string) string { return room + "@" + confDomain }

func occJID(room, nick string) string { return roomJID(room) + "/" + nick }

// mucLogin logs a user in (no presence: rooms do not need it).
func mucLogin(t *testing.T, srv *xmpptest.Server, user string) *xmpptest.Conn {
	t.Helper()
	c := srv.Dial()
	c.Login(user, "secret", "r")
	return c
}

func statuses(el *xml.Element) []string {
	var out []string
	if x := el.Child(muc.NSUser, "x"); x != nil {
		for _, s := range x.ChildrenNamed(muc.NSUser, "status") {
			out = append(out, s.Attr("code"))
		}
	}
	return out
}

func hasStatus(el *xml.Element, codes ...string) bool {
	got := statuses(el)
	for _, c := range codes {
		if !slices.Contains(got, c) {
			return false
		}
	}
	return true
}

func mucItem(el *xml.Element) *xml.Element {
	if x := el.Child(muc.NSUser, "x"); x != nil {
		return x.Child(muc.NSUser, "item")
	}
	return nil
}

// errCond is the defined condition of an error stanza ("" if none).
func errCond(el *xml.Element) string {
	if el.Attr("type") != "error" {
		return ""
	}
	e := el.Child("", "error")
	if e == nil {
		return ""
	}
	for _, c := range e.Children {
		if c.Space == ns.Stanzas && c.Name != "text" {
			return c.Name
		}
	}
	return ""
}

// await reads until match, skipping anything else.
func await(t *testing.T, c *xmpptest.Conn, desc string, match func(*xml.Element) bool) *xml.Element {
	t.Helper()
	return c.ExpectMatch(desc, match, isAny)
}

func presenceFrom(from string, codes ...string) func(*xml.Element) bool {
	return func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("from") == from && hasStatus(el, codes...)
	}
}

func isSubjectOf(room string) func(*xml.Element) bool {
	return func(el *xml.Element) bool {
		return el.Name == "message" && strings.HasPrefix(el.Attr("from"), roomJID(room)) && el.Child(ns.Client, "subject") != nil && el.Child(ns.Client, "body") == nil
	}
}

// join enters a room and returns the self-presence (after which the
// subject, which ends the join, has been read too).
func join(t *testing.T, c *xmpptest.Conn, room, nick, inner string) *xml.Element {
	t.Helper()
	c.Send("<presence to='%s'><x xmlns='%s'>%s</x></presence>", occJID(room, nick), muc.NS, inner)
	self := await(t, c, "self-presence in "+room, func(el *xml.Element) bool {
		if el.Name == "presence" && el.Attr("type") == "error" && el.Attr("from") == occJID(room, nick) {
			t.Fatalf("join %s as %s: %s", room, nick, el)
		}
		return presenceFrom(occJID(room, nick), "110")(el)
	})
	await(t, c, "subject of "+room, isSubjectOf(room))
	return self
}

// joinError tries to enter and returns the error condition.
func joinError(t *testing.T, c *xmpptest.Conn, room, nick, inner string) string {
	t.Helper()
	c.Send("<presence to='%s'><x xmlns='%s'>%s</x></presence>", occJID(room, nick), muc.NS, inner)
	el := await(t, c, "join answer", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("from") == occJID(room, nick)
	})
	if el.Attr("type") != "error" {
		t.Fatalf("join %s as %s succeeded, want an error: %s", room, nick, el)
	}
	if el.Child(muc.NS, "x") == nil {
		t.Errorf("join error without the muc <x/>: %s", el)
	}
	return errCond(el)
}

// createRoom creates an instant room (§10.1.2) owned by c.
func createRoom(t *testing.T, c *xmpptest.Conn, room, nick string) {
	t.Helper()
	self := join(t, c, room, nick, "")
	if !hasStatus(self, "110", "201") {
		t.Fatalf("creation self-presence: %s", self)
	}
	if it := mucItem(self); it.Attr("affiliation") != "owner" || it.Attr("role") != "moderator" {
		t.Fatalf("creator item: %s", self)
	}
	r := iq(t, c, "set", roomJID(room), "<query xmlns='%s'><x xmlns='jabber:x:data' type='submit'/></query>", muc.NSOwner)
	if r.Attr("type") != "result" {
		t.Fatalf("instant room: %s", r)
	}
}

var iqSeq int

// iq sends an iq and returns its answer.
func iq(t *testing.T, c *xmpptest.Conn, typ, to, payload string, args ...any) *xml.Element {
	t.Helper()
	iqSeq++
	id := fmt.Sprintf("q%d", iqSeq)
	if len(args) > 0 {
		payload = fmt.Sprintf(payload, args...)
	}
	c.Send("<iq type='%s' id='%s' to='%s'>%s</iq>", typ, id, to, payload)
	return await(t, c, "answer to "+id, func(el *xml.Element) bool {
		return el.Name == "iq" && el.Attr("id") == id
	})
}

// configure submits the owner form with fields.
func configure(t *testing.T, c *xmpptest.Conn, room string, fields map[string]string) *xml.Element {
	t.Helper()
	var b strings.Builder
	b.WriteString("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>" + muc.NSConfig + "</value></field>")
	for k, v := range fields {
		b.WriteString("<field var='" + k + "'><value>" + v + "</value></field>")
	}
	b.WriteString("</x>")
	return iq(t, c, "set", roomJID(room), "<query xmlns='%s'>%s</query>", muc.NSOwner, b.String())
}

func groupchat(c *xmpptest.Conn, room, id, body string) {
	c.Send("<message type='groupchat' to='%s' id='%s'><body>%s</body></message>", roomJID(room), id, body)
}

func isGroupchat(from, body string) func(*xml.Element) bool {
	return func(el *xml.Element) bool {
		b := el.Child(ns.Client, "body")
		return el.Name == "message" && el.Attr("type") == "groupchat" && el.Attr("from") == from && b != nil && b.Text == body
	}
}

func mucServer(t *testing.T, opts ...xmpptest.Options) *xmpptest.Server {
	srv := xmpptest.RunServer(t, opts...)
	for _, n := range []string{"alice", "bob", "carol", "dave"} {
		srv.AddUser(n+"@localhost", "secret")
	}
	return srv
}

// Three clients in a room: creation, locking, join order, broadcast,
// chat states, occupant ids, discovery.
func TestMUCCreateJoinTalk(t *testing.T) {
	srv := mucServer(t)
	a, b, c := mucLogin(t, srv, "alice"), mucLogin(t, srv, "bob"), mucLogin(t, srv, "carol")

	// The server lists the service; the service describes itself.
	items := iq(t, a, "get", "localhost", "<query xmlns='%s'/>", ns.DiscoItems)
	if !xmpptest.Contains(items, "jid='"+confDomain+"'") {
		t.Fatalf("server items: %s", items)
	}
	info := iq(t, a, "get", confDomain, "<query xmlns='%s'/>", ns.DiscoInfo)
	if !xmpptest.Contains(info, "category='conference'", "var='"+muc.NS+"'") {
		t.Fatalf("service info: %s", info)
	}

	// A reserved room stays locked until configured: others get item-not-found.
	self := join(t, a, "lobby", "alice", "")
	if !hasStatus(self, "110", "201") {
		t.Fatalf("creator self-presence: %s", self)
	}
	if got := joinError(t, b, "lobby", "bob", ""); got != "item-not-found" {
		t.Fatalf("joining a locked room: %s", got)
	}
	if r := configure(t, a, "lobby", map[string]string{"muc#roomconfig_roomname": "The Lobby"}); r.Attr("type") != "result" {
		t.Fatalf("configure: %s", r)
	}

	// bob joins: he sees alice first, then himself; alice sees bob.
	b.Send("<presence to='%s'><x xmlns='%s'/></presence>", occJID("lobby", "bob"), muc.NS)
	first := await(t, b, "alice's presence", func(el *xml.Element) bool { return el.Name == "presence" })
	if first.Attr("from") != occJID("lobby", "alice") || mucItem(first).Attr("role") != "moderator" || mucItem(first).Attr("jid") != "" {
		t.Fatalf("first presence bob gets (semi-anonymous room hides jids): %s", first)
	}
	bself := b.Expect("presence")
	if bself.Attr("from") != occJID("lobby", "bob") || !hasStatus(bself, "110") || mucItem(bself).Attr("role") != "participant" {
		t.Fatalf("bob's self-presence: %s", bself)
	}
	await(t, b, "subject", isSubjectOf("lobby"))
	seen := await(t, a, "bob joined", presenceFrom(occJID("lobby", "bob")))
	if mucItem(seen).Attr("jid") != b.JID {
		t.Fatalf("the moderator sees bob's real JID: %s", seen)
	}
	bobID := seen.Child(muc.NSOccupant, "occupant-id").Attr("id")
	if bobID == "" {
		t.Fatalf("no occupant-id: %s", seen)
	}
	join(t, c, "lobby", "carol", "")
	await(t, a, "carol joined", presenceFrom(occJID("lobby", "carol")))
	await(t, b, "carol joined", presenceFrom(occJID("lobby", "carol")))

	// A message reaches everyone, the sender too, with its id and bob's occupant id.
	groupchat(b, "lobby", "m1", "hello room")
	for _, conn := range []*xmpptest.Conn{a, b, c} {
		m := await(t, conn, "broadcast", isGroupchat(occJID("lobby", "bob"), "hello room"))
		if m.Attr("id") != "m1" || m.Child(muc.NSOccupant, "occupant-id").Attr("id") != bobID || m.Attr("to") != conn.JID {
			t.Fatalf("broadcast: %s", m)
		}
	}
	// A forged occupant id is replaced.
	b.Send("<message type='groupchat' to='%s'><body>forged</body><occupant-id xmlns='%s' id='fake'/></message>", roomJID("lobby"), muc.NSOccupant)
	m := await(t, c, "forged", isGroupchat(occJID("lobby", "bob"), "forged"))
	if ids := m.ChildrenNamed(muc.NSOccupant, "occupant-id"); len(ids) != 1 || ids[0].Attr("id") != bobID {
		t.Fatalf("occupant ids: %s", m)
	}
	// Chat states pass through.
	b.Send("<message type='groupchat' to='%s'><composing xmlns='%s'/></message>", roomJID("lobby"), ns.ChatStates)
	cs := await(t, a, "chat state", func(el *xml.Element) bool {
		return el.Name == "message" && el.Attr("from") == occJID("lobby", "bob") && el.Child(ns.ChatStates, "composing") != nil
	})
	if cs.Child(ns.Client, "body") != nil {
		t.Fatalf("chat state: %s", cs)
	}
	// A non-occupant cannot talk in the room.
	d := mucLogin(t, srv, "dave")
	groupchat(d, "lobby", "x1", "let me in")
	e := await(t, d, "error", func(el *xml.Element) bool { return el.Name == "message" && el.Attr("type") == "error" })
	if errCond(e) != "not-acceptable" {
		t.Fatalf("non-occupant message: %s", e)
	}

	// Room discovery.
	ri := iq(t, d, "get", roomJID("lobby"), "<query xmlns='%s'/>", ns.DiscoInfo)
	for _, f := range []string{"muc_public", "muc_temporary", "muc_open", "muc_unmoderated", "muc_semianonymous", "muc_unsecured", muc.NSRoomInfo, muc.NSOccupant, "name='The Lobby'"} {
		if !xmpptest.Contains(ri, f) {
			t.Fatalf("room info lacks %s: %s", f, ri)
		}
	}
	si := iq(t, d, "get", confDomain, "<query xmlns='%s'/>", ns.DiscoItems)
	if !xmpptest.Contains(si, "jid='"+roomJID("lobby")+"'", "name='The Lobby'") {
		t.Fatalf("service items: %s", si)
	}
	if r := iq(t, d, "get", roomJID("nowhere"), "<query xmlns='%s'/>", ns.DiscoInfo); errCond(r) != "item-not-found" {
		t.Fatalf("unknown room: %s", r)
	}

	// Leaving: everyone sees unavailable; the leaver gets 110.
	c.Send("<presence type='unavailable' to='%s'><status>bye all</status></presence>", occJID("lobby", "carol"))
	if p := await(t, c, "own leave", presenceFrom(occJID("lobby", "carol"), "110")); p.Attr("type") != "unavailable" {
		t.Fatalf("leave: %s", p)
	}
	if p := await(t, a, "carol left", presenceFrom(occJID("lobby", "carol"))); p.Attr("type") != "unavailable" || mucItem(p).Attr("role") != "none" || !xmpptest.Contains(p, "bye all") {
		t.Fatalf("carol left: %s", p)
	}

	// Disconnecting leaves every room (directed presence tracking).
	b.Close()
	if p := await(t, a, "bob gone", presenceFrom(occJID("lobby", "bob"))); p.Attr("type") != "unavailable" {
		t.Fatalf("bob gone: %s", p)
	}
}

// The room is gone when its last occupant leaves a temporary room.
func TestMUCTemporaryRoomVanishes(t *testing.T) {
	srv := mucServer(t)
	a := mucLogin(t, srv, "alice")
	createRoom(t, a, "tmp", "alice")
	a.Send("<presence type='unavailable' to='%s'/>", occJID("tmp", "alice"))
	await(t, a, "left", presenceFrom(occJID("tmp", "alice"), "110"))
	xmpptest.WaitFor(t, "room forgotten", func() bool { return srv.MUC().RoomCount() == 0 })
}
