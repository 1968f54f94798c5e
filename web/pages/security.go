package pages

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"
)

// CSP is the Content-Security-Policy of every page, before the
// connect-src additions of SetHeaders: only the server's own scripts
// (module files, never inline), styles and images; no plug-ins, no
// framing, no <base>; forms post only to the server.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// SetHeaders sets the security headers of a page or asset: the CSP
// (connect-src 'self' plus ws:// and wss:// to the request's host, for
// XMPP over WebSocket, which older browsers do not count as 'self'),
// nosniff, no referrer, no framing and COOP same-origin.
func SetHeaders(w http.ResponseWriter, r *http.Request) {
	connect := "connect-src 'self'"
	if host := r.Host; validHost(host) {
		connect += " ws://" + host + " wss://" + host
	}
	h := w.Header()
	h.Set("Content-Security-Policy", CSP+"; "+connect)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// validHost accepts host[:port] made of characters that cannot break out
// of a header value or a CSP source expression.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-:[]", c)) {
			return false
		}
	}
	return true
}

// hostPrefix is the cookie name prefix that pins a cookie to this host,
// HTTPS and Path=/ (RFC 6265bis "__Host-").
const hostPrefix = "__Host-"

// SetCookie sets an HttpOnly cookie for the whole site (Path=/): Secure
// and "__Host-" prefixed when the request came over HTTPS; sameSite Lax
// (sent on top-level navigations from other sites, as a reload after a
// cross-site POST needs) or Strict. maxAge 0 makes a session cookie.
func (p *Pages) SetCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration, sameSite http.SameSite) {
	secure := p.cfg.Secure(r)
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: secure, SameSite: sameSite}
	if secure {
		c.Name = hostPrefix + name
	}
	if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
		c.Expires = time.Now().Add(maxAge).UTC()
	}
	http.SetCookie(w, c)
}

// ClearCookie removes a cookie SetCookie set.
func (p *Pages) ClearCookie(w http.ResponseWriter, r *http.Request, name string) {
	secure := p.cfg.Secure(r)
	c := &http.Cookie{Name: name, Value: "", Path: "/", HttpOnly: true, Secure: secure, MaxAge: -1, SameSite: http.SameSiteLaxMode}
	if secure {
		c.Name = hostPrefix + name
	}
	http.SetCookie(w, c)
}

// Cookie returns the value of a cookie SetCookie set ("" if none).
func (p *Pages) Cookie(r *http.Request, name string) string {
	if p.cfg.Secure(r) {
		if c, err := r.Cookie(hostPrefix + name); err == nil {
			return c.Value
		}
		return ""
	}
	if c, err := r.Cookie(name); err == nil {
		return c.Value
	}
	return ""
}

// csrfCookie holds the per-browser random value CSRF tokens are bound to.
const csrfCookie = "parley_csrf"

// CSRF token transport: a header for scripts, a form field for forms.
const (
	CSRFHeader = "X-CSRF-Token"
	CSRFField  = "csrf_token"
)

// ErrCSRF is a state-changing request without a valid CSRF token, or
// from another origin.
var ErrCSRF = errors.New("pages: cross-site request refused")

// CSRFToken returns the CSRF token of this browser, setting its cookie
// (SameSite=Strict) first if it has none.
func (p *Pages) CSRFToken(w http.ResponseWriter, r *http.Request) string {
	v := p.Cookie(r, csrfCookie)
	if len(v) != 43 {
		b := make([]byte, 32)
		rand.Read(b)
		v = base64.RawURLEncoding.EncodeToString(b)
		p.SetCookie(w, r, csrfCookie, v, 0, http.SameSiteStrictMode)
		// A later CSRFToken in the same request must see the same value.
		r.AddCookie(&http.Cookie{Name: p.cookieName(r, csrfCookie), Value: v})
	}
	return p.sign(v)
}

func (p *Pages) cookieName(r *http.Request, name string) string {
	if p.cfg.Secure(r) {
		return hostPrefix + name
	}
	return name
}

func (p *Pages) sign(v string) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte("parley csrf\x00"))
	m.Write([]byte(v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF checks a state-changing request: it must come from this
// origin (net/http's CrossOriginProtection: Sec-Fetch-Site, else Origin
// against Host) and carry the token of its browser's CSRF cookie in the
// X-CSRF-Token header or the csrf_token form field.
func (p *Pages) CheckCSRF(r *http.Request) error {
	if err := p.cop.Check(r); err != nil {
		return ErrCSRF
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	v := p.Cookie(r, csrfCookie)
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		got = r.PostFormValue(CSRFField) // bounded by the caller's MaxBytesReader
	}
	if v == "" || got == "" || !hmac.Equal([]byte(got), []byte(p.sign(v))) {
		return ErrCSRF
	}
	return nil
}

// Protect wraps h so that its state-changing requests pass CheckCSRF;
// others get a 403 page. Request bodies are limited to maxBody bytes
// (0: 64 KiB) before the form is read.
func (p *Pages) Protect(maxBody int64, h http.Handler) http.Handler {
	if maxBody <= 0 {
		maxBody = 64 << 10
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if err := p.CheckCSRF(r); err != nil {
			p.Error(w, r, http.StatusForbidden, "Request refused",
				"This request did not come from this site's own page, or the page is out of date. Reload the page and try again.")
			return
		}
		h.ServeHTTP(w, r)
	})
}
