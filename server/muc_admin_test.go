package server_test

import (
	"testing"

	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// XEP-0045 §8-§10: who may kick, ban, grant and revoke whom.

func adminSet(t *testing.T, c *xmpptest.Conn, room, item string) *xml.Element {
	t.Helper()
	return iq(t, c, "set", roomJID(room), "<query xmlns='%s'>%s</query>", muc.NSAdmin, item)
}

func adminGet(t *testing.T, c *xmpptest.Conn, room, item string) *xml.Element {
	t.Helper()
	return iq(t, c, "get", roomJID(room), "<query xmlns='%s'>%s</query>", muc.NSAdmin, item)
}

func TestMUCPermissionTable(t *testing.T) {
	srv := mucServer(t)
	a, b, c := mucLogin(t, srv, "alice"), mucLogin(t, srv, "bob"), mucLogin(t, srv, "carol")
	createRoom(t, a, "hall", "alice")
	join(t, b, "hall", "bob", "")
	join(t, c, "hall", "carol", "")
	await(t, a, "carol in", presenceFrom(occJID("hall", "carol")))
	await(t, b, "carol in", presenceFrom(occJID("hall", "carol")))

	// A participant may neither kick nor ban nor read lists.
	cases := []struct {
		who  *xmpptest.Conn
		item string
		want string
	}{
		{b, "<item nick='carol' role='none'/>", "forbidden"},
		{b, "<item jid='carol@localhost' affiliation='outcast'/>", "forbidden"},
		{b, "<item nick='carol' role='moderator'/>", "forbidden"},
		{a, "<item nick='nobody' role='none'/>", "item-not-found"},
		{a, "<item nick='carol' role='boss'/>", "bad-request"},
		// The last owner cannot step down (§10.7).
		{a, "<item jid='alice@localhost' affiliation='admin'/>", "conflict"},
		// Owners are never kicked (§8.2).
		{a, "<item nick='alice' role='none'/>", "not-allowed"},
	}
	for _, tc := range cases {
		if r := adminSet(t, tc.who, "hall", tc.item); errCond(r) != tc.want {
			t.Fatalf("%s by %s: %s, want %s", tc.item, tc.who.JID, r, tc.want)
		}
	}
	if r := adminGet(t, b, "hall", "<item affiliation='outcast'/>"); errCond(r) != "forbidden" {
		t.Fatalf("participant reads the ban list: %s", r)
	}
	if r := adminGet(t, b, "hall", "<item role='participant'/>"); errCond(r) != "forbidden" {
		t.Fatalf("participant reads the role list: %s", r)
	}

	// The owner grants bob moderator: everyone sees the new role.
	if r := adminSet(t, a, "hall", "<item nick='bob' role='moderator'/>"); r.Attr("type") != "result" {
		t.Fatalf("grant moderator: %s", r)
	}
	p := await(t, c, "bob moderator", presenceFrom(occJID("hall", "bob")))
	if mucItem(p).Attr("role") != "moderator" {
		t.Fatalf("bob's new role: %s", p)
	}
	await(t, b, "own role", presenceFrom(occJID("hall", "bob"), "110"))
	// A moderator without affiliation may kick a participant but not an
	// owner, nor grant moderator (an admin's privilege, §9.6).
	if r := adminSet(t, b, "hall", "<item nick='alice' role='visitor'/>"); errCond(r) != "not-allowed" {
		t.Fatalf("moderator silences the owner: %s", r)
	}
	if r := adminSet(t, b, "hall", "<item nick='carol' role='moderator'/>"); errCond(r) != "forbidden" {
		t.Fatalf("moderator grants moderator: %s", r)
	}
	if r := adminGet(t, b, "hall", "<item role='moderator'/>"); r.Attr("type") != "result" || !xmpptest.Contains(r, "nick='alice'", "nick='bob'") {
		t.Fatalf("moderator list: %s", r)
	}
	// bob revokes carol's voice, then gives it back.
	if r := adminSet(t, b, "hall", "<item nick='carol' role='visitor'><reason>calm down</reason></item>"); r.Attr("type") != "result" {
		t.Fatalf("revoke voice: %s", r)
	}
	p = await(t, c, "voice revoked", presenceFrom(occJID("hall", "carol"), "110"))
	if it := mucItem(p); it.Attr("role") != "visitor" || !xmpptest.Contains(p, "nick='bob'", "calm down") {
		t.Fatalf("voice revoked: %s", p)
	}
	groupchat(c, "hall", "v1", "can I speak?")
	if e := await(t, c, "visitor error", func(el *xml.Element) bool { return el.Name == "message" && el.Attr("type") == "error" }); errCond(e) != "forbidden" {
		t.Fatalf("visitor speaks: %s", e)
	}
	adminSet(t, b, "hall", "<item nick='carol' role='participant'/>")
	await(t, c, "voice back", func(el *xml.Element) bool {
		return presenceFrom(occJID("hall", "carol"), "110")(el) && mucItem(el).Attr("role") == "participant"
	})

	// The moderator kicks carol: 307 for all, 110 for her, actor and reason.
	if r := adminSet(t, b, "hall", "<item nick='carol' role='none'><reason>bye</reason></item>"); r.Attr("type") != "result" {
		t.Fatalf("kick: %s", r)
	}
	p = await(t, c, "kicked", presenceFrom(occJID("hall", "carol"), "110", "307"))
	if p.Attr("type") != "unavailable" || !xmpptest.Contains(p, "<actor nick='bob'", "bye") {
		t.Fatalf("kicked self-presence: %s", p)
	}
	if p := await(t, a, "carol kicked", presenceFrom(occJID("hall", "carol"), "307")); p.Attr("type") != "unavailable" {
		t.Fatalf("kick seen by others: %s", p)
	}

	// An admin may ban and manage members but not touch owners or admins.
	if r := adminSet(t, a, "hall", "<item jid='bob@localhost' affiliation='admin'/>"); r.Attr("type") != "result" {
		t.Fatalf("grant admin: %s", r)
	}
	p = await(t, b, "bob admin", presenceFrom(occJID("hall", "bob"), "110"))
	if it := mucItem(p); it.Attr("affiliation") != "admin" || it.Attr("role") != "moderator" {
		t.Fatalf("admin presence: %s", p)
	}
	for item, want := range map[string]string{
		"<item jid='alice@localhost' affiliation='outcast'/>": "not-allowed",
		"<item jid='dave@localhost' affiliation='owner'/>":    "forbidden",
		"<item jid='dave@localhost' affiliation='admin'/>":    "forbidden",
		"<item jid='alice@localhost' affiliation='member'/>":  "not-allowed",
	} {
		if r := adminSet(t, b, "hall", item); errCond(r) != want {
			t.Fatalf("admin %s: %s, want %s", item, r, want)
		}
	}
	join(t, c, "hall", "carol", "")
	if r := adminSet(t, b, "hall", "<item jid='carol@localhost' affiliation='outcast'><reason>spam</reason></item>"); r.Attr("type") != "result" {
		t.Fatalf("ban: %s", r)
	}
	p = await(t, c, "banned", presenceFrom(occJID("hall", "carol"), "110", "301"))
	if p.Attr("type") != "unavailable" || mucItem(p).Attr("affiliation") != "outcast" {
		t.Fatalf("ban self-presence: %s", p)
	}
	if got := joinError(t, c, "hall", "carol", ""); got != "forbidden" {
		t.Fatalf("banned user joins: %s", got)
	}
	if r := adminGet(t, b, "hall", "<item affiliation='outcast'/>"); !xmpptest.Contains(r, "jid='carol@localhost'") {
		t.Fatalf("ban list: %s", r)
	}
	if r := adminSet(t, b, "hall", "<item jid='dave@localhost' affiliation='member'/>"); r.Attr("type") != "result" {
		t.Fatalf("admin adds a member: %s", r)
	}
	if r := adminGet(t, a, "hall", "<item affiliation='member'/>"); !xmpptest.Contains(r, "jid='dave@localhost'") {
		t.Fatalf("member list: %s", r)
	}
	// An owner may make another owner, and then step down.
	adminSet(t, a, "hall", "<item jid='bob@localhost' affiliation='owner'/>")
	if r := adminSet(t, a, "hall", "<item jid='alice@localhost' affiliation='admin'/>"); r.Attr("type") != "result" {
		t.Fatalf("owner steps down with another owner: %s", r)
	}
	if r := adminGet(t, b, "hall", "<item affiliation='owner'/>"); !xmpptest.Contains(r, "bob@localhost") || xmpptest.Contains(r, "alice@localhost") {
		t.Fatalf("owner list: %s", r)
	}
	// Older clients manage the lists through muc#owner.
	if r := iq(t, b, "get", roomJID("hall"), "<query xmlns='%s'><item affiliation='admin'/></query>", muc.NSOwner); !xmpptest.Contains(r, "alice@localhost", muc.NSOwner) {
		t.Fatalf("admin list through muc#owner: %s", r)
	}
}

// Members-only rooms: removal on affiliation loss (321) and when the
// room becomes members-only (322).
func TestMUCMembersOnlyRemovals(t *testing.T) {
	srv := mucServer(t)
	a, b, c := mucLogin(t, srv, "alice"), mucLogin(t, srv, "bob"), mucLogin(t, srv, "carol")
	createRoom(t, a, "club", "alice")
	join(t, b, "club", "bob", "")
	join(t, c, "club", "carol", "")
	adminSet(t, a, "club", "<item jid='bob@localhost' affiliation='member'/>")
	if r := configure(t, a, "club", map[string]string{"muc#roomconfig_membersonly": "1"}); r.Attr("type") != "result" {
		t.Fatalf("configure: %s", r)
	}
	if p := await(t, c, "removed", presenceFrom(occJID("club", "carol"), "110", "322")); p.Attr("type") != "unavailable" {
		t.Fatalf("322: %s", p)
	}
	m := await(t, b, "config change", func(el *xml.Element) bool { return el.Name == "message" && hasStatus(el, "104") })
	if m.Attr("from") != roomJID("club") {
		t.Fatalf("104: %s", m)
	}
	if got := joinError(t, c, "club", "carol", ""); got != "registration-required" {
		t.Fatalf("non-member joins: %s", got)
	}
	adminSet(t, a, "club", "<item jid='bob@localhost' affiliation='none'/>")
	if p := await(t, b, "removed", presenceFrom(occJID("club", "bob"), "110", "321")); p.Attr("type") != "unavailable" {
		t.Fatalf("321: %s", p)
	}
}

// Registering with a room (§7.10): membership and a reserved nickname.
func TestMUCRegistration(t *testing.T) {
	srv := mucServer(t)
	a, b, d := mucLogin(t, srv, "alice"), mucLogin(t, srv, "bob"), mucLogin(t, srv, "dave")
	createRoom(t, a, "guild", "alice")
	form := iq(t, b, "get", roomJID("guild"), "<query xmlns='jabber:iq:register'/>")
	if !xmpptest.Contains(form, "muc#register_roomnick", muc.NSRegisterForm) {
		t.Fatalf("registration form: %s", form)
	}
	reg := func(c *xmpptest.Conn, nick string) *xml.Element {
		return iq(t, c, "set", roomJID("guild"), "<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>%s</value></field><field var='muc#register_roomnick'><value>%s</value></field></x></query>", muc.NSRegisterForm, nick)
	}
	if r := reg(b, "bobby"); r.Attr("type") != "result" {
		t.Fatalf("register: %s", r)
	}
	if r := reg(d, "bobby"); errCond(r) != "conflict" {
		t.Fatalf("registering a reserved nick: %s", r)
	}
	if got := joinError(t, d, "guild", "bobby", ""); got != "conflict" {
		t.Fatalf("joining with a reserved nick: %s", got)
	}
	if r := iq(t, b, "get", roomJID("guild"), "<query xmlns='%s' node='x-roomuser-item'/>", ns.DiscoInfo); !xmpptest.Contains(r, "name='bobby'") {
		t.Fatalf("reserved nick discovery: %s", r)
	}
	if r := iq(t, b, "get", roomJID("guild"), "<query xmlns='jabber:iq:register'/>"); !xmpptest.Contains(r, "<registered", "bobby") {
		t.Fatalf("registered: %s", r)
	}
	if r := adminGet(t, a, "guild", "<item affiliation='member'/>"); !xmpptest.Contains(r, "bob@localhost") {
		t.Fatalf("member list after registration: %s", r)
	}
	if self := join(t, b, "guild", "bobby", ""); mucItem(self).Attr("affiliation") != "member" {
		t.Fatalf("registered member joins: %s", self)
	}
	if r := iq(t, b, "set", roomJID("guild"), "<query xmlns='jabber:iq:register'><remove/></query>"); r.Attr("type") != "result" {
		t.Fatalf("unregister: %s", r)
	}
	await(t, a, "bob joins as a member", func(el *xml.Element) bool {
		return presenceFrom(occJID("guild", "bobby"))(el) && mucItem(el).Attr("affiliation") == "member"
	})
	if p := await(t, a, "bob no longer a member", presenceFrom(occJID("guild", "bobby"))); mucItem(p).Attr("affiliation") != "none" {
		t.Fatalf("after unregistering: %s", p)
	}
}
