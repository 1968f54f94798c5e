package server

import (
	"net/http"
	"net/netip"
	"strings"
	"sync"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/integration/api"
	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/integration/bind"
	"github.com/parley-im/parley/integration/configuration"
	"github.com/parley-im/parley/integration/jsonapi"
	"github.com/parley-im/parley/integration/soap"
)

// integrationServices are the integration service layer of one server,
// built once on first use (by registerIntegration or registerPresence,
// whichever asks first) so that the SOAP and JSON bindings and the
// presence URL share one Authentication service.
type integrationServices struct {
	once   sync.Once
	auth   *auth.Service
	config *configuration.Service
	err    error
}

// integrations holds each running server's services. It lives outside
// Server so that this file alone wires them; an entry is dropped when
// the server stops (runCtx ends).
var integrations sync.Map // *Server -> *integrationServices

func (s *Server) integration() *integrationServices {
	v, _ := integrations.LoadOrStore(s, &integrationServices{})
	is := v.(*integrationServices)
	is.once.Do(func() { s.buildIntegration(is) })
	return is
}

func (s *Server) buildIntegration(is *integrationServices) {
	ic := s.cfg.Integration
	domain := ""
	if len(s.cfg.Hosts) > 0 {
		domain = s.cfg.Hosts[0]
	}
	is.auth, is.err = auth.New(auth.Options{
		Store:             s.store,
		TokenLife:         ic.TokenLife.Duration,
		MaxRequestSize:    ic.MaxRequestSize,
		UserPolicies:      ic.UserPolicies,
		DefaultDomain:     domain,
		FailuresPerMinute: ic.AuthFailuresPerMinute,
		Logger:            s.log,
	})
	if is.err != nil {
		return
	}
	is.config = configuration.New(configuration.Options{Auth: is.auth, Config: s.cfg, Version: Version})
	// Expired tokens are purged in the background until the server stops.
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		is.auth.Run(s.runCtx)
		integrations.Delete(s)
	}()
}

// authService is the server's one Authentication service (tokens and
// sites), for the bindings and the presence URL; nil if it could not be
// built (an invalid integration.user_policies, which config.Load
// refuses first).
func (s *Server) authService() *auth.Service {
	return s.integration().auth
}

// registerIntegration mounts the integration services' SOAP and JSON
// bindings (/imtapp/ws/..., /api/v1/...).
func (s *Server) registerIntegration(mux *http.ServeMux) {
	is := s.integration()
	if is.err != nil {
		s.log.Error("integration services disabled", "err", is.err)
		return
	}
	services := []*api.Service{
		bind.Authentication(is.auth),
		bind.Configuration(is.config),
		bind.Presence(s.presenceService()),
	}
	base := s.baseURL
	soap.New(soap.Config{BaseURL: base, Logger: s.log}, services...).Register(mux)
	jsonapi.New(jsonapi.Config{BaseURL: base, Logger: s.log}, services...).Register(mux)
}

// baseURL is scheme://host[:port] as the client reached us: the Host
// header and TLS, or what a trusted proxy (http.trusted_proxies) says in
// X-Forwarded-Proto and X-Forwarded-Host. WSDL addresses and the
// configuration directory's service URLs are built from it.
func (s *Server) baseURL(r *http.Request) string {
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if s.fromTrustedProxy(r) {
		if p := lastValue(r.Header.Get("X-Forwarded-Proto")); p == "http" || p == "https" {
			scheme = p
		}
		if h := lastValue(r.Header.Get("X-Forwarded-Host")); h != "" && validHost(h) {
			host = h
		}
	}
	if host == "" || !validHost(host) {
		host = "localhost"
	}
	return scheme + "://" + host
}

func (s *Server) fromTrustedProxy(r *http.Request) bool {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	for _, p := range s.cfg.HTTP.TrustedProxies {
		if pfx, err := config.ParsePrefix(p); err == nil && pfx.Contains(ap.Addr().Unmap()) {
			return true
		}
	}
	return false
}

// lastValue is the last of a comma-separated header value: the one the
// nearest proxy added.
func lastValue(v string) string {
	parts := strings.Split(v, ",")
	return strings.ToLower(strings.TrimSpace(parts[len(parts)-1]))
}

// validHost accepts host[:port] without characters that could break out
// of a URL or an XML attribute.
func validHost(h string) bool {
	if len(h) > 255 {
		return false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-:[]_", c)) {
			return false
		}
	}
	return true
}
