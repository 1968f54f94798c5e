package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/control"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// webBrowser is a cookie-keeping HTTP client of a test server's pages.
type webBrowser struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func newWebBrowser(t *testing.T, srv *xmpptest.Server) *webBrowser {
	jar, _ := cookiejar.New(nil)
	return &webBrowser{t: t, base: "http://" + srv.Addr("http").String(),
		c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var webCSRF = regexp.MustCompile(`data-csrf="([^"]+)"`)

func (b *webBrowser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := webCSRF.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return resp.StatusCode, string(body)
}

func (b *webBrowser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	if b.csrf == "" {
		b.get("/signin")
	}
	form.Set("csrf_token", b.csrf)
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *webBrowser) signIn(address, password string) int {
	b.t.Helper()
	resp, _ := b.post("/signin", url.Values{"address": {address}, "password": {password}, "next": {"/me/"}})
	return resp.StatusCode
}

// TestWebSignInAndTickets: the sign-in checks the stored keys; a
// signed-in page's ticket logs the browser in to XMPP once, as the user.
func TestWebSignInAndTickets(t *testing.T) {
	srv := xmpptest.RunServer(t)
	srv.AddUser("alice@localhost", "secret")
	b := newWebBrowser(t, srv)
	if code := b.signIn("alice", "wrong"); code != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", code)
	}
	if code := b.signIn("alice", "secret"); code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", code)
	}
	if code, page := b.get("/me/"); code != 200 || !strings.Contains(page, "alice@localhost") {
		t.Fatalf("/me/: %d", code)
	}
	resp, body := b.post("/session/ticket", url.Values{})
	var tk struct{ Ticket, JID, Domain string }
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &tk) != nil || tk.JID != "alice@localhost" {
		t.Fatalf("ticket: %d %s", resp.StatusCode, body)
	}
	bearer := func(ticket string) *xml.Element {
		c := srv.Dial()
		c.Open()
		c.Send("<auth xmlns='%s' mechanism='OAUTHBEARER'>%s</auth>", ns.SASL, base64.StdEncoding.EncodeToString([]byte("n,,\x01auth=Bearer "+ticket+"\x01\x01")))
		el := c.Next()
		if el.Name == "challenge" {
			c.Send("<response xmlns='%s'>AQ==</response>", ns.SASL)
			el = c.Next()
		}
		return el
	}
	if el := bearer(tk.Ticket); el.Name != "success" {
		t.Fatalf("ticket login: %s", el)
	}
	if el := bearer(tk.Ticket); el.Name != "failure" {
		t.Fatalf("the ticket again: %s", el)
	}
	if el := bearer("not-a-ticket"); el.Name != "failure" {
		t.Fatalf("a made-up ticket: %s", el)
	}
}

// TestWebSignInLimits: failed web sign-ins and XMPP logins count against
// the same limits (loginlimit).
func TestWebSignInLimits(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.Limits.AuthFailuresPerMinute = 3 })
	srv.AddUser("alice@localhost", "secret")
	b := newWebBrowser(t, srv)
	for i := 0; i < 3; i++ {
		if code := b.signIn("alice", "wrong"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, code)
		}
	}
	if code := b.signIn("alice", "secret"); code != http.StatusTooManyRequests {
		t.Fatalf("after three failures, the right password: %d, want 429", code)
	}
	// The same address over XMPP is throttled too.
	c := srv.Dial()
	c.Open()
	if err := c.TryAuthenticate("alice", "secret"); err == nil || !strings.Contains(err.Error(), "temporary-auth-failure") {
		t.Fatalf("XMPP login after the web failures: %v", err)
	}
}

// TestControlSessions: `parley session list|kick` and `parley user
// passwd` through the control channel act on the running server.
func TestControlSessions(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.Control.Socket = shortSocket(t) })
	srv.AddUser("alice@localhost", "secret")
	c := srv.Dial()
	c.Login("alice", "secret", "phone")
	c.Send("<presence><show>dnd</show><status>meeting</status></presence>")
	c.ExpectMatch("own presence", func(el *xml.Element) bool { return el.Name == "presence" }, nil)
	ctx := context.Background()
	path := srv.Config.ControlSocket()
	out, err := control.Call(ctx, path, "session", "list")
	if err != nil || !strings.Contains(out, "alice@localhost/phone") || !strings.Contains(out, "dnd (meeting)") {
		t.Fatalf("session list: %v\n%s", err, out)
	}
	out, err = control.Call(ctx, path, "session", "list", "--json", "alice@localhost")
	var list []struct {
		JID, Show, Status string
	}
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0].Show != "dnd" {
		t.Fatalf("session list --json: %v %s", err, out)
	}
	if _, err := control.Call(ctx, path, "session", "kick", "alice@localhost/phone", "maintenance"); err != nil {
		t.Fatal(err)
	}
	c.ExpectStreamError("policy-violation")
	xmpptest.WaitFor(t, "the kicked session to go", func() bool { return !srv.Router().Online("alice@localhost") })
	if _, err := control.Call(ctx, path, "session", "kick", "alice@localhost"); err == nil || !strings.Contains(err.Error(), "no session") {
		t.Fatalf("kick again: %v", err)
	}
	d := srv.Dial()
	d.Login("alice", "secret", "desk")
	if out, err := control.Call(ctx, path, "user", "passwd", "alice@localhost", "changed"); err != nil || !strings.Contains(out, "password changed") {
		t.Fatalf("passwd: %v %s", err, out)
	}
	d.ExpectStreamError("reset")
	e := srv.Dial()
	e.Login("alice", "changed", "desk")
}

// shortSocket is a control socket path short enough for sun_path.
func shortSocket(t *testing.T) string {
	dir, err := os.MkdirTemp("", "pweb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "parley.sock")
}
