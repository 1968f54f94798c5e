package server

import (
	"net/http"
	"net/netip"
	"strings"
	"sync"

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

// integration returns the server's integration services, built on
// first use.
func (s *Server) integration() *integrationServices {
	is := &s.integ
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
		// Per client address, ten times the per-ID rate: room for a
		// site's server that authenticates many users, none for spraying
		// one password over many accounts.
		FailuresPerMinutePerAddr: 10 * ic.AuthFailuresPerMinute,
		AttackDelay:              ic.AuthAttackDelay.Duration,
		Logger:                   s.log,
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
	if lh := s.liveHelp(); lh != nil {
		services = append(services, bind.LiveHelp(lh))
	}
	services = append(services, s.conferenceServices()...)
	base, body := s.baseURL, s.cfg.HTTP.BodyTimeout.Duration
	inner := http.NewServeMux()
	soap.New(soap.Config{BaseURL: base, BodyTimeout: body, Logger: s.log}, services...).Register(inner)
	jsonapi.New(jsonapi.Config{BaseURL: base, BodyTimeout: body, Logger: s.log}, services...).Register(inner)
	h := s.withClientAddr(inner)
	mux.Handle(soap.Prefix, h)
	mux.Handle(strings.TrimSuffix(soap.Prefix, "/"), h)
	mux.Handle(jsonapi.Prefix, h)
	s.registerConferenceURLs(mux)
}

// withClientAddr records the client's address for the Authentication
// service's per-address failure limit.
func (s *Server) withClientAddr(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := s.clientAddr(r); a.IsValid() {
			r = r.WithContext(auth.WithClientAddr(r.Context(), a))
		}
		h.ServeHTTP(w, r)
	})
}

// clientAddr is the client's IP address: the peer's, or behind a
// trusted proxy (http.trusted_proxies) the last X-Forwarded-For entry,
// the one that proxy added (earlier ones are whatever the client
// claimed), as web/ computes it for BOSH and WebSocket.
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	a := peer(r)
	if s.fromTrustedProxy(r) {
		if f := forwardedFor(r); f.IsValid() {
			a = f
		}
	}
	return a
}

// baseURL is http.public_url when set; otherwise scheme://host[:port]
// as the client reached us: the Host header and TLS, or what a trusted
// proxy (http.trusted_proxies) says in X-Forwarded-Proto and
// X-Forwarded-Host. WSDL addresses, service pages, the OpenAPI server
// and the configuration directory's service URLs are built from it.
func (s *Server) baseURL(r *http.Request) string {
	if u := s.cfg.HTTP.PublicURL; u != "" {
		return u // validated and normalised by config.Validate
	}
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
	return s.httpGuard != nil && s.httpGuard.trusted(peer(r))
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
