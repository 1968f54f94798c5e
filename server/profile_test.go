package server_test

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// A tiny PNG (1x1 pixel): the avatar of these tests.
var avatarPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

func sha1hex(b []byte) string {
	s := sha1.Sum(b)
	return hex.EncodeToString(s[:])
}

func photoHash(el *xml.Element) (string, bool) {
	x := el.Child(ns.VCardUpdate, "x")
	if x == nil || x.Child(ns.VCardUpdate, "photo") == nil {
		return "", false
	}
	return x.Child(ns.VCardUpdate, "photo").Text, true
}

// TestVCard (XEP-0054, XEP-0153): alice sets her vCard with a photo;
// bob, her contact, reads it, and her presence now carries the photo's
// hash (the server writes it in, XEP-0398 §4) even though her client
// never put it there; a presence with an empty photo is left alone.
// vCards over the size limit are refused, and nobody sets another's.
func TestVCard(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.VCard.MaxBytes = 4096 })
	for _, u := range []string{"alice", "bob"} {
		srv.AddUser(u+"@localhost", "secret")
	}
	friends(t, srv, [2]string{"alice", "bob"})
	a := online(t, srv, "alice", "laptop")
	b := online(t, srv, "bob", "desk")
	b.ExpectMatch("alice's presence", isPresenceFrom(a.JID, ""), isAny)

	empty := mustResult(t, iq(t, b, "get", "alice@localhost", "<vCard xmlns='vcard-temp'/>"))
	if v := empty.Child(ns.VCard, "vCard"); v == nil || len(v.Children) != 0 {
		t.Fatalf("vCard of an account without one: %s, want an empty vCard", empty)
	}
	card := fmt.Sprintf("<vCard xmlns='vcard-temp'><FN>Alice Liddell</FN><EMAIL><INTERNET/><USERID>alice@example.com</USERID></EMAIL><TEL><WORK/><VOICE/><NUMBER>+1 555 0100</NUMBER></TEL><PHOTO><TYPE>image/png</TYPE><BINVAL>%s</BINVAL></PHOTO></vCard>",
		base64.StdEncoding.EncodeToString(avatarPNG))
	mustResult(t, iq(t, a, "set", "", card))
	want := sha1hex(avatarPNG)
	p := b.ExpectMatch("alice's presence with her photo hash", func(el *xml.Element) bool {
		h, ok := photoHash(el)
		return isPresenceFrom(a.JID, "")(el) && ok && h == want
	}, isAny)
	_ = p
	got := mustResult(t, iq(t, b, "get", "alice@localhost", "<vCard xmlns='vcard-temp'/>"))
	if !xmpptest.Contains(got, "<FN>Alice Liddell</FN>", "<USERID>alice@example.com</USERID>", "+1 555 0100", "<TYPE>image/png</TYPE>") {
		t.Fatalf("bob reads %s", got)
	}

	// Her client's next presence has no hash: the server adds it.
	a.Send("<presence><show>away</show></presence>")
	b.ExpectMatch("away with the hash", func(el *xml.Element) bool {
		h, ok := photoHash(el)
		return isPresenceFrom(a.JID, "")(el) && el.Child("", "show") != nil && ok && h == want
	}, isAny)
	// An empty photo from the client is left alone (XEP-0398 §4).
	a.Send("<presence><show>dnd</show><x xmlns='vcard-temp:x:update'><photo/></x></presence>")
	dnd := b.ExpectMatch("dnd", func(el *xml.Element) bool {
		return isPresenceFrom(a.JID, "")(el) && el.Child("", "show") != nil && el.Child("", "show").Text == "dnd"
	}, isAny)
	if h, ok := photoHash(dnd); !ok || h != "" {
		t.Fatalf("presence with an empty photo came out as %s", dnd)
	}

	big := "<vCard xmlns='vcard-temp'><DESC>" + strings.Repeat("x", 5000) + "</DESC></vCard>"
	wantError(t, iq(t, a, "set", "", big), "not-acceptable", "", "")
	wantError(t, iq(t, b, "set", "alice@localhost", "<vCard xmlns='vcard-temp'><FN>Mallory</FN></vCard>"), "forbidden", "", "")
	if v := mustResult(t, iq(t, a, "get", "", "<vCard xmlns='vcard-temp'/>")); !xmpptest.Contains(v, "Alice Liddell") {
		t.Fatalf("after refused sets alice's vCard is %s", v)
	}
}

func avatarData() string {
	return fmt.Sprintf("<data xmlns='%s'>%s</data>", ns.AvatarData, base64.StdEncoding.EncodeToString(avatarPNG))
}

func avatarMetadata(id string) string {
	return fmt.Sprintf("<metadata xmlns='%s'><info id='%s' bytes='%d' type='image/png' width='1' height='1'/></metadata>", ns.AvatarMetadata, id, len(avatarPNG))
}

// TestAvatarConversion (XEP-0398): an avatar alice publishes over PEP
// (XEP-0084) becomes her vCard photo, and bob sees the new hash in her
// presence; a photo carol sets in her vCard is published over PEP.
func TestAvatarConversion(t *testing.T) {
	srv := newUsers(t, "alice", "bob", "carol")
	friends(t, srv, [2]string{"alice", "bob"})
	a := online(t, srv, "alice", "laptop")
	b := online(t, srv, "bob", "desk")
	id := sha1hex(avatarPNG)

	info := mustResult(t, iq(t, a, "get", "", "<query xmlns='http://jabber.org/protocol/disco#info'/>"))
	if !xmpptest.Contains(info, ns.PEPVCard) {
		t.Errorf("account disco#info %s lacks %s", info, ns.PEPVCard)
	}
	mustResult(t, iq(t, a, "set", "", publishXML(ns.AvatarData, id, avatarData(), "")))
	mustResult(t, iq(t, a, "set", "", publishXML(ns.AvatarMetadata, id, avatarMetadata(id), "")))
	b.ExpectMatch("alice's presence with the new avatar's hash", func(el *xml.Element) bool {
		h, ok := photoHash(el)
		return isPresenceFrom(a.JID, "")(el) && ok && h == id
	}, isAny)
	v := mustResult(t, iq(t, b, "get", "alice@localhost", "<vCard xmlns='vcard-temp'/>"))
	bin := v.Child(ns.VCard, "vCard").Child(ns.VCard, "PHOTO").Child(ns.VCard, "BINVAL")
	data, _ := base64.StdEncoding.DecodeString(bin.Text)
	if sha1hex(data) != id {
		t.Fatalf("vCard photo after the PEP avatar: %s", v)
	}

	// Metadata naming an image that is not in the data node changes nothing.
	mustResult(t, iq(t, a, "set", "", publishXML(ns.AvatarMetadata, "0000", avatarMetadata("0000"), "")))
	v = mustResult(t, iq(t, b, "get", "alice@localhost", "<vCard xmlns='vcard-temp'/>"))
	if !xmpptest.Contains(v, "BINVAL") {
		t.Fatalf("a bad metadata item removed the photo: %s", v)
	}
	// Empty metadata: the avatar is disabled.
	mustResult(t, iq(t, a, "set", "", publishXML(ns.AvatarMetadata, "", "<metadata xmlns='urn:xmpp:avatar:metadata'/>", "")))
	b.ExpectMatch("alice's presence without avatar", func(el *xml.Element) bool {
		h, ok := photoHash(el)
		return isPresenceFrom(a.JID, "")(el) && ok && h == ""
	}, isAny)

	c := online(t, srv, "carol", "desk")
	card := fmt.Sprintf("<vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>%s</BINVAL></PHOTO></vCard>", base64.StdEncoding.EncodeToString(avatarPNG))
	mustResult(t, iq(t, c, "set", "", card))
	items := mustResult(t, iq(t, c, "get", "", fmt.Sprintf("<pubsub xmlns='%s'><items node='%s'/></pubsub>", ns.PubSub, ns.AvatarMetadata)))
	if !xmpptest.Contains(items, "id='"+id+"'", "type='image/png'", "bytes='"+strconv.Itoa(len(avatarPNG))+"'") {
		t.Fatalf("carol's PEP metadata after her vCard photo: %s", items)
	}
	items = mustResult(t, iq(t, c, "get", "", fmt.Sprintf("<pubsub xmlns='%s'><items node='%s'/></pubsub>", ns.PubSub, ns.AvatarData)))
	if !xmpptest.Contains(items, base64.StdEncoding.EncodeToString(avatarPNG)) {
		t.Fatalf("carol's PEP data after her vCard photo: %s", items)
	}
}

// TestPrivateStorageAndBookmarks (XEP-0049, XEP-0402 #compat): private
// XML round-trips per namespace within limits and for its owner only;
// storage:bookmarks is a view of the XEP-0402 bookmarks in PEP, both
// ways, with URL bookmarks kept beside them.
func TestPrivateStorageAndBookmarks(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.PrivateStorage.MaxNamespaces = 2 })
	srv.AddUser("alice@localhost", "secret")
	srv.AddUser("bob@localhost", "secret")
	a := onlineCaps(t, srv, "alice", "laptop", true, ns.Bookmarks2+"+notify")
	a2 := onlineCaps(t, srv, "alice", "phone", false, ns.Bookmarks2+"+notify")
	b := online(t, srv, "bob", "desk")

	mustResult(t, iq(t, a, "set", "", "<query xmlns='jabber:iq:private'><prefs xmlns='urn:test:prefs'><color>blue</color></prefs></query>"))
	got := mustResult(t, iq(t, a, "get", "", "<query xmlns='jabber:iq:private'><prefs xmlns='urn:test:prefs'/></query>"))
	if !xmpptest.Contains(got, "<color>blue</color>") {
		t.Fatalf("private get %s", got)
	}
	if e := mustResult(t, iq(t, a, "get", "", "<query xmlns='jabber:iq:private'><none xmlns='urn:test:none'/></query>")); !xmpptest.Contains(e, "urn:test:none") {
		t.Fatalf("an unset namespace: %s, want the empty element back", e)
	}
	wantError(t, iq(t, a, "set", "", "<query xmlns='jabber:iq:private'><x xmlns='jabber:x:data'/></query>"), "not-acceptable", "", "")
	wantError(t, iq(t, b, "get", "alice@localhost", "<query xmlns='jabber:iq:private'><prefs xmlns='urn:test:prefs'/></query>"), "forbidden", "", "")
	mustResult(t, iq(t, a, "set", "", "<query xmlns='jabber:iq:private'><b xmlns='urn:test:b'/></query>"))
	wantError(t, iq(t, a, "set", "", "<query xmlns='jabber:iq:private'><c xmlns='urn:test:c'/></query>"), "resource-constraint", "", "")

	// XEP-0402 -> XEP-0048 view.
	room1 := "team@conference.localhost"
	conf := fmt.Sprintf("<conference xmlns='%s' name='Team' autojoin='true'><nick>al</nick></conference>", ns.Bookmarks2)
	mustResult(t, iq(t, a, "set", "", publishXML(ns.Bookmarks2, room1, conf, publishOptions("persist_items", "true", "access_model", "whitelist", "max_items", "max", "send_last_published_item", "never"))))
	a2.ExpectMatch("bookmark notification", isEvent("alice@localhost", ns.Bookmarks2), isAny)
	view := mustResult(t, iq(t, a, "get", "", "<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query>"))
	if !xmpptest.Contains(view, "jid='"+room1+"'", "name='Team'", "autojoin='true'", "<nick>al</nick>") {
		t.Fatalf("storage:bookmarks view %s", view)
	}

	// XEP-0048 -> XEP-0402: a new room and a URL; team is dropped.
	room2 := "games@conference.localhost"
	set := fmt.Sprintf("<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'><conference jid='%s' name='Games' autojoin='false'><nick>alice</nick><password>pw</password></conference><url name='Parley' url='https://parley.example/'/></storage></query>", room2)
	mustResult(t, iq(t, a, "set", "", set))
	a2.ExpectMatch("notification of the new bookmark", func(el *xml.Element) bool {
		return isEvent("alice@localhost", ns.Bookmarks2)(el) && eventItem(el) != nil && eventItem(el).Attr("id") == room2
	}, isAny)
	a2.ExpectMatch("notification of the dropped bookmark", func(el *xml.Element) bool {
		return isEvent("alice@localhost", ns.Bookmarks2)(el) && eventItem(el) != nil && eventItem(el).Name == "retract" && eventItem(el).Attr("id") == room1
	}, isAny)
	items := mustResult(t, iq(t, a, "get", "", fmt.Sprintf("<pubsub xmlns='%s'><items node='%s'/></pubsub>", ns.PubSub, ns.Bookmarks2)))
	s := items.String()
	if !strings.Contains(s, "id='"+room2+"'") || strings.Contains(s, room1) || !strings.Contains(s, "<password>pw</password>") || !strings.Contains(s, "autojoin='false'") {
		t.Fatalf("XEP-0402 items after the XEP-0048 set: %s", s)
	}
	view = mustResult(t, iq(t, a, "get", "", "<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query>"))
	if !xmpptest.Contains(view, "jid='"+room2+"'", "url='https://parley.example/'") || strings.Contains(view.String(), room1) {
		t.Fatalf("view after the set: %s", view)
	}
	info := mustResult(t, iq(t, a, "get", "alice@localhost", "<query xmlns='http://jabber.org/protocol/disco#info'/>"))
	if !xmpptest.Contains(info, ns.Bookmarks2+"#compat") {
		t.Errorf("account disco#info lacks %s#compat: %s", ns.Bookmarks2, info)
	}
}

// TestLastActivityAndTime (XEP-0012, XEP-0202).
func TestLastActivityAndTime(t *testing.T) {
	srv := newUsers(t, "alice", "bob", "mallory")
	friends(t, srv, [2]string{"alice", "bob"})
	b := online(t, srv, "bob", "desk")
	m := online(t, srv, "mallory", "x")
	a := online(t, srv, "alice", "laptop")
	if r := mustResult(t, iq(t, b, "get", "alice@localhost", "<query xmlns='jabber:iq:last'/>")); r.Child(ns.LastActivity, "query").Attr("seconds") != "0" {
		t.Fatalf("last activity of an online contact: %s, want 0", r)
	}
	a.Send("<presence type='unavailable'><status>Gone fishing</status></presence>")
	b.ExpectMatch("alice unavailable", isPresenceFrom(a.JID, "unavailable"), isAny)
	a.Close()
	xmpptest.WaitFor(t, "alice's session to end", func() bool { return !srv.Router().Online("alice@localhost") })
	r := mustResult(t, iq(t, b, "get", "alice@localhost", "<query xmlns='jabber:iq:last'/>"))
	q := r.Child(ns.LastActivity, "query")
	if n, err := strconv.Atoi(q.Attr("seconds")); err != nil || n < 0 || q.Text != "Gone fishing" {
		t.Fatalf("last activity of an offline contact: %s", r)
	}
	wantError(t, iq(t, m, "get", "alice@localhost", "<query xmlns='jabber:iq:last'/>"), "forbidden", "", "")
	up := mustResult(t, iq(t, b, "get", "localhost", "<query xmlns='jabber:iq:last'/>"))
	if _, err := strconv.Atoi(up.Child(ns.LastActivity, "query").Attr("seconds")); err != nil {
		t.Fatalf("server uptime %s", up)
	}

	tm := mustResult(t, iq(t, b, "get", "localhost", "<time xmlns='urn:xmpp:time'/>"))
	utc := tm.Child(ns.Time, "time").Child(ns.Time, "utc").Text
	if _, err := time.Parse(time.RFC3339, utc); err != nil || tm.Child(ns.Time, "time").Child(ns.Time, "tzo") == nil {
		t.Fatalf("entity time %s: %v", tm, err)
	}
}
