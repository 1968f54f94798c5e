package server_test

import (
	"testing"

	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/xml"
)

// A ban reaches every nick of the account: bob in the room from two
// resources under two nicks loses both (§9.1; one used to stay and speak).
func TestMUCBanRemovesEveryNickOfTheAccount(t *testing.T) {
	srv := mucServer(t)
	a := mucLogin(t, srv, "alice")
	b1 := srv.Dial()
	b1.Login("bob", "secret", "one")
	b2 := srv.Dial()
	b2.Login("bob", "secret", "two")
	createRoom(t, a, "hall", "alice")
	join(t, b1, "hall", "b1", "")
	join(t, b2, "hall", "b2", "")
	adminSet(t, a, "hall", "<item jid='bob@localhost' affiliation='outcast'><reason>gone</reason></item>")
	for nick, conn := range map[string]*xmpptest.Conn{"b1": b1, "b2": b2} {
		if p := await(t, conn, "banned "+nick, presenceFrom(occJID("hall", nick), "110", "301")); p.Attr("type") != "unavailable" {
			t.Fatalf("%s: %s", nick, p)
		}
	}
	for _, nick := range []string{"b1", "b2"} {
		await(t, a, "alice sees "+nick+" banned", presenceFrom(occJID("hall", nick), "301"))
	}
	// Neither nick can speak any more: the room answers b2's message with
	// an error instead of broadcasting it.
	groupchat(b2, "hall", "after-ban", "still here?")
	e := await(t, b2, "refusal", func(el *xml.Element) bool { return el.Name == "message" && el.Attr("id") == "after-ban" })
	if e.Attr("type") != "error" {
		t.Fatalf("a banned nick's message: %s", e)
	}
}

// A password-protected room's archive is for those who can enter: a
// query without being an occupant or member is refused.
func TestMUCPasswordRoomArchiveClosed(t *testing.T) {
	srv := mucServer(t)
	a, c := mucLogin(t, srv, "alice"), mucLogin(t, srv, "carol")
	createRoom(t, a, "vault", "alice")
	if r := configure(t, a, "vault", map[string]string{
		"muc#roomconfig_persistentroom":        "1",
		"muc#roomconfig_enablelogging":         "1",
		"muc#roomconfig_passwordprotectedroom": "1",
		"muc#roomconfig_roomsecret":            "sesame",
	}); r.Attr("type") != "result" {
		t.Fatalf("configure: %s", r)
	}
	groupchat(a, "vault", "s1", "secret plans")
	await(t, a, "own message", isGroupchat(occJID("vault", "alice"), "secret plans"))

	r := iq(t, c, "set", roomJID("vault"), "<query xmlns='urn:xmpp:mam:2'/>")
	if errCond(r) != "forbidden" {
		t.Fatalf("archive query by an outsider: %s, want forbidden", r)
	}
	if got := joinError(t, c, "vault", "carol", ""); got != "not-authorized" {
		t.Fatalf("join without the password: %s", got)
	}
	join(t, c, "vault", "carol", "<password>sesame</password>")
	if r := iq(t, c, "set", roomJID("vault"), "<query xmlns='urn:xmpp:mam:2'/>"); r.Attr("type") != "result" {
		t.Fatalf("archive query by an occupant: %s", r)
	}
}

// In a members-only room an invitation makes the invitee a member, so a
// member may invite only where the room allows it (§7.8.2); in an open
// room anyone may.
func TestMUCMemberInvitesNeedAllowInvites(t *testing.T) {
	srv := mucServer(t)
	a, b := mucLogin(t, srv, "alice"), mucLogin(t, srv, "bob")
	createRoom(t, a, "club", "alice")
	adminSet(t, a, "club", "<item jid='bob@localhost' affiliation='member'/>")
	if r := configure(t, a, "club", map[string]string{"muc#roomconfig_membersonly": "1"}); r.Attr("type") != "result" {
		t.Fatalf("configure: %s", r)
	}
	join(t, b, "club", "bob", "")
	invite := func(id string) *xml.Element {
		b.Send("<message to='%s' id='%s'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='carol@localhost'/></x></message>", roomJID("club"), id)
		return await(t, b, "answer to "+id, func(el *xml.Element) bool { return el.Name == "message" && el.Attr("id") == id })
	}
	if e := invite("i1"); errCond(e) != "forbidden" {
		t.Fatalf("a member's invitation with allowinvites off: %s, want forbidden", e)
	}
	if r := configure(t, a, "club", map[string]string{"muc#roomconfig_allowinvites": "1"}); r.Attr("type") != "result" {
		t.Fatalf("configure: %s", r)
	}
	b.Send("<message to='%s' id='i2'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='carol@localhost'/></x></message>", roomJID("club"))
	// bob's stanzas reach the room in order: once his next iq is answered,
	// the invitation has been handled.
	iq(t, b, "get", roomJID("club"), "<query xmlns='http://jabber.org/protocol/disco#info'/>")
	c := mucLogin(t, srv, "carol")
	join(t, c, "club", "carol", "") // the invitation made carol a member
}
