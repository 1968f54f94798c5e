package pages_test

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/parley-im/parley/web/pages"
)

func newServer(t *testing.T, p *pages.Pages, extra func(*http.ServeMux)) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	p.Register(mux)
	if extra != nil {
		extra(mux)
	}
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, c *http.Client, u string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestAssets(t *testing.T) {
	p := pages.New(pages.Config{})
	feature := fstest.MapFS{"app.js": {Data: []byte("export const x = 1;\n")}, "img/logo.svg": {Data: []byte("<svg/>")}}
	if err := p.AddAssets("feature", feature); err != nil {
		t.Fatal(err)
	}
	ts := newServer(t, p, nil)
	for _, c := range []struct{ path, ctype, contains string }{
		{"/assets/js/xmpp.js", "text/javascript; charset=utf-8", "export class Client"},
		{"/assets/js/page.js", "text/javascript; charset=utf-8", "export function post"},
		{"/assets/css/parley.css", "text/css; charset=utf-8", ".messages"},
		{"/assets/feature/app.js", "text/javascript; charset=utf-8", "export const x"},
		{"/assets/feature/img/logo.svg", "image/svg+xml", "<svg/>"},
	} {
		resp, body := get(t, nil, ts.URL+c.path, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != c.ctype || !strings.Contains(body, c.contains) {
			t.Fatalf("%s: %d %q %.60q", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		// Any origin may load an asset (a site's page imports the module).
		if resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s: headers %v", c.path, resp.Header)
		}
		tag := resp.Header.Get("ETag")
		again, body := get(t, nil, ts.URL+c.path, map[string]string{"If-None-Match": tag})
		if tag == "" || again.StatusCode != http.StatusNotModified || body != "" {
			t.Fatalf("%s: revalidation with %q: %d %q", c.path, tag, again.StatusCode, body)
		}
	}
	resp, body := get(t, nil, ts.URL+"/assets/js/nothing.js", nil)
	if resp.StatusCode != 404 || !strings.Contains(body, "There is no such file.") || resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("missing asset: %d %q", resp.StatusCode, body)
	}
}

func TestRenderAndHeaders(t *testing.T) {
	p := pages.New(pages.Config{})
	tmpl, err := p.Parse(fstest.MapFS{"hello.html": {Data: []byte(`{{define "main"}}<h1>{{.Data}}</h1>{{end}}`)}}, "hello.html")
	if err != nil {
		t.Fatal(err)
	}
	hostile := `</script><script>alert(1)</script>"'&`
	ts := newServer(t, p, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
			p.Render(w, r, tmpl, http.StatusOK, pages.View{Title: "Hello", Scripts: []string{"/assets/js/page.js"},
				Config: map[string]string{"name": hostile}, Data: hostile})
		})
	})
	resp, body := get(t, nil, ts.URL+"/hello", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("status %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	csp := resp.Header.Get("Content-Security-Policy")
	host := strings.TrimPrefix(ts.URL, "http://")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'",
		"connect-src 'self' ws://" + host + " wss://" + host} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP allows something unsafe: %q", csp)
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
		"X-Frame-Options": "DENY", "Cache-Control": "no-store", "Cross-Origin-Opener-Policy": "same-origin"} {
		if resp.Header.Get(k) != v {
			t.Errorf("%s: %q, want %q", k, resp.Header.Get(k), v)
		}
	}
	// No inline script at all; the module is referenced by path.
	if regexp.MustCompile(`<script(?:[^>]*)>[^<]`).MatchString(body) || !strings.Contains(body, `<script type="module" src="/assets/js/page.js"></script>`) {
		t.Fatalf("scripts in %s", body)
	}
	if strings.Contains(body, "<script>alert") {
		t.Fatalf("hostile data reached the page unescaped: %s", body)
	}
	m := regexp.MustCompile(`data-config="([^"]*)"`).FindStringSubmatch(body)
	if m == nil || html.UnescapeString(m[1]) != `{"name":"\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e\"'\u0026"}` {
		t.Fatalf("data-config: %v", m)
	}
	if !regexp.MustCompile(`data-csrf="[A-Za-z0-9_-]{43}"`).MatchString(body) {
		t.Fatalf("no CSRF token on <body>: %s", body)
	}
	if !strings.Contains(body, "<title>Hello · Parley</title>") || !strings.Contains(body, `href="#main"`) {
		t.Fatalf("layout: %s", body)
	}
}

func TestErrorPage(t *testing.T) {
	p := pages.New(pages.Config{})
	ts := newServer(t, p, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /denied", func(w http.ResponseWriter, r *http.Request) {
			p.Error(w, r, http.StatusForbidden, "Not allowed", "Go back <now>.", pages.Link{Text: "Home", Href: "https://example.com/"})
		})
	})
	resp, body := get(t, nil, ts.URL+"/denied", nil)
	if resp.StatusCode != 403 || !strings.Contains(body, "<h1 id=\"error-title\">Not allowed</h1>") ||
		!strings.Contains(body, "Go back &lt;now&gt;.") || !strings.Contains(body, `<a href="https://example.com/">Home</a>`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}

// TestCSRF: a protected POST needs this origin and the token bound to
// the browser's cookie; a foreign origin, a missing or another browser's
// token are refused with a 403 page.
func TestCSRF(t *testing.T) {
	p := pages.New(pages.Config{})
	var posted []string
	ts := newServer(t, p, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, p.CSRFToken(w, r))
		})
		mux.Handle("POST /change", p.Protect(0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			posted = append(posted, r.PostFormValue("v"))
			io.WriteString(w, "ok")
		})))
	})
	jar := newJar(t)
	c := &http.Client{Jar: jar}
	_, token := get(t, c, ts.URL+"/form", nil)
	if _, again := get(t, c, ts.URL+"/form", nil); again != token {
		t.Fatalf("token changed between requests of one browser: %q %q", token, again)
	}
	post := func(c *http.Client, form url.Values, hdr map[string]string) int {
		req, _ := http.NewRequest("POST", ts.URL+"/change", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	same := map[string]string{"Sec-Fetch-Site": "same-origin"}
	if code := post(c, url.Values{"v": {"1"}, "csrf_token": {token}}, same); code != 200 {
		t.Fatalf("form field token: %d", code)
	}
	if code := post(c, url.Values{"v": {"2"}}, map[string]string{"Sec-Fetch-Site": "same-origin", pages.CSRFHeader: token}); code != 200 {
		t.Fatalf("header token: %d", code)
	}
	// The wrong token differs from the right one in its last character
	// (a fixed replacement would equal it now and then).
	last := "A"
	if strings.HasSuffix(token, last) {
		last = "B"
	}
	wrong := token[:len(token)-1] + last
	for name, tc := range map[string]struct {
		c    *http.Client
		form url.Values
		hdr  map[string]string
	}{
		"cross-site":      {c, url.Values{"v": {"x"}, "csrf_token": {token}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		"foreign origin":  {c, url.Values{"v": {"x"}, "csrf_token": {token}}, map[string]string{"Origin": "https://evil.example"}},
		"no token":        {c, url.Values{"v": {"x"}}, same},
		"wrong token":     {c, url.Values{"v": {"x"}, "csrf_token": {wrong}}, same},
		"other browser's": {&http.Client{Jar: newJar(t)}, url.Values{"v": {"x"}, "csrf_token": {token}}, same},
	} {
		if code := post(tc.c, tc.form, tc.hdr); code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, code)
		}
	}
	if strings.Join(posted, ",") != "1,2" {
		t.Fatalf("handler saw %v", posted)
	}
}

func TestCookies(t *testing.T) {
	secure := false
	p := pages.New(pages.Config{Secure: func(*http.Request) bool { return secure }})
	for _, s := range []bool{false, true} {
		secure = s
		rec := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/", nil)
		p.SetCookie(rec, r, "sess", "v1", 0, http.SameSiteLaxMode)
		set := rec.Header().Get("Set-Cookie")
		wantName := "sess="
		if s {
			wantName = "__Host-sess="
		}
		if !strings.HasPrefix(set, wantName) || !strings.Contains(set, "HttpOnly") || !strings.Contains(set, "SameSite=Lax") ||
			!strings.Contains(set, "Path=/") || strings.Contains(set, "Secure") != s {
			t.Fatalf("secure=%v: Set-Cookie %q", s, set)
		}
		r.Header.Set("Cookie", strings.SplitN(set, ";", 2)[0])
		if got := p.Cookie(r, "sess"); got != "v1" {
			t.Fatalf("secure=%v: Cookie = %q", s, got)
		}
	}
}

func newJar(t *testing.T) http.CookieJar {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return jar
}
