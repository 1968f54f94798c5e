package browser

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// bookmarksOf matches a "bookmarks" event of converse_profile.html that
// lists room with autojoin on.
func bookmarksOf(room string) func(event) bool {
	return func(e event) bool {
		if e.get("event") != "bookmarks" {
			return false
		}
		var v struct {
			Bookmarks []struct {
				JID      string `json:"jid"`
				Nick     string `json:"nick"`
				Autojoin bool   `json:"autojoin"`
			} `json:"bookmarks"`
		}
		if decode(e, &v) != nil {
			return false
		}
		return slices.ContainsFunc(v.Bookmarks, func(b struct {
			JID      string `json:"jid"`
			Nick     string `json:"nick"`
			Autojoin bool   `json:"autojoin"`
		}) bool {
			return b.JID == room && b.Autojoin && b.Nick == "alice"
		})
	}
}

// TestConverseAvatarAndBookmarks (issue 11): Converse.js, its whole UI in
// Chromium, as alice.
//
// Avatars: bob (slixmpp) publishes an avatar over PEP (XEP-0084) and
// becomes alice's contact. Converse.js reads avatars from vCards
// (XEP-0054/XEP-0153) only; Parley converts the PEP avatar into bob's vCard
// photo (XEP-0398), and alice's roster shows bob with exactly that image.
//
// Bookmarks: alice opens a room; Converse.js bookmarks it itself (XEP-0402
// on Parley's PEP, as the account advertises urn:xmpp:bookmarks:1#compat
// and publish-options). Then the page forgets everything it stored
// (Converse.js keeps it in session storage here) and reloads: Converse.js logs in
// anew, reads the bookmark back from the server, joins the room again
// (autojoin) and lists it in its Bookmarks dialog.
func TestConverseAvatarAndBookmarks(t *testing.T) {
	if target != "parley" {
		t.Skip("needs Parley's PEP with the XEP-0398 conversion and rooms on conference.localhost")
	}
	if _, err := os.Stat(filepath.Join(pkgDir, converseDist, "converse.min.js")); err != nil {
		msg := fmt.Sprintf("%v: run npm ci in test/browser", err)
		if os.Getenv("CI") != "" || os.Getenv(requiredEnv) != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	const room = "lounge@conference." + domain
	srv := startServer(t, "alice", "bob")
	pages := serveConverse(t)
	endpointExists(t, srv.wsURL())

	bob := startProc(t, "slixmpp", pkgDir, peerTimeout+10*time.Second, is("fail"),
		python, filepath.Join("clients", "converse_profile.py"), "--host", "127.0.0.1", "--port", port(srv.c2s),
		"--transport", srv.transport, "--domain", domain, "--password", password,
		"--timeout", strconv.Itoa(int(peerTimeout/time.Second)))
	bob.expect("ready")
	bob.send(map[string]string{"cmd": "avatar"})
	avatar := "data:image/png;base64," + bob.expect("published").get("png")

	q := url.Values{"url": {srv.wsURL()}, "jid": {"alice@" + domain}, "password": {password}}
	b := startBrowser(t, pages.URL+"/converse_profile.html?"+q.Encode())
	t.Logf("Converse.js %s", b.expect("client").get("version"))
	b.expect("connected", "jid", "alice@"+domain+"/*")
	bob.send(map[string]string{"cmd": "subscribe", "to": "alice@" + domain})
	bob.expect("mutual", "with", "alice@"+domain)
	b.waitFor("bob in alice's roster with the avatar he published over PEP", is("contact", "jid", "bob@"+domain, "avatar", avatar))

	b.send(map[string]string{"cmd": "send", "to": room, "body": ""})
	b.expect("opened", "to", room)
	b.waitFor("the room among Converse.js's bookmarks", bookmarksOf(room))

	b.send(map[string]string{"cmd": "send", "to": "reopen"})
	reloaded := b.expect("reloading").get("t")
	b.waitFor("Converse.js logged in again", afterT(reloaded, is("connected")))
	b.waitFor("the bookmark, read back from the server", afterT(reloaded, bookmarksOf(room)))
	b.waitFor("the bookmarked room joined again (autojoin)", afterT(reloaded, is("entered", "room", room)))
	b.send(map[string]string{"cmd": "send", "to": "bookmarks"})
	listed := b.waitFor("the Bookmarks dialog", afterT(reloaded, is("bookmarks_list")))
	if rooms := list(listed, "rooms"); !slices.Contains(rooms, room) {
		t.Errorf("the Bookmarks dialog lists %v, want %s", rooms, room)
	}
	b.waitFor("bob's avatar after the reload", afterT(reloaded, is("contact", "jid", "bob@"+domain, "avatar", avatar)))

	bob.send(map[string]string{"cmd": "quit"})
	bob.wait()
	if e := find(b.snapshot(), is("fail")); e != nil {
		t.Errorf("browser: %s", e)
	}
}
