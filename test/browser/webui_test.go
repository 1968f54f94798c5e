package browser

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The tests of issue 15's pages for people: the presence widget on a page
// of another origin, the self-service pages and the admin console. Each
// drives Chromium step by step (webui_driver.mjs) beside slixmpp clients
// (clients/webui_peer.py) and checks that what the browser does takes
// effect over XMPP, and the other way round. Screenshots of every page are
// kept in artifacts/<test>/.

// webuiServer starts Parley with the admin console's admin and login
// limits low enough to reach in a test.
func webuiServer(t *testing.T, users ...string) *server {
	t.Helper()
	if target != "parley" {
		t.Skip("the pages for people are Parley's (issue 15)")
	}
	cfg := filepath.Join(t.TempDir(), "parley.toml")
	conf := "admins = [\"admin@" + domain + "\"]\n\n[limits]\nauth_failures_per_minute = 3\n"
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
// the keyboard; a viewer signed in to Parley (bob, carol's contact) gets
// live updates over the WebSocket and sees carol too.
func TestWebUIWidget(t *testing.T) {
	srv := webuiServer(t, "alice", "bob", "carol")
	base := srv.origin()
	cli(t, srv, "user", "share-presence", "alice@"+domain, "on")

	x := startPeers(t, srv)
	x.do("login", "name", "alice", "user", "alice", "show", "dnd", "status", "in a meeting")
	x.do("vcard_set", "name", "alice", "fn", "Alice Liddell", "email", "alice@example.com", "tel", "+1 555 0100")
	x.do("login", "name", "bob", "user", "bob")
	x.do("login", "name", "carol", "user", "carol")
	x.do("vcard_set", "name", "carol", "fn", "Carol", "email", "carol@example.com", "tel", "+1 555 0101")
	x.do("befriend", "a", "bob", "b", "carol")

	// The third-party page: the three lines of docs/widget.md, with this
	// server's address and this test's users, plus carol.
	embed := docBlock(t, "widget.md", "embed")
	embed = strings.ReplaceAll(embed, "https://chat.example.org", base)
	embed = strings.ReplaceAll(embed, "@example.org", "@"+domain)
	page := "<!doctype html><html lang=en><head><meta charset=utf-8><title>Our team</title></head><body><h1>Our team</h1>\n" +
		embed + `<p><span data-parley-jid="carol@` + domain + `">Carol</span></p><p><a href="#" id="after">after</a></p></body></html>`
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
	if got := b.attr("anon", widgetSel(bob), "data-parley-state"); got != "offline" {
		t.Fatalf("anonymous view of bob: %q", got)
	}
	if n := b.count("anon", "[data-parley-state]"); n != 3 {
		t.Fatalf("%d icons, want 3", n)
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
