package server

import (
	"net/http"
	"strings"
	"sync"

	"github.com/parley-im/parley/web/pages"
)

// webPages holds each running server's page foundation (web/pages),
// built once on first use, like integrations in integration.go.
var webPages sync.Map // *Server -> *pagesOnce

type pagesOnce struct {
	once sync.Once
	p    *pages.Pages
}

// pages is the server's web-page foundation: shared assets (the XMPP
// browser module), layout, security headers, cookies and CSRF, for every
// page the server serves.
func (s *Server) pages() *pages.Pages {
	v, _ := webPages.LoadOrStore(s, &pagesOnce{})
	po := v.(*pagesOnce)
	po.once.Do(func() {
		po.p = pages.New(pages.Config{Key: s.secrets.pages, Secure: s.requestSecure, Logger: s.log.With("component", "pages")})
		go func() { // forget the server once it stops
			<-s.runCtx.Done()
			webPages.Delete(s)
		}()
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
