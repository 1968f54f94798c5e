package server_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// XEP-0045 §10.1.3 configuration fields: muc#roomconfig_presencebroadcast,
// muc#roomconfig_getmemberlist and muc#roomconfig_lang.

// configureFields submits the owner form with raw <field/> elements (for
// list-multi fields, which configure's map cannot carry).
func configureFields(t *testing.T, c *xmpptest.Conn, room, fields string) *xml.Element {
	t.Helper()
	return iq(t, c, "set", roomJID(room), "<query xmlns='%s'><x xmlns='jabber:x:data' type='submit'>"+
		"<field var='FORM_TYPE'><value>%s</value></field>%s</x></query>", muc.NSOwner, muc.NSConfig, fields)
}

// multiField is a form field with each value.
func multiField(name string, values ...string) string {
	var b strings.Builder
	b.WriteString("<field var='" + name + "'>")
	for _, v := range values {
		b.WriteString("<value>" + v + "</value>")
	}
	b.WriteString("</field>")
	return b.String()
}

// formField finds a data form field in an answer (the owner form,
// disco#info); nil if missing.
func formField(el *xml.Element, name string) *xml.Element {
	if el.Space == ns.DataForms && el.Name == "field" && el.Attr("var") == name {
		return el
	}
	for _, c := range el.Children {
		if f := formField(c, name); f != nil {
			return f
		}
	}
	return nil
}

// formFieldValues reads a field's values; nil if the field is missing.
func formFieldValues(el *xml.Element, name string) []string {
	f := formField(el, name)
	if f == nil {
		return nil
	}
	out := []string{}
	for _, v := range f.ChildrenNamed(ns.DataForms, "value") {
		out = append(out, v.Text)
	}
	return out
}

func ownerForm(t *testing.T, c *xmpptest.Conn, room string) *xml.Element {
	t.Helper()
	f := iq(t, c, "get", roomJID(room), "<query xmlns='%s'/>", muc.NSOwner)
	if f.Attr("type") != "result" {
		t.Fatalf("owner form of %s: %s", room, f)
	}
	return f
}

// notPresenceOf fails the test on a presence from one of the occupant
// JIDs and skips anything else: the skip function of ExpectMatch when
// waiting for a later stanza proves that presence never came before it.
func notPresenceOf(t *testing.T, who string, from ...string) func(*xml.Element) bool {
	return func(el *xml.Element) bool {
		if el.Name == "presence" && slices.Contains(from, el.Attr("from")) {
			t.Fatalf("%s got a presence it should not: %s", who, el)
		}
		return true
	}
}

// A room that does not broadcast visitors' presence: a visitor's join,
// status changes, nick change and leave reach only the visitor; the
// visitor still sees everyone; getting voice shows it to the others,
// losing voice hides it again; changing the setting shows it.
func TestMUCPresenceBroadcastRoles(t *testing.T) {
	srv := mucServer(t)
	a, b, c, d := mucLogin(t, srv, "alice"), mucLogin(t, srv, "bob"), mucLogin(t, srv, "carol"), mucLogin(t, srv, "dave")
	createRoom(t, a, "stage", "alice")
	form := ownerForm(t, a, "stage")
	if got := formFieldValues(form, "muc#roomconfig_presencebroadcast"); !slices.Equal(got, []string{"moderator", "participant", "visitor"}) {
		t.Fatalf("default presencebroadcast %v: %s", got, form)
	}
	for _, name := range []string{"muc#roomconfig_presencebroadcast", "muc#roomconfig_getmemberlist"} {
		if f := formField(form, name); f == nil || f.Attr("type") != "list-multi" || len(f.ChildrenNamed(ns.DataForms, "option")) != 3 {
			t.Fatalf("%s is not a list-multi of the three roles: %s", name, form)
		}
	}
	if f := formField(form, "muc#roomconfig_lang"); f == nil || f.Attr("type") != "text-single" {
		t.Fatalf("muc#roomconfig_lang is not a text-single: %s", form)
	}
	if r := configureFields(t, a, "stage", multiField("muc#roomconfig_moderatedroom", "1")+
		multiField("muc#roomconfig_presencebroadcast", "moderator", "participant")); r.Attr("type") != "result" {
		t.Fatalf("configure: %s", r)
	}
	if got := formFieldValues(ownerForm(t, a, "stage"), "muc#roomconfig_presencebroadcast"); !slices.Equal(got, []string{"moderator", "participant"}) {
		t.Fatalf("presencebroadcast after submit: %v", got)
	}
	adminSet(t, a, "stage", "<item jid='carol@localhost' affiliation='member'/>")
	bob, carol, alice := occJID("stage", "bob"), occJID("stage", "carol"), occJID("stage", "alice")

	// bob enters as a visitor: he sees alice and himself.
	b.Send("<presence to='%s'><x xmlns='%s'/></presence>", bob, muc.NS)
	if p := await(t, b, "alice", presenceFrom(alice)); mucItem(p).Attr("role") != "moderator" {
		t.Fatalf("alice as bob sees her: %s", p)
	}
	if self := await(t, b, "own presence", presenceFrom(bob, "110")); mucItem(self).Attr("role") != "visitor" {
		t.Fatalf("bob's self-presence: %s", self)
	}
	await(t, b, "subject", isSubjectOf("stage"))
	// carol, a member, enters as a participant: she does not see bob in
	// the occupant list (it comes before her own presence), alice gets
	// her join and never bob's, bob gets hers.
	c.Send("<presence to='%s'><x xmlns='%s'/></presence>", carol, muc.NS)
	self := c.ExpectMatch("carol's self-presence", presenceFrom(carol, "110"), notPresenceOf(t, "carol", bob))
	if mucItem(self).Attr("role") != "participant" {
		t.Fatalf("carol's role: %s", self)
	}
	await(t, c, "subject", isSubjectOf("stage"))
	a.ExpectMatch("carol's join", presenceFrom(carol), notPresenceOf(t, "alice", bob))
	await(t, b, "carol's join", presenceFrom(carol))

	// bob's status change and nick change reach only bob.
	b.Send("<presence to='%s'><show>away</show></presence>", bob)
	if p := await(t, b, "own status", presenceFrom(bob, "110")); !xmpptest.Contains(p, "away") {
		t.Fatalf("bob's own status: %s", p)
	}
	bobby := occJID("stage", "bobby")
	b.Send("<presence to='%s'/>", bobby)
	await(t, b, "own 303", presenceFrom(bob, "303", "110"))
	await(t, b, "own new nick", presenceFrom(bobby, "110"))
	// Everything the room sent about bob went out before this message.
	groupchat(a, "stage", "g1", "after bob's changes")
	a.ExpectMatch("own message", isGroupchat(alice, "after bob's changes"), notPresenceOf(t, "alice", bob, bobby))
	c.ExpectMatch("alice's message", isGroupchat(alice, "after bob's changes"), notPresenceOf(t, "carol", bob, bobby))

	// Voice makes bob a participant, whose presence is broadcast: the
	// others see him arrive; revoking it makes him leave their lists.
	adminSet(t, a, "stage", "<item nick='bobby' role='participant'/>")
	if p := await(t, c, "bobby with voice", presenceFrom(bobby)); p.Attr("type") != "" || mucItem(p).Attr("role") != "participant" {
		t.Fatalf("bobby given voice, as carol sees it: %s", p)
	}
	await(t, a, "bobby with voice", presenceFrom(bobby))
	await(t, b, "own voice", presenceFrom(bobby, "110"))
	adminSet(t, a, "stage", "<item nick='bobby' role='visitor'/>")
	if p := await(t, c, "bobby silenced", presenceFrom(bobby)); p.Attr("type") != "unavailable" || mucItem(p).Attr("role") != "none" {
		t.Fatalf("bobby made a visitor, as carol sees it: %s", p)
	}
	if p := await(t, b, "own silence", presenceFrom(bobby, "110")); p.Attr("type") != "" || mucItem(p).Attr("role") != "visitor" {
		t.Fatalf("bobby's own presence as a visitor: %s", p)
	}

	// A newcomer's list leaves out the visitor.
	d.Send("<presence to='%s'><x xmlns='%s'/></presence>", occJID("stage", "dave"), muc.NS)
	d.ExpectMatch("dave's self-presence", presenceFrom(occJID("stage", "dave"), "110"), notPresenceOf(t, "dave", bobby))
	await(t, d, "subject", isSubjectOf("stage"))

	// bob leaves: only he is told.
	b.Send("<presence type='unavailable' to='%s'/>", bobby)
	await(t, b, "own leave", presenceFrom(bobby, "110"))
	groupchat(a, "stage", "g2", "after bob left")
	c.ExpectMatch("alice's message", isGroupchat(alice, "after bob left"), notPresenceOf(t, "carol", bobby))

	// bob (visitor again) comes back; broadcasting every role shows him.
	join(t, b, "stage", "bob", "")
	if r := configureFields(t, a, "stage", multiField("muc#roomconfig_presencebroadcast", "moderator", "participant", "visitor")); r.Attr("type") != "result" {
		t.Fatalf("configure: %s", r)
	}
	if p := c.ExpectMatch("bob shown", presenceFrom(bob), notPresenceOf(t, "carol")); p.Attr("type") != "" || mucItem(p).Attr("role") != "visitor" {
		t.Fatalf("bob shown to carol: %s", p)
	}
	// Broadcasting nobody's presence hides everyone from everyone else.
	configureFields(t, a, "stage", multiField("muc#roomconfig_presencebroadcast"))
	for _, from := range []string{alice, bob, occJID("stage", "dave")} {
		if p := await(t, c, "hidden", presenceFrom(from)); p.Attr("type") != "unavailable" {
			t.Fatalf("%s hidden from carol: %s", from, p)
		}
	}
	// Unknown roles are refused.
	if r := configureFields(t, a, "stage", multiField("muc#roomconfig_presencebroadcast", "owner")); errCond(r) != "not-acceptable" {
		t.Fatalf("presencebroadcast owner: %s", r)
	}
}

// muc#roomconfig_getmemberlist: admins and owners always read the member
// list; occupants only if their role is listed (moderators by default).
func TestMUCGetMemberList(t *testing.T) {
	srv := mucServer(t)
	a, b, c, d := mucLogin(t, srv, "alice"), mucLogin(t, srv, "bob"), mucLogin(t, srv, "carol"), mucLogin(t, srv, "dave")
	createRoom(t, a, "club", "alice")
	if got := formFieldValues(ownerForm(t, a, "club"), "muc#roomconfig_getmemberlist"); !slices.Equal(got, []string{"moderator"}) {
		t.Fatalf("default getmemberlist: %v", got)
	}
	adminSet(t, a, "club", "<item jid='dave@localhost' affiliation='member'/>")
	join(t, b, "club", "bob", "")
	join(t, c, "club", "carol", "")
	memberList := func(who *xmpptest.Conn) *xml.Element {
		t.Helper()
		return adminGet(t, who, "club", "<item affiliation='member'/>")
	}
	if r := memberList(b); errCond(r) != "forbidden" {
		t.Fatalf("participant reads the member list by default: %s", r)
	}
	// carol, made a moderator (role only, no affiliation), may.
	if r := adminSet(t, a, "club", "<item nick='carol' role='moderator'/>"); r.Attr("type") != "result" {
		t.Fatalf("grant moderator: %s", r)
	}
	if r := memberList(c); r.Attr("type") != "result" || !xmpptest.Contains(r, "jid='dave@localhost'") {
		t.Fatalf("moderator reads the member list: %s", r)
	}
	if r := adminGet(t, c, "club", "<item affiliation='outcast'/>"); errCond(r) != "forbidden" {
		t.Fatalf("moderator reads the ban list: %s", r)
	}

	// Participants and visitors, not moderators.
	if r := configureFields(t, a, "club", multiField("muc#roomconfig_getmemberlist", "participant", "visitor")); r.Attr("type") != "result" {
		t.Fatalf("configure: %s", r)
	}
	if got := formFieldValues(ownerForm(t, a, "club"), "muc#roomconfig_getmemberlist"); !slices.Equal(got, []string{"participant", "visitor"}) {
		t.Fatalf("getmemberlist after submit: %v", got)
	}
	if r := memberList(b); r.Attr("type") != "result" || !xmpptest.Contains(r, "jid='dave@localhost'") {
		t.Fatalf("participant reads the member list when allowed: %s", r)
	}
	if r := memberList(c); errCond(r) != "forbidden" {
		t.Fatalf("moderator reads the member list when not listed: %s", r)
	}
	if r := memberList(a); r.Attr("type") != "result" {
		t.Fatalf("the owner always reads the member list: %s", r)
	}
	if r := adminGet(t, b, "club", "<item affiliation='admin'/>"); errCond(r) != "forbidden" {
		t.Fatalf("participant reads the admin list: %s", r)
	}
	// Not an occupant: no role, so no list (dave is a member of an open room).
	if r := memberList(d); errCond(r) != "forbidden" {
		t.Fatalf("non-occupant reads the member list: %s", r)
	}
	// Nobody by role.
	configureFields(t, a, "club", multiField("muc#roomconfig_getmemberlist"))
	if r := memberList(b); errCond(r) != "forbidden" {
		t.Fatalf("participant reads the member list when no role may: %s", r)
	}
	if r := configureFields(t, a, "club", multiField("muc#roomconfig_getmemberlist", "everyone")); errCond(r) != "not-acceptable" {
		t.Fatalf("getmemberlist everyone: %s", r)
	}
}

// muc#roomconfig_lang: shown in the form and as muc#roominfo_lang, and
// with the other new settings kept across a restart.
func TestMUCRoomLangAndRestart(t *testing.T) {
	dir := t.TempDir()
	sqlite := func(c *config.Config) {
		c.Storage.Driver = "sqlite"
		c.DataDir = dir
	}
	srv := mucServer(t, sqlite)
	a, d := mucLogin(t, srv, "alice"), mucLogin(t, srv, "dave")
	createRoom(t, a, "salon", "alice")
	if got := formFieldValues(ownerForm(t, a, "salon"), "muc#roomconfig_lang"); len(got) != 1 || got[0] != "" {
		t.Fatalf("default lang: %v", got)
	}
	if got := formFieldValues(iq(t, d, "get", roomJID("salon"), "<query xmlns='%s'/>", ns.DiscoInfo), "muc#roominfo_lang"); got != nil {
		t.Fatalf("room info has a language before one is set: %v", got)
	}
	if r := configure(t, a, "salon", map[string]string{"muc#roomconfig_lang": "not a language"}); errCond(r) != "not-acceptable" {
		t.Fatalf("bad lang: %s", r)
	}
	if r := configureFields(t, a, "salon", multiField("muc#roomconfig_persistentroom", "1")+multiField("muc#roomconfig_lang", "fr-ca")+
		multiField("muc#roomconfig_presencebroadcast", "moderator")+multiField("muc#roomconfig_getmemberlist", "visitor")); r.Attr("type") != "result" {
		t.Fatalf("configure: %s", r)
	}
	info := iq(t, d, "get", roomJID("salon"), "<query xmlns='%s'/>", ns.DiscoInfo)
	if got := formFieldValues(info, "muc#roominfo_lang"); !slices.Equal(got, []string{"fr-CA"}) {
		t.Fatalf("muc#roominfo_lang %v: %s", got, info)
	}
	if err := srv.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	srv2 := xmpptest.RunServer(t, sqlite)
	a2 := mucLogin(t, srv2, "alice")
	if got := formFieldValues(iq(t, a2, "get", roomJID("salon"), "<query xmlns='%s'/>", ns.DiscoInfo), "muc#roominfo_lang"); !slices.Equal(got, []string{"fr-CA"}) {
		t.Fatalf("muc#roominfo_lang after restart: %v", got)
	}
	join(t, a2, "salon", "alice", "")
	form := ownerForm(t, a2, "salon")
	for name, want := range map[string][]string{
		"muc#roomconfig_lang":              {"fr-CA"},
		"muc#roomconfig_presencebroadcast": {"moderator"},
		"muc#roomconfig_getmemberlist":     {"visitor"},
	} {
		if got := formFieldValues(form, name); !slices.Equal(got, want) {
			t.Errorf("%s after restart: %v, want %v", name, got, want)
		}
	}
}
