package session

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/c2s"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/web/pages"
)

type fixture struct {
	t   *testing.T
	st  *memory.Store
	m   *Manager
	srv *httptest.Server

	mu       sync.Mutex
	now      time.Time
	failures int
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, st: memory.New(), now: time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)}
	for _, u := range []string{"alice@example.com", "bob@example.com"} {
		f.st.CreateUser(context.Background(), store.User{JID: u, CreatedAt: time.Now()})
	}
	f.m = New(Config{Store: f.st, Pages: pages.New(pages.Config{}), Hosts: []string{"example.com"},
		IsAdmin: func(b string) bool { return b == "bob@example.com" }, Now: f.clock, MaxPerUser: 2,
		CheckPassword: func(_ context.Context, addr, domain, local, pw string) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.failures >= 3 {
				return c2s.ErrThrottled
			}
			if domain == "example.com" && (local == "alice" || local == "bob") && pw == "right" {
				return nil
			}
			f.failures++
			return c2s.ErrBadCredentials
		}})
	h, err := NewHandler(f.m)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	mux.Handle("GET /me/", f.m.Require(func(w http.ResponseWriter, r *http.Request, s Session) { w.Write([]byte("hello " + s.User)) }))
	mux.Handle("GET /admin/", f.m.RequireAdmin(func(w http.ResponseWriter, r *http.Request, s Session) { w.Write([]byte("admin " + s.User)) }))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// browser is a client with cookies that does not follow redirects.
type browser struct {
	f *fixture
	c *http.Client
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{f: f, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(path string) (*http.Response, string) {
	b.f.t.Helper()
	resp, err := b.c.Get(b.f.srv.URL + path)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp, sb.String()
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// signIn loads the form and posts it.
func (b *browser) signIn(address, password, next string) *http.Response {
	b.f.t.Helper()
	_, page := b.get("/signin?next=" + url.QueryEscape(next))
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		b.f.t.Fatalf("no CSRF token in %s", page)
	}
	req, _ := http.NewRequest("POST", b.f.srv.URL+"/signin", strings.NewReader(url.Values{
		"csrf_token": {m[1]}, "address": {address}, "password": {password}, "next": {next}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.f.srv.URL)
	resp, err := b.c.Do(req)
	if err != nil {
		b.f.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestSignIn(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	if resp, _ := b.get("/me/"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin?next=%2Fme%2F" {
		t.Fatalf("signed out /me/: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp := b.signIn("alice", "right", "/me/")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/me/" {
		t.Fatalf("sign in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == CookieName {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" || len(cookie.Value) != 43 {
		t.Fatalf("session cookie: %+v", cookie)
	}
	if _, body := b.get("/me/"); body != "hello alice@example.com" {
		t.Fatalf("/me/: %q", body)
	}
	// The store keeps the secret's hash only.
	list, _ := f.st.WebSessions(context.Background(), "alice@example.com")
	if len(list) != 1 || list[0].ID == cookie.Value || list[0].ID != hash(cookie.Value) {
		t.Fatalf("stored: %+v", list)
	}
	if resp, _ := b.get("/admin/"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("alice on /admin/: %d", resp.StatusCode)
	}
	admin := f.browser()
	admin.signIn("bob@example.com", "right", "/admin/")
	if _, body := admin.get("/admin/"); body != "admin bob@example.com" {
		t.Fatalf("bob on /admin/: %q", body)
	}
	// An open redirect is refused.
	if resp := f.browser().signIn("alice", "right", "//evil.example/x"); resp.Header.Get("Location") != "/me/" {
		t.Fatalf("next=//evil: %s", resp.Header.Get("Location"))
	}
}

func TestSignInRefused(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	for _, c := range []struct{ address, password string }{{"alice", "wrong"}, {"nobody@example.com", "right"}, {"not a jid@@", "x"}} {
		if resp := b.signIn(c.address, c.password, "/me/"); resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) > 0 && resp.Cookies()[0].Name == CookieName {
			t.Fatalf("%+v: %d", c, resp.StatusCode)
		}
	}
	// After three failures the (fake) limiter refuses: 429, even with
	// the right password.
	if resp := b.signIn("alice", "right", "/me/"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("throttled: %d", resp.StatusCode)
	}
	// Without the CSRF token, or from another origin: 403.
	for _, origin := range []string{"", "https://evil.example"} {
		req, _ := http.NewRequest("POST", f.srv.URL+"/signin", strings.NewReader("address=alice&password=right"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("origin %q without token: %d", origin, resp.StatusCode)
		}
	}
}

func TestExpiryAndLimits(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.signIn("alice", "right", "/me/")
	// Used within the idle time, a session lives until its lifetime.
	for i := 0; i < 5; i++ { // 5 × (2h - 1m): within the 12h lifetime
		f.advance(DefaultIdle - time.Minute)
		if resp, _ := b.get("/me/"); resp.StatusCode != http.StatusOK {
			t.Fatalf("after %d idle periods: %d", i+1, resp.StatusCode)
		}
	}
	f.advance(DefaultLifetime)
	if resp, _ := b.get("/me/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after its lifetime: %d", resp.StatusCode)
	}
	b.signIn("alice", "right", "/me/")
	f.advance(DefaultIdle)
	if resp, _ := b.get("/me/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("idle: %d", resp.StatusCode)
	}
	// At most MaxPerUser (2): a third sign-in ends the oldest.
	b1, b2, b3 := f.browser(), f.browser(), f.browser()
	b1.signIn("alice", "right", "/me/")
	f.advance(time.Second)
	b2.signIn("alice", "right", "/me/")
	f.advance(time.Second)
	b3.signIn("alice", "right", "/me/")
	if resp, _ := b1.get("/me/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the oldest of three: %d", resp.StatusCode)
	}
	if resp, _ := b3.get("/me/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("the newest: %d", resp.StatusCode)
	}
	f.advance(DefaultLifetime + time.Second)
	f.m.Prune(context.Background())
	if list, _ := f.st.WebSessions(context.Background(), "alice@example.com"); len(list) != 0 {
		t.Fatalf("after prune: %+v", list)
	}
}

func TestTickets(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s := Session{User: "alice@example.com"}
	tk := f.m.Ticket(s)
	if local, err := f.m.VerifyTicket(ctx, "example.com", "", tk); err != nil || local != "alice" {
		t.Fatalf("first use: %q %v", local, err)
	}
	if _, err := f.m.VerifyTicket(ctx, "example.com", "", tk); !errors.Is(err, ErrBadTicket) {
		t.Fatalf("second use: %v", err)
	}
	for name, c := range map[string]struct{ domain, authzid string }{
		"another domain": {"other.example", ""}, "another authzid": {"example.com", "bob@example.com"}} {
		if _, err := f.m.VerifyTicket(ctx, c.domain, c.authzid, f.m.Ticket(s)); !errors.Is(err, ErrBadTicket) {
			t.Errorf("%s: %v", name, err)
		}
	}
	old := f.m.Ticket(s)
	f.advance(DefaultTicketLife)
	if _, err := f.m.VerifyTicket(ctx, "example.com", "", old); !errors.Is(err, ErrBadTicket) {
		t.Fatalf("expired: %v", err)
	}
	// Ending every session forgets the user's tickets too.
	pending := f.m.Ticket(s)
	f.m.EndAll(ctx, "alice@example.com")
	if _, err := f.m.VerifyTicket(ctx, "example.com", "", pending); !errors.Is(err, ErrBadTicket) {
		t.Fatalf("after EndAll: %v", err)
	}
	// The HTTP endpoint needs a session and the CSRF token.
	b := f.browser()
	req, _ := http.NewRequest("POST", f.srv.URL+TicketPath, nil)
	req.Header.Set("Origin", f.srv.URL)
	resp, _ := b.c.Do(req)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("ticket without CSRF: %d", resp.StatusCode)
	}
}

func TestSignOut(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.signIn("alice", "right", "/me/")
	if resp, _ := b.get("/signin?next=/me/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the sign-in page of a signed-in browser: %d", resp.StatusCode)
	}
	// Any page carries the browser's CSRF token (data-csrf).
	_, page := b.get("/admin/")
	m := regexp.MustCompile(`data-csrf="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no data-csrf in %s", page)
	}
	req, _ := http.NewRequest("POST", f.srv.URL+SignOutPath, strings.NewReader("csrf_token="+m[1]))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", f.srv.URL)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != SignInPath {
		t.Fatalf("sign out: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := b.get("/me/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after signing out: %d", resp.StatusCode)
	}
	if list, _ := f.st.WebSessions(context.Background(), "alice@example.com"); len(list) != 0 {
		t.Fatalf("stored after signing out: %+v", list)
	}
}
