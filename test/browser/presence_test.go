package browser

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-im/parley/integration/presence"
)

// TestPresenceEmbed is seed 001 chapter 4's presence flow in a real
// browser: a token for the PRESENCE policy (obtained over the JSON
// binding of the Authentication service), presence URLs signed with K1
// by the "site" (this test's HTTP server renders pages/presence.html),
// embedded as images (IMG mode, two icon sets and sizes, and the seed-004
// endpoint with a signed req_jid) and as a script (JS mode) whose
// variables drive the page's own script. bob's slixmpp client changes
// his presence; after each change the browser reloads the page and shows
// it: the image bytes it received are the icon of the new state, and
// show/status are the new values.
//
// The token is bob's own (a USER entity may embed its own presence,
// seed 001 "Embeddable Presence"); the site flow differs only in
// createSession's entity. The page URLs carry a "ts" parameter (signed
// like the rest) that changes with every rendering, as the browser may
// otherwise answer a reload from its 60-second presence cache.
func TestPresenceEmbed(t *testing.T) {
	if target != "parley" {
		t.Skip("the presence URL is Parley's (seed 001)")
	}
	srv := startServer(t, "bob")
	base := srv.origin()
	endpointExists(t, base+"/plugins/presence/status?jid=bob@localhost&type=text")

	bob := startProc(t, "slixmpp", pkgDir, peerTimeout+10*time.Second, is("fail"),
		python, filepath.Join("clients", "presence.py"), "--host", "127.0.0.1", "--port", port(srv.c2s),
		"--transport", srv.transport, "--domain", domain, "--password", password,
		"--timeout", strconv.Itoa(int(peerTimeout/time.Second)), "--show", "dnd", "--status", "in a meeting")
	bob.expect("ready")

	// Step 1 and 2 of chapter 4: create a session, request a PRESENCE token.
	session := tokenObject(t, base, "createSession", "bob@localhost", password, "USER")
	tok := tokenObject(t, base, "requestToken", "bob@localhost", session.Token, map[string]string{"tokenPolicy": "PRESENCE"}, nil)
	tid := tok.attr("TOKENID")
	if tid == "" {
		t.Fatalf("requestToken: no TOKENID in %+v", tok)
	}

	// Step 3: the site signs presence URLs (K1 over every parameter and
	// the token) and embeds them.
	var renders atomic.Int64
	sign := func(path string, q url.Values) string {
		return base + path + "?" + q.Encode() + "&TID=" + tid + "&K1=" + presence.K1(tok.Token, q)
	}
	// The seed-004 endpoint takes its own signature (a presence URL's
	// K1 proves nothing there); HMAC-SHA-256, Parley's recommended form.
	signStatus := func(q url.Values) string {
		return base + "/plugins/presence/status?" + q.Encode() + "&TID=" + tid + "&K1=" + presence.StatusK1HMAC(tok.Token, q)
	}
	page := template.Must(template.ParseFiles(filepath.Join(pkgDir, "pages", "presence.html")))
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/presence.html" {
			http.NotFound(w, r)
			return
		}
		ts := strconv.FormatInt(renders.Add(1), 10)
		urls := map[string]string{
			"IMG":    sign("/imtapp/Presence", url.Values{"R_UID": {"bob@localhost"}, "R_MODE": {"IMG"}, "ts": {ts}}),
			"IMG32":  sign("/imtapp/Presence", url.Values{"UID": {"bob@localhost"}, "R_OP": {"4"}, "R_SIZE": {"32"}, "ts": {ts}}),
			"JS":     sign("/imtapp/Presence", url.Values{"R_UID": {"bob@localhost"}, "R_MODE": {"JS"}, "ts": {ts}}),
			"Status": signStatus(url.Values{"jid": {"bob@localhost"}, "req_jid": {"bob@localhost"}, "ts": {ts}}),
		}
		tampered := url.Values{"R_UID": {"bob@localhost"}, "ts": {ts}}
		urls["Tampered"] = base + "/imtapp/Presence?" + tampered.Encode() + "&TID=" + tid + "&K1=" + presence.K1(tok.Token+"x", tampered)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := page.Execute(w, urls); err != nil {
			t.Errorf("render: %v", err)
		}
	}))
	t.Cleanup(site.Close)

	browser := startProc(t, "browser", pkgDir, driverTimeout+10*time.Second,
		func(e event) bool { return is("fail")(e) || is("pageerror")(e) },
		"node", "presence_driver.mjs", "--page", site.URL+"/presence.html", "--chromium", chromiumPath,
		"--timeout", strconv.Itoa(int(driverTimeout/time.Second)), "--chromium-args="+os.Getenv(chromiumArgsEnv))
	browser.expect("browser")

	check := func(seq int, st presence.State, status, href string) {
		t.Helper()
		e := browser.expect("state", "seq", strconv.Itoa(seq))
		show := st.Show()
		if e.get("show") != show || e.get("status") != status || e.get("dataShow") != show {
			t.Errorf("state %d: show %q status %q data-show %q, want %s %q", seq, e.get("show"), e.get("status"), e.get("dataShow"), show, status)
		}
		if want := "Contact Me (I'm " + status + ")"; e.get("contact") != want || e.get("href") != href {
			t.Errorf("state %d: link %q -> %q, want %q -> %q", seq, e.get("contact"), e.get("href"), want, href)
		}
		var imgs map[string]struct {
			Width, Height int
			Complete      bool
			SHA256        string `json:"sha256"`
		}
		if err := json.Unmarshal([]byte(e.get("imgs")), &imgs); err != nil {
			t.Fatalf("state %d: imgs: %v", seq, err)
		}
		want := map[string][]byte{
			"img":      presence.Icon(0, st, presence.Small),
			"img32":    presence.Icon(4, st, presence.Large),
			"seed004":  presence.Icon(0, st, presence.Small),
			"tampered": presence.Icon(0, presence.Error, presence.Small),
		}
		for id, icon := range want {
			img := imgs[id]
			sum := sha256.Sum256(icon)
			size := presence.Small
			if id == "img32" {
				size = presence.Large
			}
			if !img.Complete || img.Width != size || img.Height != size || img.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("state %d: <img id=%s> %dx%d complete=%v sha256 %s: not the %dpx %s icon", seq, id, img.Width, img.Height, img.Complete, img.SHA256, size, st)
			}
		}
	}
	check(0, presence.DND, "in a meeting", "default.jsp")

	steps := []struct {
		cmd, show, status string
		st                presence.State
		label, href       string
	}{
		{"presence", "", "", presence.Available, "Available", "chat.jsp"},
		{"presence", "away", "back soon", presence.Away, "back soon", "default.jsp"},
		{"presence", "chat", "", presence.Chat, "Free to chat", "chat.jsp"},
		{"offline", "", "", presence.Offline, "Offline", "email.jsp"},
	}
	for i, s := range steps {
		seq := strconv.Itoa(i + 1)
		bob.send(map[string]string{"cmd": s.cmd, "seq": seq, "show": s.show, "status": s.status})
		bob.expect("presence_set", "seq", seq)
		browser.send(map[string]string{"cmd": "reload", "seq": seq})
		check(i+1, s.st, s.label, s.href)
	}
	bob.send(map[string]string{"cmd": "quit"})
}

// tokenObject calls an AuthenticationService operation over the JSON
// binding and returns the TokenObject it answers.
func tokenObject(t *testing.T, base, op string, params ...any) tokenObj {
	t.Helper()
	body := map[string]any{}
	for i, p := range params {
		body[fmt.Sprintf("param%d", i)] = p
	}
	data, _ := json.Marshal(body)
	resp, err := http.Post(base+"/api/v1/AuthenticationService/"+op, "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", op, resp.StatusCode, raw)
	}
	var out tokenObj
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s: %v in %s", op, err, raw)
	}
	return out
}

type tokenObj struct {
	Token           string `json:"token"`
	TokenAttributes []struct {
		Name  string  `json:"name"`
		Value *string `json:"value"`
	} `json:"tokenAttributes"`
}

func (o tokenObj) attr(name string) string {
	for _, a := range o.TokenAttributes {
		if a.Name == name && a.Value != nil {
			return *a.Value
		}
	}
	return ""
}
