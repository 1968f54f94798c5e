// Package configuration is the Configuration service of the integration
// services (seed 001 chapter 3, getConfiguration): the configuration
// directory of Table 3-12, whose entries are named by a fullname
// ("rtc.application.token_life") or by a namespace and a property name
// relative to it (namespace "rtc.servicecatalog", property
// "authenticationservice.versions"). Public entries are answered for any
// authenticated entity; the others (a site's authorizations, its
// nickname, ...) are answered for the calling entity: from the calling
// site's settings, or from the settings every user has. Values come
// from the running configuration, service URLs from the base URL the
// request came to, current_server_time from the clock.
package configuration

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/auth"
)

// GetConfigurationRequest is getConfiguration's param0 (Table 3-14).
type GetConfigurationRequest struct {
	EntityID       string                       `xml:"entityID" json:"entityID"`
	EntityToken    string                       `xml:"entityToken" json:"entityToken"`
	Namespace      string                       `xml:"namespace" json:"namespace"`
	Properties     []string                     `xml:"properties" json:"properties"`
	AdhocAttribute []integration.AdhocAttribute `xml:"adhocAttribute" json:"adhocAttribute"`
}

// GetConfigurationResponse is getConfiguration's result (Table 3-15).
// Properties holds one attribute per requested property, named as
// requested; its value is nil where the entry has no value or does not
// exist (the seed's null), and StatusDetails then names the unknown
// ones.
type GetConfigurationResponse struct {
	StatusCode      integration.Status           `xml:"statusCode" json:"statusCode"`
	StatusMessage   string                       `xml:"statusMessage" json:"statusMessage"`
	StatusDetails   string                       `xml:"statusDetails" json:"statusDetails"`
	Namespace       string                       `xml:"namespace" json:"namespace"`
	Properties      []integration.AdhocAttribute `xml:"properties" json:"properties"`
	AdhocAttributes []integration.AdhocAttribute `xml:"adhocAttributes" json:"adhocAttributes"`
}

// Options configure a Service.
type Options struct {
	Auth    *auth.Service // resolves the caller's token
	Config  config.Config // the running configuration
	Version string        // rtc.application.version_identifier
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service is the Configuration service. Create it with New.
type Service struct {
	auth    *auth.Service
	cfg     config.Config
	version string
	now     func() time.Time
	entries []entry
	byName  map[string]*entry
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{auth: o.Auth, cfg: o.Config, version: o.Version, now: o.Now, entries: directory()}
	if s.now == nil {
		s.now = time.Now
	}
	s.byName = make(map[string]*entry, len(s.entries))
	for i := range s.entries {
		s.byName[s.entries[i].name] = &s.entries[i]
	}
	return s
}

func (s *Service) tokenLife() time.Duration { return s.auth.TokenLife() }

// Fullnames lists every entry of the directory, in the seed's order.
func (s *Service) Fullnames() []string {
	out := make([]string, len(s.entries))
	for i, e := range s.entries {
		out[i] = e.name
	}
	return out
}

// Public reports whether fullname is a public entry (false for an
// unknown one).
func (s *Service) Public(fullname string) bool {
	e, ok := s.byName[canonical(fullname)]
	return ok && e.public
}

// canonical lower-cases a name and drops spaces around its dots (the
// seed prints "rtc.clients.win32. messenger.version").
func canonical(name string) string {
	parts := strings.Split(strings.ToLower(strings.TrimSpace(name)), ".")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return strings.Join(parts, ".")
}

// maxProperties bounds the properties of one request.
const maxProperties = 1000

// GetConfiguration answers a getConfiguration request. baseURL is where
// the request came to ("http://host:5280"), for the service URLs; ""
// uses the first host and the configured HTTP port. The status codes are
// Table 3-16's: NOT_AUTHORIZED for a missing, unknown or expired token,
// INVALID_SITE_ID when entityID is not the site the token was issued to
// (NOT_AUTHORIZED for a user), UNEXPECTED_ERROR when storage fails. The
// error result is always nil: every outcome is a status.
//
// With no properties, every entry with a value under the namespace is
// returned (names relative to it; the whole directory for no
// namespace).
func (s *Service) GetConfiguration(ctx context.Context, baseURL string, req GetConfigurationRequest) (GetConfigurationResponse, error) {
	resp := GetConfigurationResponse{Namespace: req.Namespace, Properties: []integration.AdhocAttribute{}}
	fail := func(st integration.Status, msg string) (GetConfigurationResponse, error) {
		resp.StatusCode, resp.StatusMessage = st, msg
		return resp, nil
	}
	tok, err := s.auth.Resolve(ctx, req.EntityToken)
	if errors.Is(err, auth.ErrInvalidToken) {
		return fail(integration.NotAuthorized, "invalid, ended or expired entityToken")
	}
	if err != nil {
		return fail(integration.UnexpectedError, "could not check the token")
	}
	if !s.auth.IssuedTo(tok, req.EntityID) {
		if tok.IsUser() {
			return fail(integration.NotAuthorized, "the token was not issued to this entityID")
		}
		return fail(integration.InvalidSiteID, "entityID is not the site the token was issued to")
	}
	c := &call{tok: tok, now: s.now()}
	if baseURL != "" {
		if u, err := url.Parse(baseURL); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			c.base = u
		}
	}
	c.settings, err = s.auth.EntitySettings(ctx, tok)
	if errors.Is(err, auth.ErrInvalidToken) {
		return fail(integration.NotAuthorized, "invalid, ended or expired entityToken")
	}
	if err != nil {
		return fail(integration.UnexpectedError, "could not read the entity's settings")
	}
	if !tok.IsUser() {
		if site, err := s.auth.Site(ctx, tok.EntityID); err == nil {
			c.siteName = site.Name
		}
	}
	if len(req.Properties) > maxProperties {
		return fail(integration.UnexpectedError, fmt.Sprintf("at most %d properties per request", maxProperties))
	}

	ns := strings.TrimSuffix(canonical(req.Namespace), ".")
	if len(req.Properties) == 0 {
		prefix := ""
		if ns != "" {
			prefix = ns + "."
		}
		for _, e := range s.entries {
			if e.value != nil && strings.HasPrefix(e.name, prefix) {
				resp.Properties = append(resp.Properties, integration.Attr(e.name[len(prefix):], e.value(s, c)))
			}
		}
		resp.StatusMessage = "NO_ERROR"
		return resp, nil
	}
	var unknown []string
	for _, p := range req.Properties {
		e := s.lookup(ns, p)
		switch {
		case e == nil:
			unknown = append(unknown, p)
			resp.Properties = append(resp.Properties, integration.AdhocAttribute{Name: p})
		case e.value == nil:
			resp.Properties = append(resp.Properties, integration.AdhocAttribute{Name: p})
		default:
			resp.Properties = append(resp.Properties, integration.Attr(p, e.value(s, c)))
		}
	}
	resp.StatusMessage = "NO_ERROR"
	if len(unknown) > 0 {
		resp.StatusDetails = "no such configuration entry: " + strings.Join(unknown, ", ")
	}
	return resp, nil
}

// lookup finds the entry named by a namespace and a property name: the
// property appended to the namespace with a dot, or failing that the
// property as a fullname within the namespace.
func (s *Service) lookup(ns, prop string) *entry {
	p := canonical(prop)
	if p == "" {
		return nil
	}
	if ns == "" {
		return s.byName[p]
	}
	if e, ok := s.byName[ns+"."+p]; ok {
		return e
	}
	if e, ok := s.byName[p]; ok && strings.HasPrefix(p, ns+".") {
		return e
	}
	return nil
}
