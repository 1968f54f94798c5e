package server

import (
	"context"
	"net/http"
	"strconv"
	"sync"

	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/integration/presence"
	"github.com/parley-im/parley/store"
)

// presenceOnce holds the server's presence service, built once on
// first use (by registerPresence or the bindings).
type presenceOnce struct {
	once sync.Once
	svc  *presence.Service
}

// presenceService is the server's presence service layer: the presence
// URL, the seed-004 endpoint, and getPresence/getBulkPresence for the
// bindings. Tokens come from the Authentication service when the
// integration services are enabled; without them every token is
// refused (the seed-004 endpoint still serves public presence).
func (s *Server) presenceService() *presence.Service {
	p := &s.presenceLazy
	p.once.Do(func() {
		var tokens presenceTokens
		if s.cfg.Integration.Enabled {
			tokens.auth = s.authService()
		}
		p.svc = presence.New(presence.Config{
			Sessions:        s.router,
			Groups:          groupPresence{s},
			Network:         networkPresence{s},
			Tokens:          tokens,
			Store:           presenceStore{s.store},
			IsLocal:         s.cfg.HasHost,
			PublicDomains:   s.cfg.Presence.PublicDomains,
			ImageHosts:      s.cfg.Presence.ImageHosts,
			ErrorAsOffline:  s.cfg.Presence.ErrorAsOffline,
			MaxRequestSize:  s.cfg.Integration.MaxRequestSize,
			MaxResponseSize: s.cfg.Integration.MaxResponseSize,
			Logger:          s.log,
		})
	})
	return p.svc
}

// registerPresence mounts presence over HTTP: the presence URL of seed
// 001 (/imtapp/Presence, with the integration services) and the
// endpoint of seed 004 (/plugins/presence/status, always: it shows only
// presence its users made public).
func (s *Server) registerPresence(mux *http.ServeMux) {
	svc := s.presenceService()
	if s.cfg.Integration.Enabled {
		mux.HandleFunc("GET /imtapp/Presence", svc.PresenceURL)
	}
	mux.HandleFunc("GET /plugins/presence/status", svc.Status)
}

// presenceTokens adapts the Authentication service to presence.Tokens.
type presenceTokens struct{ auth *auth.Service }

func presenceToken(t auth.Token) presence.Token {
	return presence.Token{ID: strconv.FormatInt(t.ID, 10), Value: t.Value, EntityType: t.EntityType,
		EntityID: t.EntityID, Policies: t.Policies}
}

func (a presenceTokens) TokenByID(ctx context.Context, id string) (presence.Token, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if a.auth == nil || err != nil {
		return presence.Token{}, presence.ErrInvalidToken
	}
	t, err := a.auth.ByID(ctx, n)
	if err != nil {
		return presence.Token{}, err
	}
	return presenceToken(t), nil
}

func (a presenceTokens) Token(ctx context.Context, value string) (presence.Token, error) {
	if a.auth == nil {
		return presence.Token{}, presence.ErrInvalidToken
	}
	t, err := a.auth.Resolve(ctx, value)
	if err != nil {
		return presence.Token{}, err
	}
	return presenceToken(t), nil
}

// PresenceAllowed reads the entity's current settings, so a site whose
// auth_presence_enabled is turned off loses presence at once, even with
// tokens it obtained before.
func (a presenceTokens) PresenceAllowed(ctx context.Context, t presence.Token) bool {
	if a.auth == nil {
		return false
	}
	settings, err := a.auth.EntitySettings(ctx, auth.Token{EntityType: t.EntityType, EntityID: t.EntityID})
	return err == nil && settings[auth.SettingPresence]
}

func (a presenceTokens) IssuedTo(t presence.Token, entityID string) bool {
	return a.auth != nil && a.auth.IssuedTo(auth.Token{EntityType: t.EntityType, EntityID: t.EntityID}, entityID)
}

// presenceStore adapts the store to presence.Store.
type presenceStore struct{ st store.Store }

func (p presenceStore) PresenceShared(ctx context.Context, owner string) (bool, error) {
	return p.st.PresenceShared(ctx, owner)
}

func (p presenceStore) Subscribed(ctx context.Context, owner, viewer string) bool {
	item, err := p.st.RosterItem(ctx, owner, viewer)
	return err == nil && (item.Subscription == store.SubFrom || item.Subscription == store.SubBoth)
}
