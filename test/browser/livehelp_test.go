package browser

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/sqlite"
)

const (
	lhGroup   = "support@groups.localhost"
	lhVisitor = "john.doe@sites.example.com"
)

// TestLiveHelp is seed 001 chapter 4's live help, Figure 4-2, end to end:
// support group and site provisioned with the parley CLI while the server
// runs; two agents on slixmpp; a site (this test's HTTP server) whose page
// embeds /livehelp.js and whose start URL signs the chat request with a
// fresh GUESTCHAT token (obtained over the JSON binding, digest computed
// as the seed says); the visitor in Chromium presses the button, the chat
// window opens, the visitor writes, both agents get the offer, bob's reply
// takes the chat and alice is told; messages and typing both ways; the
// transcript is downloaded; the visitor ends the chat. A second visit of
// the same visitor shows the first conversation. A replayed request, a
// tampered digest and an expired token get a clear 403 page.
func TestLiveHelp(t *testing.T) {
	requireParley(t)
	srv := startServer(t, "alice", "bob")
	base := srv.origin()
	endpointExists(t, base+"/livehelp.js")

	// Provision while the server runs.
	out, err := run(parleyBin, nil, "site", "create", "--data-dir", srv.dataDir, "--name", "Vision Corp", "--policies", "PRESENCE,GUESTCHAT", "--json")
	if err != nil {
		t.Fatalf("parley site create: %v\n%s", err, out)
	}
	var siteKeys struct {
		SiteID  string `json:"site_id"`
		AuthKey string `json:"auth_key"`
	}
	if err := json.Unmarshal([]byte(out), &siteKeys); err != nil {
		t.Fatalf("site create: %s", out)
	}
	for _, args := range [][]string{
		{"group", "add", lhGroup, "--name", "Vision Support"},
		{"group", "add-member", lhGroup, "alice@localhost"},
		{"group", "add-member", lhGroup, "bob@localhost"},
	} {
		if out, err := run(parleyBin, nil, append(args, "--data-dir", srv.dataDir)...); err != nil {
			t.Fatalf("parley %v: %v\n%s", args, err, out)
		}
	}
	if out, _ := run(parleyBin, nil, "group", "members", lhGroup, "--data-dir", srv.dataDir); out != "alice@localhost\nbob@localhost\n" {
		t.Fatalf("parley group members: %q", out)
	}

	alice := startAgent(t, srv, "alice")
	bob := startAgent(t, srv, "bob")
	alice.expect("ready")
	bob.expect("ready")

	site := newTestSite(t, base, siteKeys.SiteID, siteKeys.AuthKey)
	b := startProc(t, "browser", pkgDir, driverTimeout+10*time.Second,
		func(e event) bool { return is("fail")(e) || is("pageerror")(e) },
		"node", "livehelp_driver.mjs", "--chromium", chromiumPath, "--timeout", strconv.Itoa(int(driverTimeout/time.Second)),
		"--chromium-args="+os.Getenv(chromiumArgsEnv))
	b.expect("browser")
	var seq int
	do := func(cmd map[string]string, answer string) event {
		t.Helper()
		seq++
		id := strconv.Itoa(seq)
		cmd["id"] = id
		b.send(cmd)
		return b.expect(answer, "id", id)
	}
	t.Cleanup(func() {
		if t.Failed() {
			shot := filepath.Join(artifactDir(t), "failure.png")
			seq++
			b.send(map[string]string{"cmd": "screenshot", "path": shot, "id": strconv.Itoa(seq)})
			t.Logf("screenshot of the failure: %s", shot)
		}
	})

	// The site's page: the button shows the group is available.
	do(map[string]string{"cmd": "site", "url": site.url + "/"}, "site")
	if e := do(map[string]string{"cmd": "button", "state": "available"}, "button"); e.get("label") != "Live Help Available" {
		t.Fatalf("button: %s", e)
	}
	chat := do(map[string]string{"cmd": "click"}, "chat")
	if chat.get("status") != "idle" || chat.get("transport") != "websocket" || !strings.HasSuffix(chat.get("url"), "/imtapp/im/chat") {
		t.Fatalf("chat window: %s", chat)
	}

	do(map[string]string{"cmd": "say", "text": "Hello, I have a question"}, "said")
	offerA := alice.waitFor("alice's offer", func(e event) bool {
		return is("message")(e) && strings.Contains(e.get("body"), "Reply to take this chat.")
	})
	offerB := bob.waitFor("bob's offer", func(e event) bool {
		return is("message")(e) && strings.Contains(e.get("body"), "Reply to take this chat.")
	})
	guest := offerB.get("frm")
	if !strings.HasSuffix(guest, "@guest.localhost") || offerA.get("frm") != guest || offerB.get("nick") != "John Doe" ||
		!strings.Contains(offerB.get("body"), "> Hello, I have a question") || !strings.Contains(offerB.get("body"), "Pricing on OCS") {
		t.Fatalf("offers: %s / %s", offerA, offerB)
	}
	if e := do(map[string]string{"cmd": "status", "state": "offered"}, "status"); !strings.Contains(e.get("text"), "An agent will be with you shortly") {
		t.Fatalf("queued: %s", e)
	}

	// bob answers first: he has the chat; alice is told. (Typing before
	// that reaches nobody: the chat is not his yet.)
	bob.send(map[string]string{"cmd": "say", "to": guest, "body": "Hi John, Bob here. How can I help?", "state": "active"})
	alice.waitFor("taken", func(e event) bool { return is("message", "frm", guest)(e) && e.get("body") == "Taken by bob." })
	if e := do(map[string]string{"cmd": "message", "text": "Hi John, Bob here."}, "message"); e.get("who") != "bob" {
		t.Fatalf("bob's message in the page: %s", e)
	}
	if e := do(map[string]string{"cmd": "status", "state": "active"}, "status"); e.get("text") != "You are chatting with bob." {
		t.Fatalf("status: %s", e)
	}
	// bob types: the visitor sees it, until bob pauses.
	bob.send(map[string]string{"cmd": "state", "to": guest, "state": "composing"})
	if e := do(map[string]string{"cmd": "typing", "text": "is typing"}, "typing"); e.get("text") != "bob is typing…" {
		t.Fatalf("typing: %s", e)
	}
	bob.send(map[string]string{"cmd": "state", "to": guest, "state": "paused"})
	do(map[string]string{"cmd": "typing", "text": ""}, "typing")

	// The visitor types (bob sees it) and writes.
	do(map[string]string{"cmd": "say", "text": "How much does OCS cost?"}, "said")
	bob.waitFor("the visitor typing", func(e event) bool { return is("message", "frm", guest, "chat_state", "composing")(e) })
	bob.waitFor("the visitor's question", func(e event) bool {
		return is("message", "frm", guest, "body", "How much does OCS cost?")(e) && e.get("nick") == "John Doe"
	})
	bob.send(map[string]string{"cmd": "say", "to": guest, "body": "It is included in your licence.", "state": "active"})
	do(map[string]string{"cmd": "message", "text": "It is included in your licence."}, "message")

	// alice's late answer to the offer is not delivered.
	alice.send(map[string]string{"cmd": "say", "to": guest, "body": "I can help too!"})
	alice.waitFor("refusal", func(e event) bool {
		return is("message", "frm", guest)(e) && strings.Contains(e.get("body"), "bob has this chat")
	})

	tr := do(map[string]string{"cmd": "transcript"}, "transcript")
	for _, want := range []string{"with " + lhGroup, "about \"Pricing on OCS\"", "John Doe: Hello, I have a question",
		"bob: Hi John, Bob here. How can I help?", "John Doe: How much does OCS cost?", "bob: It is included in your licence."} {
		if !strings.Contains(tr.get("text"), want) {
			t.Fatalf("transcript lacks %q:\n%s", want, tr.get("text"))
		}
	}
	if tr.get("filename") != "live-help-transcript.txt" {
		t.Fatalf("transcript file name %q", tr.get("filename"))
	}
	if e := do(map[string]string{"cmd": "end"}, "ended"); e.get("title") != "The chat has ended" {
		t.Fatalf("end: %s", e)
	}
	bob.waitFor("the end", func(e event) bool { return is("message", "frm", guest, "body", "The visitor ended the chat.")(e) })

	// The same visitor comes back: a new request (fresh token), the same
	// guest, and the first conversation shown.
	do(map[string]string{"cmd": "site", "url": site.url + "/"}, "site")
	do(map[string]string{"cmd": "button", "state": "available"}, "button")
	again := do(map[string]string{"cmd": "click"}, "chat")
	history := again.get("history")
	for _, want := range []string{"Hello, I have a question", "Hi John, Bob here. How can I help?", "It is included in your licence."} {
		if !strings.Contains(history, want) {
			t.Fatalf("second visit: history %s lacks %q", history, want)
		}
	}

	// Refusals, each with a page that says what to do.
	first := site.started(0)
	visit := func(u string) event { return do(map[string]string{"cmd": "goto", "url": u}, "page") }
	if e := visit(first); e.get("status") != "403" || e.get("title") != "This live-help link was already used" ||
		!strings.Contains(e.get("message"), "press the Live Help button again") || !strings.Contains(e.get("csp"), "default-src 'none'") {
		t.Fatalf("replayed request: %s", e)
	}
	bad := site.sign(lhVisitor+"2", "")
	bad = strings.Replace(bad, "tokenDigest=3", "tokenDigest=4", 1)
	if e := visit(bad); e.get("status") != "403" || e.get("title") != "This live-help link is not valid" {
		t.Fatalf("bad digest: %s", e)
	}
	if e := visit(site.sign(lhVisitor+"3", expiredToken(t, srv, siteKeys.SiteID))); e.get("status") != "403" || e.get("title") != "This live-help link is not valid" {
		t.Fatalf("expired token: %s", e)
	}
	if e := visit(base + "/imtapp/im/imWebChatClient.jsp?r_fromUserJID=" + url.QueryEscape(lhVisitor)); e.get("status") != "400" || e.get("title") != "This live-help request is incomplete" {
		t.Fatalf("malformed request: %s", e)
	}
}

// startAgent runs clients/agent.py as user.
func startAgent(t *testing.T, srv *server, user string) *proc {
	t.Helper()
	return startProc(t, user, pkgDir, peerTimeout+10*time.Second, is("fail"),
		python, filepath.Join("clients", "agent.py"), "--host", "127.0.0.1", "--port", port(srv.c2s),
		"--transport", srv.transport, "--domain", domain, "--password", password,
		"--timeout", strconv.Itoa(int(peerTimeout/time.Second)), "--user", user)
}

// testSite is the integrating web site: its page embeds the button, its
// /start signs a chat request for its visitor and redirects to Parley.
type testSite struct {
	t           *testing.T
	url         string
	parley      string
	siteID, key string
	mu          sync.Mutex
	starts      []string // the chat URLs /start redirected to
}

func newTestSite(t *testing.T, parley, siteID, key string) *testSite {
	s := &testSite{t: t, parley: parley, siteID: siteID, key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Vision Corp</title></head>
<body><h1>Vision Corp support</h1><p>Questions about your order?</p>
<script src="%s/livehelp.js" data-group="%s" data-href="/start" data-refresh="10"></script></body></html>`, parley, lhGroup)
	})
	mux.HandleFunc("GET /start", func(w http.ResponseWriter, r *http.Request) {
		u := s.sign(lhVisitor, "")
		s.mu.Lock()
		s.starts = append(s.starts, u)
		s.mu.Unlock()
		http.Redirect(w, r, u, http.StatusSeeOther)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	s.url = ts.URL
	return s
}

func (s *testSite) started(i int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i >= len(s.starts) {
		s.t.Fatalf("the site started %d chats, not %d", len(s.starts), i+1)
	}
	return s.starts[i]
}

// sign builds the chat request URL for visitor with token ("" for a
// fresh GUESTCHAT token from the JSON binding), its digest computed as
// the seed's chapter 4 says.
func (s *testSite) sign(visitor, token string) string {
	if token == "" {
		token = s.guestChatToken()
	}
	id, _, _ := strings.Cut(token, "_")
	attrs := "<r_fromUserJID><" + visitor + "><r_groupJID><" + lhGroup + ">"
	sum := md5.Sum([]byte("<token><" + token + ">" + attrs))
	digest := strings.ToUpper(hex.EncodeToString([]byte(id + "_<digest><" + strings.ToUpper(hex.EncodeToString(sum[:])) + ">" + attrs)))
	q := url.Values{"r_fromUserJID": {visitor}, "guestDisplayName": {"John Doe"}, "useToken": {"true"}, "r_groupJID": {lhGroup},
		"s": {"Pricing on OCS"}, "siteID": {s.siteID}, "tokenID": {id}, "tokenDigest": {digest}}
	return s.parley + "/imtapp/im/imWebChatClient.jsp?" + q.Encode()
}

func (s *testSite) guestChatToken() string {
	call := func(op string, params map[string]any) string {
		body, _ := json.Marshal(params)
		resp, err := http.Post(s.parley+"/api/v1/AuthenticationService/"+op, "application/json", bytes.NewReader(body))
		if err != nil {
			s.t.Errorf("%s: %v", op, err)
			return ""
		}
		defer resp.Body.Close()
		var out struct{ Token string }
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil {
			s.t.Errorf("%s: HTTP %d", op, resp.StatusCode)
		}
		return out.Token
	}
	session := call("createSession", map[string]any{"param0": s.siteID, "param1": s.key, "param2": "SITE"})
	return call("requestToken", map[string]any{"param0": s.siteID, "param1": session, "param2": map[string]string{"tokenPolicy": "GUESTCHAT"}})
}

// expiredToken stores a GUESTCHAT token of the site whose expiry has
// passed, as one is after integration.token_life, in the running
// server's database (SQLite lets a second process write it), and returns
// its string.
func expiredToken(t *testing.T, srv *server, siteID string) string {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(srv.dataDir, "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	random := strings.Repeat("x", 40)
	tok, err := st.CreateToken(ctx, store.Token{Random: random, EntityType: store.EntitySite, EntityID: siteID,
		Policy: "GUESTCHAT", CreatedAt: time.Now().Add(-2 * time.Hour), ExpiresAt: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(tok.ID, 10) + "_" + random
}
