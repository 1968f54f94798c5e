package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestLiveHelpDocs runs docs/livehelp.md as written against a running
// server: the setup commands (users, group, site, on the server's data
// directory while it runs), the tokenDigest programs in Go, Python and
// JavaScript (each prints a chat URL, which must open the chat page once
// and be refused the second time), the button's script tag, and the
// transcripts call (after a visitor left a message through the page).
func TestLiveHelpDocs(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq", "go", "node"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" || os.Getenv(requiredEnv) != "" {
				t.Fatalf("%s is needed to run docs/livehelp.md's examples", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	dir := t.TempDir()
	srv := startServer(t, "parley", dir)
	base := "http://" + srv.http
	binDir := filepath.Dir(parleyBin)
	env := append(hermeticEnv(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"), "PARLEY_DATA_DIR="+dir, "BASE="+base)

	run := func(name string, extraEnv []string, argv ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Dir, cmd.Env = t.TempDir(), append(append([]string(nil), env...), extraEnv...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", name, err, out, stderr.String())
		}
		return string(out)
	}

	// 1. Setup, as written.
	out := run("setup", nil, "bash", "-euo", "pipefail", "-c", docBlockIn(t, "livehelp.md", "setup"))
	if !strings.Contains(out, "alice@localhost\nbob@localhost\n") {
		t.Fatalf("group members not listed: %s", out)
	}
	var site struct {
		SiteID  string `json:"site_id"`
		AuthKey string `json:"auth_key"`
	}
	if err := json.Unmarshal([]byte(lastLine(out)), &site); err != nil || site.SiteID == "" {
		t.Fatalf("site create printed %q (%v)", out, err)
	}
	creds := []string{"SITE_ID=" + site.SiteID, "SITE_KEY=" + site.AuthKey}

	// An agent online: the group is available, as the docs show.
	hold := startHold(t, srv, "presence_hold.py", "--user", "alice", "--password", "alice password")
	hold.waitFor("alice online", "online")
	if _, body := fetch(t, base+"/livehelp/status?group=support@groups.localhost"); !bytes.Contains(body, []byte(`"state":"available"`)) {
		t.Fatalf("/livehelp/status: %s", body)
	}

	// 2. The button's script tag points at a script Parley serves.
	m := regexp.MustCompile(`<script src="([^"]+)"`).FindStringSubmatch(docBlockIn(t, "livehelp.md", "site-page"))
	if m == nil {
		t.Fatal("no script tag in the site-page block")
	}
	if ct, js := fetch(t, strings.Replace(m[1], "http://localhost:5280", base, 1)); !strings.HasPrefix(ct, "text/javascript") || !bytes.Contains(js, []byte("data-group")) {
		t.Fatalf("livehelp.js: %s", ct)
	}

	// 3. The digest in three languages: each URL opens the chat once.
	work := t.TempDir()
	write := func(name, block string) string {
		p := filepath.Join(work, name)
		if err := os.WriteFile(p, []byte(docBlockIn(t, "livehelp.md", block)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	urls := map[string]string{
		"go":     run("go", creds, "go", "run", write("livehelp_start.go", "go-digest"), "visitor.go@sites.example.com"),
		"python": run("python", creds, python, write("livehelp_start.py", "python-digest"), "visitor.py@sites.example.com"),
		"node":   run("node", creds, "node", write("livehelp_start.mjs", "node-digest"), "visitor.js@sites.example.com"),
	}
	for lang, u := range urls {
		u = strings.TrimSpace(u)
		jar, _ := cookiejar.New(nil)
		hc := &http.Client{Jar: jar}
		code, page := get(t, hc, u)
		if code != 200 || !strings.Contains(page, `id="composer"`) {
			t.Fatalf("%s: the chat URL answered %d:\n%s", lang, code, page)
		}
		if code, page := get(t, http.DefaultClient, u); code != 403 || !strings.Contains(page, "This live-help link was already used") {
			t.Fatalf("%s: the URL a second time answered %d", lang, code)
		}
		if lang == "python" {
			leaveMessage(t, hc, base, page)
		}
	}

	// 4. Transcripts, as the site reads them.
	out = run("transcripts", creds, "bash", "-euo", "pipefail", "-c", docBlockIn(t, "livehelp.md", "transcripts"))
	if !regexp.MustCompile(`(?m)^\d+ visitor\.py@sites\.example\.com message: Web visitor: Please call me back\.$`).MatchString(out) {
		t.Fatalf("transcripts printed %q", out)
	}
}

func get(t *testing.T, hc *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// leaveMessage submits the chat page's leave-a-message form, as a
// browser would (same origin, the page's CSRF token, the session cookie).
func leaveMessage(t *testing.T, hc *http.Client, base, page string) {
	t.Helper()
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token in the chat page")
	}
	form := url.Values{"csrf_token": {m[1]}, "message": {"Please call me back."}, "email": {"visitor@example.net"}}
	req, _ := http.NewRequest("POST", base+"/imtapp/im/chat/leave", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("your message was sent")) {
		t.Fatalf("leave a message: %d %s", resp.StatusCode, body)
	}
}
