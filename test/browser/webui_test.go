package browser

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-im/parley/integration/presence"
)

// The tests of issue 15's pages for people: the presence widget on a page
// of another origin, the self-service pages and the admin console. Each
// drives Chromium step by step (webui_driver.mjs) beside slixmpp clients
// (clients/webui_peer.py) and checks that what the browser does takes
// effect over XMPP, and the other way round. Screenshots of every page are
// kept in artifacts/<test>/.

// webuiServer starts Parley with the admin console's admin (and more
// configuration, TOML).
func webuiServer(t *testing.T, more string, users ...string) *server {
	t.Helper()
	if target != "parley" {
		t.Skip("the pages for people are Parley's (issue 15)")
	}
	cfg := filepath.Join(t.TempDir(), "parley.toml")
	conf := "admins = [\"admin@" + domain + "\"]\n\n" + more
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return startServerWith(t, []string{"--config", cfg}, users...)
}

// widgetSel is the icon of the element for jid.
func widgetSel(jid string) string {
	return `[data-parley-jid="` + jid + `"] .parley-presence`
}

// TestWebUIWidget is the presence widget as docs/widget.md embeds it, on
// a page of another origin under a strict CSP: an anonymous viewer polls
// (a fake clock moves the 60-second cache along) and sees alice, who
// shares her presence, but not carol, who does not; the tooltip shows the
// status message; the menu's entries come from the vCard and work with
// the keyboard; a site's signed presence URL shows bob, who does not
// share his presence; a viewer signed in to Parley (bob, carol's contact) gets
// live updates over the WebSocket and sees carol too.
func TestWebUIWidget(t *testing.T) {
	srv := webuiServer(t, "", "alice", "bob", "carol")
	base := srv.origin()
	cli(t, srv, "user", "share-presence", "alice@"+domain, "on")

	x := startPeers(t, srv)
	x.do("login", "name", "alice", "user", "alice", "show", "dnd", "status", "in a meeting")
	x.do("vcard_set", "name", "alice", "fn", "Alice Liddell", "email", "alice@example.com", "tel", "+1 555 0100")
	x.do("login", "name", "bob", "user", "bob")
	x.do("login", "name", "carol", "user", "carol")
	x.do("vcard_set", "name", "carol", "fn", "Carol", "email", "carol@example.com", "tel", "+1 555 0101")
	x.do("befriend", "a", "bob", "b", "carol")

	// A site's signed presence URL for bob (who does not share his
	// presence): bob's own PRESENCE token signs it (K1), as in
	// TestPresenceEmbed.
	session := tokenObject(t, base, "createSession", "bob@"+domain, password, "USER")
	tok := tokenObject(t, base, "requestToken", "bob@"+domain, session.Token, map[string]string{"tokenPolicy": "PRESENCE"}, nil)
	q := url.Values{"R_UID": {"bob@" + domain}}
	signed := base + "/imtapp/Presence?" + q.Encode() + "&TID=" + tok.attr("TOKENID") + "&K1=" + presence.K1(tok.Token, q)

	// The third-party page: the three lines of docs/widget.md, with this
	// server's address and this test's users, plus carol and bob's icon
	// with the signed URL.
	embed := docBlock(t, "widget.md", "embed")
	embed = strings.ReplaceAll(embed, "https://chat.example.org", base)
	embed = strings.ReplaceAll(embed, "@example.org", "@"+domain)
	page := "<!doctype html><html lang=en><head><meta charset=utf-8><title>Our team</title></head><body><h1>Our team</h1>\n" +
		embed + `<p><span data-parley-jid="carol@` + domain + `">Carol</span></p>` +
		`<p><span data-parley-jid="bob@` + domain + `" data-parley-presence-url="` + html.EscapeString(signed) + `">Bob (signed)</span></p><p><a href="#" id="after">after</a></p></body></html>`
	wsOrigin := "ws://" + srv.http
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src "+base+"; connect-src "+base+" "+wsOrigin)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))
	t.Cleanup(site.Close)
	if strings.TrimPrefix(site.URL, "http://") == srv.http {
		t.Fatal("the test page must be of another origin")
	}
	alice, bob, carol := "alice@"+domain, "bob@"+domain, "carol@"+domain

	b := startSteps(t)
	b.context("anon", true)
	b.goTo("anon", site.URL+"/")
	b.waitAttr("anon", widgetSel(alice), "data-parley-state", "busy")
	b.waitText("anon", `[data-parley-jid="`+carol+`"] [role=tooltip]`, "Offline")
	if got := b.attr("anon", widgetSel(carol), "data-parley-state"); got != "offline" {
		t.Fatalf("anonymous view of carol, who does not share her presence: %q", got)
	}
	// bob does not share his presence, but the site's signed URL shows it
	// (on both his icons: the widget asks once per user).
	b.waitAttr("anon", widgetSel(bob), "data-parley-state", "online")
	if n := b.count("anon", "[data-parley-state]"); n != 4 {
		t.Fatalf("%d icons, want 4", n)
	}
	if reqs, _ := b.do("requests", "ctx", "anon", "contains", "/widget/v1/signed?").([]any); len(reqs) == 0 {
		t.Fatal("the widget did not ask for bob's signed presence")
	}

	// Hover: the status message.
	b.do("hover", "ctx", "anon", "selector", widgetSel(alice))
	b.waitVisible("anon", `[data-parley-jid="`+alice+`"] [role=tooltip]`)
	if tip := b.text("anon", `[data-parley-jid="`+alice+`"] [role=tooltip]`); tip != "in a meeting" {
		t.Fatalf("alice's tooltip: %q", tip)
	}
	if label := b.attr("anon", widgetSel(alice), "aria-label"); !strings.Contains(label, "Alice Liddell") || !strings.Contains(label, "Busy") {
		t.Fatalf("alice's icon label: %q", label)
	}
	b.shot("anon", "widget-anonymous-tooltip")

	// The keyboard: Enter opens the menu on its first entry, arrows move,
	// Escape returns to the icon.
	b.do("focus", "ctx", "anon", "selector", widgetSel(alice))
	b.do("press", "ctx", "anon", "key", "Enter")
	want := []struct{ action, href string }{
		{"message", "xmpp:" + alice + "?message"},
		{"mail", "mailto:alice@example.com"},
		{"call", "tel:+15550100"},
		{"message", "xmpp:" + alice + "?message"}, // wraps around
	}
	for i, w := range want {
		if i > 0 {
			b.do("press", "ctx", "anon", "key", "ArrowDown")
		}
		tag, _, attrs := b.focused("anon")
		if tag != "a" || attrs["role"] != "menuitem" || attrs["data-parley-action"] != w.action || attrs["href"] != w.href {
			t.Fatalf("menu entry %d: focused %s %v, want %s %s", i, tag, attrs, w.action, w.href)
		}
	}
	if got := b.attr("anon", widgetSel(alice), "aria-expanded"); got != "true" {
		t.Fatalf("aria-expanded with the menu open: %q", got)
	}
	b.shot("anon", "widget-anonymous-menu")
	b.do("press", "ctx", "anon", "key", "Escape")
	if _, _, attrs := b.focused("anon"); attrs["class"] != "parley-presence" || attrs["aria-expanded"] != "false" {
		t.Fatalf("after Escape the focus is on %v, want alice's icon with the menu closed", attrs)
	}
	// carol's vCard is not for anonymous viewers: only the chat entry.
	b.click("anon", widgetSel(carol))
	b.waitVisible("anon", `[data-parley-jid="`+carol+`"] [role=menu]`)
	if n := b.count("anon", `[data-parley-jid="`+carol+`"] [role=menuitem]`); n != 1 {
		t.Fatalf("carol's menu for an anonymous viewer has %d entries, want only the chat", n)
	}
	b.do("press", "ctx", "anon", "key", "Escape")

	// alice changes her presence: the anonymous page sees it at its next
	// poll, a minute later, revalidating with the ETag.
	x.do("presence", "name", "alice", "show", "away", "status", "lunch")
	b.do("forward", "ctx", "anon", "ms", 61000)
	b.waitAttr("anon", widgetSel(alice), "data-parley-state", "away")
	b.waitText("anon", `[data-parley-jid="`+alice+`"] [role=tooltip]`, "lunch")
	reqs, _ := b.do("requests", "ctx", "anon", "contains", "/widget/v1/presence?jid=alice").([]any)
	if len(reqs) < 2 {
		t.Fatalf("alice's presence was fetched %d times, want a poll and a poll a minute later", len(reqs))
	}
	if last, _ := reqs[len(reqs)-1].(map[string]any); last["ifNoneMatch"] == "" {
		t.Fatalf("the second poll did not revalidate with the ETag: %v", last)
	}

	// A viewer signed in to Parley: live updates, and carol, whose
	// presence bob receives.
	b.context("viewer", false)
	b.signIn("viewer", base, bob, password)
	b.goTo("viewer", site.URL+"/")
	b.waitAttr("viewer", widgetSel(carol), "data-parley-state", "online")
	b.waitAttr("viewer", widgetSel(alice), "data-parley-state", "away")
	x.do("presence", "name", "carol", "show", "dnd", "status", "on a call")
	b.waitAttr("viewer", widgetSel(carol), "data-parley-state", "busy")
	b.waitText("viewer", `[data-parley-jid="`+carol+`"] [role=tooltip]`, "on a call")
	b.click("viewer", widgetSel(carol))
	b.waitVisible("viewer", `[data-parley-jid="`+carol+`"] [role=menu]`)
	hrefs := map[string]string{}
	for _, action := range []string{"message", "mail", "call"} {
		hrefs[action] = b.attr("viewer", `[data-parley-jid="`+carol+`"] [data-parley-action=`+action+`]`, "href")
	}
	if hrefs["message"] != base+"/me/chat?with="+strings.ReplaceAll(carol, "@", "%40") ||
		hrefs["mail"] != "mailto:carol@example.com" || hrefs["call"] != "tel:+15550101" {
		t.Fatalf("carol's menu for bob: %v", hrefs)
	}
	b.shot("viewer", "widget-live-menu")

	// The anonymous page still sees carol offline.
	b.do("forward", "ctx", "anon", "ms", 61000)
	b.waitAttr("anon", widgetSel(alice), "data-parley-state", "away")
	if got := b.attr("anon", widgetSel(carol), "data-parley-state"); got != "offline" {
		t.Fatalf("anonymous view of carol after her change: %q", got)
	}
}

// TestWebUISelfService signs alice in to the self-service pages and
// changes each thing they offer, checking it over XMPP (bob, her contact,
// and her own devices) or over HTTP: status and status message, the vCard
// with a picture, publishing her presence on the web, the web sign-ins
// and "sign out everywhere", the password. A forged change (no CSRF
// token) and wrong passwords are refused.
func TestWebUISelfService(t *testing.T) {
	srv := webuiServer(t, "", "alice", "bob", "carol")
	base := srv.origin()
	alice := "alice@" + domain
	x := startPeers(t, srv)
	x.do("login", "name", "phone", "user", "alice", "resource", "phone")
	x.do("login", "name", "bob", "user", "bob")
	x.do("befriend", "a", "phone", "b", "bob")
	b := startSteps(t)

	// A wrong password is refused.
	b.context("guess", false)
	b.goTo("guess", base+"/signin")
	b.fill("guess", "#address", "carol@"+domain)
	b.fill("guess", "#password", "guess-0")
	b.click("guess", "#signin-button")
	b.waitText("guess", "#signin-error", "wrong")
	b.shot("guess", "signin-wrong")

	b.context("me", false)
	b.signIn("me", base, alice, password)
	if c, _ := b.eval("me", "document.cookie").(string); strings.Contains(c, "parley_session") {
		t.Fatalf("the sign-in cookie is readable by scripts: %q", c)
	}
	b.shot("me", "me-home")

	// Status: the page is one of alice's devices; bob sees what it sets.
	mark := x.mark()
	b.goTo("me", base+"/me/status")
	b.waitAttr("me", "#connection", "data-state", "online")
	b.waitVisible("me", `#devices [data-jid="`+alice+`/phone"]`)
	b.click("me", `input[name=state][value=busy]`)
	b.fill("me", "#status-message", "focus time")
	b.click("me", "#status-set")
	x.expectAfter(mark, "presence", "client", "bob", "frm", alice+"/web-status-*", "show", "dnd", "status", "focus time")
	b.shot("me", "me-status")

	// Profile: the vCard, picture included, as bob's client reads it.
	b.goTo("me", base+"/me/profile")
	b.fill("me", "#fn", "Alice Liddell")
	b.fill("me", "#email", "alice@example.com")
	b.fill("me", "#tel", "+1 555 0100")
	pic := pngFile(t)
	b.do("upload", "ctx", "me", "selector", "#photo", "path", pic)
	b.click("me", "#profile-save")
	b.waitText("me", "#flash", "saved")
	b.waitVisible("me", "#avatar")
	card := x.do("vcard_get", "name", "bob", "jid", alice)
	st, err := os.Stat(pic)
	if err != nil {
		t.Fatal(err)
	}
	if card.get("fn") != "Alice Liddell" || card.get("email") != "alice@example.com" || card.get("tel") != "+1 555 0100" ||
		card.get("photo") != fmt.Sprint(st.Size()) {
		t.Fatalf("alice's vCard as bob reads it: %v (picture of %d bytes)", card, st.Size())
	}
	b.shot("me", "me-profile")

	// Publishing her presence on the web: the widget's anonymous view
	// shows her from then on.
	presenceURL := base + "/widget/v1/presence?jid=" + alice
	if _, body := httpGet(t, presenceURL); !strings.Contains(body, `"shared":false`) {
		t.Fatalf("before the opt-in: %s", body)
	}
	b.goTo("me", base+"/me/preferences")
	b.do("check", "ctx", "me", "selector", "#share")
	b.do("check", "ctx", "me", "selector", "#reminders-on") // the calendar agent runs by default
	b.click("me", "#preferences-save")
	b.waitText("me", "#flash", "saved")
	b.goTo("me", base+"/me/preferences")
	if n := b.count("me", "#reminders-on:checked, #share:checked"); n != 2 {
		t.Fatalf("after saving, %d of the two preferences are on", n)
	}
	if _, body := httpGet(t, presenceURL); !strings.Contains(body, `"shared":true`) || !strings.Contains(body, `"name":"Alice Liddell"`) {
		t.Fatalf("after the opt-in: %s", body)
	}
	b.shot("me", "me-preferences")
	// A forged change without the CSRF token is refused and changes nothing.
	if code := b.postFromPage("me", "/me/preferences", "share="); code != http.StatusForbidden {
		t.Fatalf("a change without the CSRF token: HTTP %d, want 403", code)
	}
	if _, body := httpGet(t, presenceURL); !strings.Contains(body, `"shared":true`) {
		t.Fatalf("after the refused forgery: %s", body)
	}

	// The web chat the widget opens for signed-in viewers.
	bob := "bob@" + domain
	mark = x.mark()
	b.goTo("me", base+"/me/chat?with="+bob)
	b.waitAttr("me", "#status", "data-state", "active")
	b.waitAttr("me", "#peer-state", "data-state", "online")
	b.fill("me", "#text", "hello from the web")
	b.click("me", "#send")
	got := x.expectAfter(mark, "message", "client", "bob", "frm", alice+"/web-chat-*", "body", "hello from the web")
	x.do("message", "name", "bob", "to", got.get("frm"), "body", "hi back")
	b.waitText("me", "#messages", "hi back")
	b.shot("me", "me-chat")

	// Sessions: a second browser, then "sign out everywhere" ends both and
	// disconnects her device.
	b.context("laptop", false)
	b.signIn("laptop", base, alice, password)
	b.goTo("me", base+"/me/sessions")
	if n := b.count("me", "#web-sessions tbody tr"); n != 2 {
		t.Fatalf("%d web sign-ins listed, want 2", n)
	}
	b.waitVisible("me", `#xmpp-sessions tr[data-jid="`+alice+`/phone"]`)
	b.shot("me", "me-sessions")
	mark = x.mark()
	b.click("me", "#signout-all")
	b.waitVisible("me", "#signin")
	x.expectAfter(mark, "disconnected", "client", "phone")
	b.goTo("laptop", base+"/me/")
	if u := b.url("laptop"); !strings.Contains(u, "/signin") {
		t.Fatalf("the other browser after signing out everywhere is at %s, want the sign-in", u)
	}

	// Password: the wrong current one is refused; a change ends her other
	// devices, and only the new password logs in.
	x.do("login", "name", "phone2", "user", "alice", "resource", "phone2")
	b.signIn("me", base, alice, password)
	b.goTo("me", base+"/me/password")
	b.fill("me", "#current", "not-it")
	b.fill("me", "#new", "a-new-secret-1")
	b.fill("me", "#confirm", "a-new-secret-1")
	b.click("me", "#password-save")
	b.waitText("me", "#problem", "wrong")
	mark = x.mark()
	b.fill("me", "#current", password)
	b.fill("me", "#new", "a-new-secret-1")
	b.fill("me", "#confirm", "a-new-secret-1")
	b.click("me", "#password-save")
	b.waitText("me", "#flash", "changed")
	b.shot("me", "me-password")
	x.expectAfter(mark, "disconnected", "client", "phone2")
	if !x.loginWorks("alice", "a-new-secret-1") {
		t.Fatal("the new password does not log in over XMPP")
	}
	if x.loginWorks("alice", password) {
		t.Fatal("the old password still logs in over XMPP")
	}
}

// TestWebUIConsole is the admin console, as docs/operators.md describes
// it: only the admins of the configuration get in; each page changes
// something that takes effect over XMPP or the integration services, and
// the CLI sees the same (the console and the CLI call the same code).
func TestWebUIConsole(t *testing.T) {
	srv := webuiServer(t, "", "admin", "alice")
	base := srv.origin()
	admin, alice := "admin@"+domain, "alice@"+domain
	x := startPeers(t, srv)
	b := startSteps(t)

	// A user who is not an admin is refused.
	b.context("alice", false)
	b.signIn("alice", base, alice, password)
	if code := b.goTo("alice", base+"/admin/"); code != http.StatusForbidden {
		t.Fatalf("alice, not an admin, got the console: HTTP %d", code)
	}

	b.context("admin", false)
	b.signIn("admin", base, admin, password)
	if code := b.goTo("admin", base+"/admin/"); code != http.StatusOK {
		t.Fatalf("the console for an admin: HTTP %d", code)
	}
	for _, chart := range []string{"connections", "messages", "logins"} {
		b.do("wait", "ctx", "admin", "selector", `#stats [data-chart="`+chart+`"] svg polyline[points]`)
	}
	// The statistics the charts poll: the same counters as /metrics.
	if v, _ := b.eval("admin", `fetch("/admin/stats.json").then((r) => r.status)`).(float64); v != http.StatusOK {
		t.Fatalf("/admin/stats.json: HTTP %v", v)
	}
	b.shot("admin", "console-home")

	// Users: add, reset the password, remove; XMPP logins follow.
	dave := "dave@" + domain
	daveRow := `#users tr[data-user="` + dave + `"]`
	b.goTo("admin", base+"/admin/users")
	b.fill("admin", "#add-address", dave)
	b.fill("admin", "#add-password", "dave-pass-1")
	b.click("admin", "#user-add-button")
	b.waitVisible("admin", daveRow)
	if !x.loginWorks("dave", "dave-pass-1") {
		t.Fatal("the account the console added does not log in")
	}
	if out := cli(t, srv, "user", "list"); !strings.Contains(out, dave) {
		t.Fatalf("parley user list does not show %s:\n%s", dave, out)
	}
	b.fill("admin", `[id="pw-`+dave+`"]`, "dave-pass-2")
	b.click("admin", daveRow+` form[action="/admin/users/password"] button`)
	b.waitVisible("admin", "#flash")
	if !x.loginWorks("dave", "dave-pass-2") {
		t.Fatal("the password the console set does not log in")
	}
	if x.loginWorks("dave", "dave-pass-1") {
		t.Fatal("the old password still logs in after the console reset it")
	}
	b.shot("admin", "console-users")
	b.click("admin", daveRow+" a.button")
	b.click("admin", "#confirm-button")
	b.waitVisible("admin", "#flash")
	if n := b.count("admin", daveRow); n != 0 {
		t.Fatalf("the removed account is still listed")
	}
	if x.loginWorks("dave", "dave-pass-2") {
		t.Fatal("the removed account still logs in")
	}
	// A forged change without the CSRF token is refused.
	if code := b.postFromPage("admin", "/admin/users/add", "address=mallory%40"+domain+"&password=mallory-pass"); code != http.StatusForbidden {
		t.Fatalf("adding an account without the CSRF token: HTTP %d, want 403", code)
	}
	if out := cli(t, srv, "user", "list"); strings.Contains(out, "mallory") {
		t.Fatalf("the forged request added an account:\n%s", out)
	}

	// Sessions online: the same list as `parley session list`; kick.
	x.do("login", "name", "desk", "user", "alice", "resource", "desk")
	if out := cli(t, srv, "session", "list"); !strings.Contains(out, alice+"/desk") {
		t.Fatalf("parley session list does not show alice's session:\n%s", out)
	}
	b.goTo("admin", base+"/admin/sessions")
	row := `#sessions tr[data-jid="` + alice + `/desk"]`
	b.waitVisible("admin", row)
	b.shot("admin", "console-sessions")
	mark := x.mark()
	b.click("admin", row+" button")
	x.expectAfter(mark, "disconnected", "client", "desk")
	b.waitVisible("admin", "#flash")

	// Sites: create one, rotate its key; the integration services take
	// the new key and refuse the old one.
	b.goTo("admin", base+"/admin/sites")
	b.fill("admin", "#site-name", "Intranet")
	b.click("admin", "#site-add-button")
	b.waitVisible("admin", "#key-value")
	siteID, key1 := b.text("admin", "#key-site"), b.text("admin", "#key-value")
	if createSession(t, base, siteID, key1) != http.StatusOK {
		t.Fatalf("site %s's key from the console does not open a session", siteID)
	}
	if out := cli(t, srv, "site", "list"); !strings.Contains(out, siteID) {
		t.Fatalf("parley site list does not show site %s:\n%s", siteID, out)
	}
	b.goTo("admin", base+"/admin/sites")
	b.click("admin", `#sites tr[data-site="`+siteID+`"] a.button`)
	b.click("admin", "#confirm-button")
	b.waitVisible("admin", "#key-value")
	key2 := b.text("admin", "#key-value")
	b.shot("admin", "console-sites")
	if key2 == key1 || createSession(t, base, siteID, key2) != http.StatusOK {
		t.Fatalf("the rotated key (changed: %v) does not open a session", key2 != key1)
	}
	if createSession(t, base, siteID, key1) == http.StatusOK {
		t.Fatal("the old key still opens a session after the rotation")
	}

	// Support groups: a group with alice as its agent, as the CLI lists it.
	group := "support@groups." + domain
	b.goTo("admin", base+"/admin/groups")
	b.fill("admin", "#group-jid", group)
	b.fill("admin", "#group-name", "Support")
	b.click("admin", "#group-add-button")
	sect := `section[data-group="` + group + `"]`
	b.waitVisible("admin", sect)
	b.fill("admin", `[id="member-`+group+`"]`, alice)
	b.click("admin", sect+` form[action="/admin/groups/add-member"] button`)
	b.waitVisible("admin", sect+` [data-member="`+alice+`"]`)
	b.shot("admin", "console-groups")
	if out := cli(t, srv, "group", "members", group); !strings.Contains(out, alice) {
		t.Fatalf("parley group members %s does not show alice:\n%s", group, out)
	}

	// Rooms: create a persistent room; alice joins it; destroying it from
	// the console removes her, with the reason.
	room := "team@conference." + domain
	b.goTo("admin", base+"/admin/rooms")
	b.fill("admin", "#room-jid", room)
	b.fill("admin", "#room-name", "Team")
	b.click("admin", "#room-add-button")
	b.waitVisible("admin", `#rooms tr[data-room="`+room+`"]`)
	if out := cli(t, srv, "room", "list"); !strings.Contains(out, room) {
		t.Fatalf("parley room list does not show %s:\n%s", room, out)
	}
	x.do("login", "name", "member", "user", "alice", "resource", "member")
	x.do("join", "name", "member", "room", room, "nick", "alice")
	b.shot("admin", "console-rooms")
	mark = x.mark()
	b.click("admin", `#rooms tr[data-room="`+room+`"] a.button`)
	b.fill("admin", "#reason", "moving to another room")
	b.click("admin", "#confirm-button")
	x.expectAfter(mark, "presence", "client", "member", "frm", room+"/alice", "type", "unavailable")
	b.waitVisible("admin", "#flash")
	if n := b.count("admin", `#rooms tr[data-room="`+room+`"]`); n != 0 {
		t.Fatal("the destroyed room is still listed")
	}

	// Conferences: the page answers (no conference is running).
	if code := b.goTo("admin", base+"/admin/conferences"); code != http.StatusOK {
		t.Fatalf("/admin/conferences: HTTP %d", code)
	}
	b.shot("admin", "console-conferences")
}

// createSession asks the integration services' JSON binding for a SITE
// session and returns the HTTP status.
func createSession(t *testing.T, base, site, key string) int {
	t.Helper()
	body := fmt.Sprintf(`{"param0": %q, "param1": %q, "param2": "SITE"}`, site, key)
	resp, err := http.Post(base+"/api/v1/AuthenticationService/createSession", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestWebUISignInLimits: failed web sign-ins count against the login
// limits XMPP logins share. With limits.auth_failures_per_minute = 1 (a
// budget of one failure, back after a minute), one wrong password makes
// the right one refused at once, on the web and over XMPP (the test's
// steps take a few seconds, well inside the minute).
func TestWebUISignInLimits(t *testing.T) {
	srv := webuiServer(t, "[limits]\nauth_failures_per_minute = 1\n", "carol")
	base := srv.origin()
	x := startPeers(t, srv)
	b := startSteps(t)
	b.context("guess", false)
	b.goTo("guess", base+"/signin")
	b.fill("guess", "#address", "carol@"+domain)
	b.fill("guess", "#password", "a-guess")
	b.click("guess", "#signin-button")
	b.waitText("guess", "#signin-error", "wrong")
	b.fill("guess", "#password", password)
	b.click("guess", "#signin-button")
	b.waitText("guess", "#signin-error", "Too many failed sign-ins")
	b.shot("guess", "signin-throttled")
	if x.loginWorks("carol", password) {
		t.Fatal("carol logged in over XMPP right after the throttled web sign-in")
	}
}
