package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// docBlock returns the fenced code block that follows the marker
// <!-- test: NAME --> in docs/integration.md.
func docBlock(t *testing.T, name string) string {
	t.Helper()
	return docBlockIn(t, "integration.md", name)
}

// docBlockIn returns the fenced code block that follows the marker
// <!-- test: NAME --> in docs/FILE.
func docBlockIn(t *testing.T, file, name string) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", file))
	if err != nil {
		t.Fatal(err)
	}
	marker := "<!-- test: " + name + " -->\n"
	i := bytes.Index(doc, []byte(marker))
	if i < 0 {
		t.Fatalf("docs/%s has no %q", file, strings.TrimSpace(marker))
	}
	rest := string(doc[i+len(marker):])
	if !strings.HasPrefix(rest, "```") {
		t.Fatalf("%s: no code block right after the marker", name)
	}
	rest = rest[strings.IndexByte(rest, '\n')+1:]
	end := strings.Index(rest, "\n```")
	if end < 0 {
		t.Fatalf("%s: unterminated code block", name)
	}
	return rest[:end+1]
}

func fetch(t *testing.T, url string) (string, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	return resp.Header.Get("Content-Type"), body
}

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// TestIntegrationDocs runs the walkthroughs of docs/integration.md as
// written (the curl flow, the raw SOAP call, the zeep program) against a
// running server where alice is online (slixmpp) in dnd, "in a meeting",
// with a site made by `parley site create --json`; then the page's
// presence URLs are fetched like a browser would.
func TestIntegrationDocs(t *testing.T) {
	requireZeep(t)
	for _, tool := range []string{"bash", "curl", "jq", "sha1sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" || os.Getenv(requiredEnv) != "" {
				t.Fatalf("%s is needed to run the docs' shell snippets", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	dir := t.TempDir()
	addUsers(t, dir, "alice")
	siteID, siteKey := createSite(t, dir, "Support pages", "PRESENCE")
	srv := startServer(t, "parley", dir)
	hold := startHold(t, srv, "presence_hold.py", "--user", "alice", "--resource", "desk",
		"--show", "dnd", "--status", "in a meeting", "--priority", "5")
	hold.waitFor("alice online", "online")
	base := "http://" + srv.http
	env := append(hermeticEnv(), "BASE="+base, "SITE_ID="+siteID, "SITE_KEY="+siteKey, "WHO=alice@localhost")

	run := func(name string, argv ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		work := t.TempDir()
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Dir, cmd.Env = work, env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", name, err, out, stderr.String())
		}
		return string(out) + "\x00" + work // the output and the directory it ran in
	}
	split := func(s string) (string, string) { out, dir, _ := strings.Cut(s, "\x00"); return out, dir }

	t.Run("curl-flow", func(t *testing.T) {
		out, work := split(run("curl-flow", "bash", "-euo", "pipefail", "-c", docBlock(t, "curl-flow")))
		if !strings.Contains(out, `var show = "DND";`) || !strings.Contains(out, `var status = "in a meeting";`) {
			t.Fatalf("the JS presence URL printed %q", out)
		}
		png, err := os.ReadFile(filepath.Join(work, "presence.png"))
		if err != nil || !bytes.HasPrefix(png, pngMagic) {
			t.Fatalf("presence.png is not a PNG (%v)", err)
		}
		page, err := os.ReadFile(filepath.Join(work, "presence.html"))
		if err != nil {
			t.Fatal(err)
		}
		// The page's URLs work for a browser: the image, and the script.
		m := regexp.MustCompile(`<img src="([^"]+)"`).FindSubmatch(page)
		if m == nil {
			t.Fatalf("presence.html: %s", page)
		}
		if ct, img := fetch(t, string(m[1])); ct != "image/png" || !bytes.Equal(img, png) {
			t.Fatalf("the page's image: %s, same as presence.png: %v", ct, bytes.Equal(img, png))
		}
		m = regexp.MustCompile(`<script src="([^"]+)"`).FindSubmatch(page)
		if m == nil {
			t.Fatalf("presence.html: %s", page)
		}
		if _, js := fetch(t, string(m[1])); !bytes.Contains(js, []byte(`var show = "DND";`)) {
			t.Fatalf("the page's script: %s", js)
		}
	})

	t.Run("curl-soap", func(t *testing.T) {
		out, _ := split(run("curl-soap", "bash", "-euo", "pipefail", "-c", docBlock(t, "curl-soap")))
		if !regexp.MustCompile(`<return><token>\d+_\S+</token><tokenAttributes><name>TOKENID</name>`).MatchString(out) {
			t.Fatalf("createSession over SOAP answered %s", out)
		}
	})

	t.Run("zeep-flow", func(t *testing.T) {
		script := filepath.Join(t.TempDir(), "presence_page.py")
		if err := os.WriteFile(script, []byte(docBlock(t, "zeep-flow")), 0o644); err != nil {
			t.Fatal(err)
		}
		out, _ := split(run("zeep-flow", python, script))
		if !regexp.MustCompile(`(?m)^alice@localhost desk DND 'in a meeting' 5 \d{4}-\d\d-\d\dT`).MatchString(out) {
			t.Fatalf("getPresence line missing from %q", out)
		}
		img := regexp.MustCompile(`<img src="([^"]+)" alt="presence">`).FindStringSubmatch(out)
		js := regexp.MustCompile(`<script src="([^"]+)"></script>`).FindStringSubmatch(out)
		if img == nil || js == nil {
			t.Fatalf("no tags in %q", out)
		}
		if ct, body := fetch(t, img[1]); ct != "image/png" || !bytes.HasPrefix(body, pngMagic) {
			t.Fatalf("image URL: %s", ct)
		}
		if _, body := fetch(t, js[1]); !bytes.Contains(body, []byte(`var show = "DND";`)) {
			t.Fatalf("script URL: %s", body)
		}
	})
}
