package server

import (
	"net/http"
	"strings"
	"sync"

	"github.com/parley-im/parley/web/pages"
)

// pagesOnce holds the server's page foundation, built on first use.
type pagesOnce struct {
	once sync.Once
	p    *pages.Pages
}

// pages is the server's web-page foundation: shared assets (the XMPP
// browser module), layout, security headers, cookies and CSRF, for every
// page the server serves.
func (s *Server) pages() *pages.Pages {
	po := &s.pagesLazy
	po.once.Do(func() {
		po.p = pages.New(pages.Config{Key: s.secrets.pages, Secure: s.requestSecure, Logger: s.log.With("component", "pages")})
	})
	return po.p
}

// registerPages mounts the pages' shared assets (/assets/...).
func (s *Server) registerPages(mux *http.ServeMux) {
	s.pages().Register(mux)
}

// requestSecure reports whether the client reached us over HTTPS:
// directly, or through a trusted proxy that says so.
func (s *Server) requestSecure(r *http.Request) bool {
	if s.fromTrustedProxy(r) {
		if p := lastValue(r.Header.Get("X-Forwarded-Proto")); p != "" {
			return strings.EqualFold(p, "https")
		}
	}
	return r.TLS != nil
}
