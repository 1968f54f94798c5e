package browser

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The tests of Parley's pages for people (webui_test.go) drive Chromium
// step by step (webui_driver.mjs) and slixmpp clients (clients/
// webui_peer.py) from Go, interleaving what the browser does with what
// XMPP sees.

const webuiTimeout = 300 * time.Second

// steps is the step driver: one browser, named contexts.
type steps struct {
	t *testing.T
	p *proc
	n int
}

func startSteps(t *testing.T) *steps {
	t.Helper()
	p := startProc(t, "webui-browser", pkgDir, webuiTimeout+10*time.Second, is("fail"),
		"node", "webui_driver.mjs", "--chromium", chromiumPath, "--timeout", strconv.Itoa(int(webuiTimeout/time.Second)),
		"--artifacts", artifactDir(t), "--chromium-args="+os.Getenv(chromiumArgsEnv))
	p.expect("browser")
	s := &steps{t: t, p: p}
	t.Cleanup(func() {
		if t.Failed() {
			for _, name := range s.contexts() {
				s.try("screenshot", "ctx", name, "path", filepath.Join(artifactDir(t), "failure-"+name+".png"))
			}
		}
	})
	return s
}

// contexts are the contexts opened so far (for failure screenshots).
func (s *steps) contexts() []string {
	var out []string
	for _, e := range s.p.snapshot() {
		if e.get("event") == "ok" && e.get("cmd") == "context" {
			out = append(out, e.get("ctx"))
		}
	}
	return out
}

// try runs one command and returns its value, or its error text.
func (s *steps) try(cmd string, kv ...any) (any, string) {
	s.t.Helper()
	s.n++
	id := s.n
	m := map[string]any{"id": id, "cmd": cmd}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	b, _ := json.Marshal(m)
	if _, err := s.p.stdin.Write(append(b, '\n')); err != nil {
		s.t.Fatalf("browser: %s: %v", b, err)
	}
	want := strconv.Itoa(id)
	e := s.p.waitFor(fmt.Sprintf("the answer to %s", b), func(e event) bool {
		return (e.get("event") == "ok" || e.get("event") == "error") && e.get("id") == want
	})
	if e.get("event") == "error" {
		return nil, e.get("error")
	}
	if cmd == "context" {
		e["cmd"], e["ctx"] = "context", m["ctx"]
	}
	return e["value"], ""
}

// do runs one command; an error fails the test.
func (s *steps) do(cmd string, kv ...any) any {
	s.t.Helper()
	v, errText := s.try(cmd, kv...)
	if errText != "" {
		s.t.Fatalf("browser %s %v: %s", cmd, kv, errText)
	}
	return v
}

func (s *steps) context(name string, clock bool) {
	s.t.Helper()
	s.do("context", "ctx", name, "clock", clock)
}

func (s *steps) goTo(ctx, url string) int {
	s.t.Helper()
	v, _ := s.do("goto", "ctx", ctx, "url", url).(float64)
	return int(v)
}

func (s *steps) text(ctx, selector string) string {
	s.t.Helper()
	v, _ := s.do("text", "ctx", ctx, "selector", selector).(string)
	return v
}

func (s *steps) attr(ctx, selector, name string) string {
	s.t.Helper()
	v, _ := s.do("attr", "ctx", ctx, "selector", selector, "name", name).(string)
	return v
}

func (s *steps) count(ctx, selector string) int {
	s.t.Helper()
	v, _ := s.do("count", "ctx", ctx, "selector", selector).(float64)
	return int(v)
}

func (s *steps) fill(ctx, selector, value string) {
	s.t.Helper()
	s.do("fill", "ctx", ctx, "selector", selector, "value", value)
}

func (s *steps) click(ctx, selector string) {
	s.t.Helper()
	s.do("click", "ctx", ctx, "selector", selector)
}

// waitAttr waits until the element's attribute has value.
func (s *steps) waitAttr(ctx, selector, attr, value string) {
	s.t.Helper()
	s.do("wait", "ctx", ctx, "selector", selector, "attr", attr, "value", value)
}

// waitText waits until the element's text contains text.
func (s *steps) waitText(ctx, selector, text string) {
	s.t.Helper()
	s.do("wait", "ctx", ctx, "selector", selector, "text", text)
}

func (s *steps) waitVisible(ctx, selector string) {
	s.t.Helper()
	s.do("wait", "ctx", ctx, "selector", selector, "state", "visible")
}

func (s *steps) eval(ctx, js string) any {
	s.t.Helper()
	return s.do("eval", "ctx", ctx, "js", js)
}

func (s *steps) url(ctx string) string {
	s.t.Helper()
	v, _ := s.do("url", "ctx", ctx).(string)
	return v
}

// focused describes the focused element: tag, text and attributes.
func (s *steps) focused(ctx string) (tag, text string, attrs map[string]any) {
	s.t.Helper()
	v, _ := s.do("focused", "ctx", ctx).(map[string]any)
	if v == nil {
		return "", "", nil
	}
	attrs, _ = v["attrs"].(map[string]any)
	return fmt.Sprint(v["tag"]), fmt.Sprint(v["text"]), attrs
}

// shot keeps a screenshot of a page that worked (artifacts/<test>/name.png).
func (s *steps) shot(ctx, name string) {
	s.t.Helper()
	s.do("screenshot", "ctx", ctx, "path", filepath.Join(artifactDir(s.t), name+".png"))
}

// postFromPage sends a POST from the page without the CSRF token (as a
// forged request would) and returns the status.
func (s *steps) postFromPage(ctx, path, body string) int {
	s.t.Helper()
	v, _ := s.eval(ctx, `fetch(`+strconv.Quote(path)+`, {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: `+strconv.Quote(body)+`}).then((r) => r.status)`).(float64)
	return int(v)
}

// signIn signs ctx in with the sign-in form.
func (s *steps) signIn(ctx, base, address, pw string) {
	s.t.Helper()
	s.goTo(ctx, base+"/signin?next=/me/")
	s.fill(ctx, "#address", address)
	s.fill(ctx, "#password", pw)
	s.click(ctx, "#signin-button")
	s.waitText(ctx, "#me", strings.ToLower(address))
}

// peers is the slixmpp side.
type peers struct {
	t *testing.T
	p *proc
	n int
}

func startPeers(t *testing.T, srv *server) *peers {
	t.Helper()
	p := startProc(t, "slixmpp", pkgDir, webuiTimeout+10*time.Second, is("fail"),
		python, filepath.Join("clients", "webui_peer.py"), "--host", "127.0.0.1", "--port", port(srv.c2s),
		"--transport", srv.transport, "--domain", domain, "--password", password,
		"--timeout", strconv.Itoa(int(webuiTimeout/time.Second)))
	p.expect("ready")
	return &peers{t: t, p: p}
}

// mark is the number of events so far: expect after it sees only later
// ones.
func (x *peers) mark() int { return len(x.p.snapshot()) }

// do runs one command and returns its answer; an error fails the test.
func (x *peers) do(cmd string, kv ...any) event {
	x.t.Helper()
	x.n++
	seq := strconv.Itoa(x.n)
	m := map[string]any{"seq": seq, "cmd": cmd}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	b, _ := json.Marshal(m)
	if _, err := x.p.stdin.Write(append(b, '\n')); err != nil {
		x.t.Fatalf("slixmpp: %s: %v", b, err)
	}
	e := x.p.waitFor("the answer to "+string(b), func(e event) bool {
		return (e.get("event") == "ok" || e.get("event") == "error") && e.get("seq") == seq
	})
	if e.get("event") == "error" {
		x.t.Fatalf("slixmpp %s: %s", b, e.get("error"))
	}
	return e
}

// expectAfter waits for an event after mark matching name and kv (as
// is(); a value ending in * matches a prefix).
func (x *peers) expectAfter(mark int, name string, kv ...string) event {
	x.t.Helper()
	match := is(name, kv...)
	p := x.p
	timer := time.NewTimer(eventTimeout)
	defer timer.Stop()
	for {
		p.mu.Lock()
		for i := mark; i < len(p.events); i++ {
			if match(p.events[i]) {
				e := p.events[i]
				p.mu.Unlock()
				return e
			}
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-p.done:
			x.t.Fatalf("slixmpp exited before %s%s", describe(name, kv...), p.failure())
		case <-timer.C:
			x.t.Fatalf("slixmpp: no %s within %v%s", describe(name, kv...), eventTimeout, p.failure())
		}
	}
}

// loginWorks reports whether user can log in with pw.
func (x *peers) loginWorks(user, pw string) bool {
	x.t.Helper()
	v, _ := x.do("try_login", "name", "try-"+user, "user", user, "password", pw)["authenticated"].(bool)
	return v
}

// cli runs the parley binary on the server's data directory.
func cli(t *testing.T, srv *server, args ...string) string {
	t.Helper()
	out, err := run(parleyBin, nil, append(args, "--data-dir", srv.dataDir)...)
	if err != nil {
		t.Fatalf("parley %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// pngFile writes a small PNG picture and returns its path.
func pngFile(t *testing.T) string {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for x := 0; x < 16; x++ {
		for y := 0; y < 16; y++ {
			img.Set(x, y, color.RGBA{R: uint8(x * 16), G: 0x80, B: uint8(y * 16), A: 0xff})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	path := filepath.Join(t.TempDir(), "me.png")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// docBlock returns the fenced code block after <!-- test: NAME --> in
// docs/FILE.
func docBlock(t *testing.T, file, name string) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(pkgDir, "..", "..", "docs", file))
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
		t.Fatalf("docs/%s: no code block right after %q", file, name)
	}
	rest = rest[strings.IndexByte(rest, '\n')+1:]
	end := strings.Index(rest, "\n```")
	if end < 0 {
		t.Fatalf("docs/%s: %s: unterminated code block", file, name)
	}
	return rest[:end+1]
}

// httpGet returns the status and body of a GET.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}
