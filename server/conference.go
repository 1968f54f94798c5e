package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/parley-im/parley/c2s"
	"github.com/parley-im/parley/conference"
	"github.com/parley-im/parley/conference/page"
	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/integration/api"
	"github.com/parley-im/parley/integration/bind"
	"github.com/parley-im/parley/integration/conferencing"
	"github.com/parley-im/parley/manage"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
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
	if s.ext.control != nil {
		s.ext.control.Handle("conference", s.conferenceCommand)
	}
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
	sender := s.mail
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
		GuestDomain: c.GuestsSubdomain + "." + domain,
		EarlyJoin:   time.Duration(s.cfg.Integration.EarlyJoinMinutes) * time.Minute,
		MaxDuration: c.MaxDuration.Duration, MaxAttendees: c.MaxAttendees, MaxOccupants: maxIn,
		InstantLength: c.InstantLength.Duration, CheckInterval: c.CheckInterval.Duration,
		GuestsAllowed: conferencing.GuestsAllowed(a),
		Placement:     s.conferencePlacement(),
		Logger:        s.log.With("module", "conference"),
	})
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("conferences: %w", err)
	}
	if s.cluster != nil {
		s.cluster.HandleCall("conference", func(ctx context.Context, _ string, args []string) (string, error) {
			return "", mgr.RunOp(ctx, args)
		})
	}
	s.conferences = mgr
	s.conferencing = conferencing.New(conferencing.Options{Auth: a, Conferences: mgr,
		MaxResponseSize: s.cfg.Integration.MaxResponseSize, MaxRequestSize: s.cfg.Integration.MaxRequestSize,
		Logger: s.log.With("module", "conference")})
	return nil
}

// conferenceCommand is `parley conference end ID` on the control
// channel: the running server's manager ends the conference at once,
// letting its people out and destroying its room. With conferences off
// it ends it in the store, as the command does without a server.
func (s *Server) conferenceCommand(ctx context.Context, args []string) (string, error) {
	if len(args) != 2 || args[0] != "end" {
		return "", errors.New("usage: conference end CONFERENCE_ID")
	}
	m := s.conferences
	if m == nil {
		domain := s.cfg.Hosts[0]
		m = conference.New(conference.Options{Store: s.store, Domain: domain, MUCDomain: s.cfg.MUC.Subdomain + "." + domain,
			Logger: s.log.With("module", "conference")})
	}
	c, err := manage.EndConference(ctx, m, args[1])
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("ended conference %s (FORCED)\n", c.ID), nil
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

// conferenceGuests lets conference guests log in (their pass's ticket,
// OAUTHBEARER on the guest domain, beside live help's bearer domains)
// and keeps their sessions to their conference's room: next gets every
// other session's stanzas, and a guest's only when GuestPolicy lets
// them through.
func (s *Server) conferenceGuests(next c2s.Handler, bearer *c2s.BearerAuth) (c2s.Handler, *c2s.BearerAuth) {
	m := s.conferences
	if m == nil || m.GuestDomain() == "" {
		return next, bearer
	}
	dom := m.GuestDomain()
	combined := &c2s.BearerAuth{Domains: []string{dom}, Verify: m.BearerVerify}
	if bearer != nil {
		other := bearer.Verify
		combined.Domains = append(append([]string(nil), bearer.Domains...), dom)
		combined.Verify = func(ctx context.Context, domain, authzid, ticket string) (string, error) {
			if domain == dom {
				return m.BearerVerify(ctx, domain, authzid, ticket)
			}
			return other(ctx, domain, authzid, ticket)
		}
	}
	return conferenceGuestHandler{next: next, m: m}, combined
}

// conferenceGuestHandler sorts conference guests' stanzas (GuestPolicy).
type conferenceGuestHandler struct {
	next c2s.Handler
	m    *conference.Manager
}

func (h conferenceGuestHandler) SessionStarted(ctx context.Context, sess router.Session) error {
	return h.next.SessionStarted(ctx, sess)
}

func (h conferenceGuestHandler) HandleStanza(ctx context.Context, sess router.Session, el *xml.Element) {
	if !h.m.IsGuest(sess.JID()) {
		h.next.HandleStanza(ctx, sess, el)
		return
	}
	v := h.m.GuestPolicy(sess.JID(), el)
	switch v.Verdict {
	case conference.Forward:
		h.next.HandleStanza(ctx, sess, el)
	case conference.Pong:
		sess.Deliver(stanza.Result(el))
	case conference.Refuse:
		if stanza.CanReplyWithError(el) {
			sess.Deliver(stanza.Error(stanza.WithAddress(el, sess.JID().String(), el.Attr("to")), v.Cond, v.Text))
		}
		if v.Ended {
			sess.Close(stream.Errorf(stream.NotAuthorized, "the conference is over"))
		}
	}
}

func (h conferenceGuestHandler) SessionEnded(ctx context.Context, sess router.Session) {
	h.next.SessionEnded(ctx, sess)
}

// Unacknowledged: nothing is kept for a guest (it has no offline
// storage); its page joins again and gets the room's recent history.
func (h conferenceGuestHandler) Unacknowledged(ctx context.Context, sess router.Session, stanzas []*xml.Element) {
	if h.m.IsGuest(sess.JID()) {
		return
	}
	h.next.Unacknowledged(ctx, sess, stanzas)
}

// toConferenceGuests delivers what the MUC service sends to conference
// guests to their sessions (the server's routing serves only its own
// hosts' users), and everything else through next.
func (s *Server) toConferenceGuests(next func(context.Context, *xml.Element)) func(context.Context, *xml.Element) {
	return func(ctx context.Context, el *xml.Element) {
		m := s.conferences
		if m == nil {
			next(ctx, el)
			return
		}
		to, err := jid.Parse(el.Attr("to"))
		if err != nil || !m.IsGuest(to) {
			next(ctx, el)
			return
		}
		if to.IsBare() {
			for _, r := range s.router.Resources(to.String()) {
				r.Session.Deliver(stanza.WithAddress(el, el.Attr("from"), r.Session.JID().String()))
			}
			return
		}
		if r, ok := s.router.Resource(to); ok {
			r.Session.Deliver(el)
		}
	}
}
