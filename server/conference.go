package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/parley-im/parley/conference"
	"github.com/parley-im/parley/conference/page"
	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/integration/api"
	"github.com/parley-im/parley/integration/bind"
	"github.com/parley-im/parley/integration/conferencing"
	"github.com/parley-im/parley/mail"
)

// conferenceHooks are the muc hooks through which the conference
// manager governs its rooms; until it exists (or when conferences are
// off) they admit everyone and record nothing.
func (s *Server) conferenceHooks() muc.Hooks {
	return muc.Hooks{
		Admit: func(ctx context.Context, e muc.Entry) muc.Admission {
			if m := s.conferences; m != nil {
				return m.Admit(ctx, e)
			}
			return muc.Admit
		},
		Observe: func(ctx context.Context, e muc.Event) {
			if m := s.conferences; m != nil {
				m.Observe(ctx, e)
			}
		},
	}
}

// startConferences builds and starts the conference manager (after the
// MUC service, before the listeners); conferences need the integration
// services and the MUC service.
func (s *Server) startConferences(ctx context.Context) error {
	c := s.cfg.Conference
	if !c.Enabled {
		return nil
	}
	if !s.cfg.Integration.Enabled || s.muc == nil {
		s.log.Warn("conferences disabled: they need integration.enabled and muc.enabled")
		return nil
	}
	a := s.authService()
	if a == nil {
		return nil // registerIntegration reports why
	}
	m := s.cfg.Mail
	sender, err := mail.New(mail.Config{Relay: m.Relay, From: s.cfg.MailFrom(), Username: m.Username, Password: m.Password,
		TLS: m.TLS, CAFile: m.CAFile, Timeout: m.Timeout.Duration})
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if !sender.Enabled() {
		s.log.Info("no mail relay configured: conference invitations are not sent (mail.relay)")
	}
	domain := s.cfg.Hosts[0]
	maxIn := c.MaxParticipants
	if maxIn == 0 {
		maxIn = s.cfg.MUC.MaxOccupants
	}
	mgr := conference.New(conference.Options{
		Store: s.store, MUC: s.muc, Mail: sender, Domain: domain, MUCDomain: s.cfg.MUC.Subdomain + "." + domain,
		EarlyJoin:   time.Duration(s.cfg.Integration.EarlyJoinMinutes) * time.Minute,
		MaxDuration: c.MaxDuration.Duration, MaxAttendees: c.MaxAttendees, MaxOccupants: maxIn,
		InstantLength: c.InstantLength.Duration, CheckInterval: c.CheckInterval.Duration,
		GuestsAllowed: conferencing.GuestsAllowed(a),
		Logger:        s.log.With("module", "conference"),
	})
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("conferences: %w", err)
	}
	s.conferences = mgr
	s.conferencing = conferencing.New(conferencing.Options{Auth: a, Conferences: mgr,
		MaxResponseSize: s.cfg.Integration.MaxResponseSize, MaxRequestSize: s.cfg.Integration.MaxRequestSize,
		Logger: s.log.With("module", "conference")})
	return nil
}

// stopConferences stops the conference lifecycle (after the MUC
// service told the rooms, so that their stays are closed).
func (s *Server) stopConferences(ctx context.Context) {
	if s.conferences != nil {
		s.conferences.Stop(ctx)
	}
}

// conferenceServices are PreConferenceService, PostConferenceService
// and ReportingService for the SOAP and JSON bindings; none when
// conferences are off.
func (s *Server) conferenceServices() []*api.Service {
	if s.conferencing == nil {
		return nil
	}
	return []*api.Service{bind.PreConference(s.conferencing), bind.PostConference(s.conferencing), bind.Reporting(s.conferencing)}
}

// registerConferenceURLs mounts the Instant Conference URL service and
// its schemas under /imtapp/app/, and the conference and playback pages
// under /conference/.
func (s *Server) registerConferenceURLs(mux *http.ServeMux) {
	if s.conferencing == nil {
		return
	}
	s.conferencing.Register(mux, s.baseURL)
	a := s.authService()
	user := func(ctx context.Context, token string) (string, error) {
		tok, err := a.Resolve(ctx, token)
		if err != nil || !tok.IsUser() {
			return "", err
		}
		return tok.EntityID, nil
	}
	ph, err := page.New(page.Options{Pages: s.pages(), Conferences: s.conferences, Domain: s.cfg.Hosts[0], User: user,
		Logger: s.log.With("module", "conference")})
	if err != nil {
		s.log.Error("conference pages disabled", "err", err)
		return
	}
	ph.Register(mux)
}

// Conferences returns the conference manager, nil when conferences are
// off (for tests and admin tooling).
func (s *Server) Conferences() *conference.Manager { return s.conferences }
