package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/parley-im/parley/c2s"
	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/integration/presence"
	"github.com/parley-im/parley/livehelp"
	"github.com/parley-im/parley/livehelp/webchat"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/xml"
)

// liveHelp returns the server's live-help service, nil when disabled
// or stopped.
func (s *Server) liveHelp() *livehelp.Service { return s.liveHelpSvc.Load() }

// LiveHelp returns the live-help service (for tests), nil when disabled.
func (s *Server) LiveHelp() *livehelp.Service { return s.liveHelp() }

// startLiveHelp starts live help (when enabled, with the integration
// services it needs to check sites' chat requests): the groups and guest
// domains become components, the router tells it of presence changes,
// and the returned handler gives guests' sessions to it. The returned
// BearerAuth lets guests log in with their tickets.
func (s *Server) startLiveHelp(ctx context.Context, d *im.Dispatcher) (c2s.Handler, *c2s.BearerAuth, error) {
	lc := s.cfg.LiveHelp
	if !lc.Enabled {
		return d, nil, nil
	}
	if !s.cfg.Integration.Enabled {
		s.log.Warn("live help is off: it needs the integration services (integration.enabled), which check the sites' chat requests")
		return d, nil, nil
	}
	auth := s.authService()
	if auth == nil {
		return d, nil, fmt.Errorf("live help: %w", s.integration().err)
	}
	svc := livehelp.New(livehelp.Options{
		Store:               s.store,
		Sessions:            s.router,
		Send:                d.FromComponent,
		Auth:                auth,
		Hosts:               s.cfg.Hosts,
		GroupsSubdomain:     lc.GroupsSubdomain,
		GuestsSubdomain:     lc.GuestsSubdomain,
		Strategy:            lc.Strategy,
		OfferTimeout:        lc.OfferTimeout.Duration,
		MaxChats:            lc.MaxChatsPerAgent,
		MaxQueue:            lc.MaxQueue,
		GuestLife:           lc.GuestLife.Duration,
		TicketLife:          lc.TicketLife.Duration,
		ReconnectGrace:      lc.ReconnectGrace.Duration,
		TranscriptRetention: lc.TranscriptRetention.Duration,
		MaxGuestSessions:    lc.MaxGuestSessions,
		Mail:                s.mailText(),
		Placement:           s.deskPlacement(),
		Logger:              s.log,
	}, lc.RequestFailuresPerMinute)
	if s.cluster != nil {
		s.cluster.HandleCall("livehelp", svc.HandleCall)
	}
	if err := svc.Start(ctx); err != nil {
		return d, nil, fmt.Errorf("live help: %w", err)
	}
	for _, dom := range svc.GroupDomains() {
		s.router.RegisterComponent(dom, svc)
	}
	for _, dom := range svc.GuestDomains() {
		s.router.RegisterComponent(dom, s.atGuestSession(dom, svc))
	}
	s.router.OnPresence(svc.PresenceChanged)
	s.liveHelpSvc.Store(svc)
	return guestHandler{next: d, lh: svc}, &c2s.BearerAuth{Domains: svc.GuestDomains(), Verify: svc.BearerVerify}, nil
}

// registerLiveHelp mounts live help's pages: the guest chat page
// (/imtapp/im/...), /livehelp.js and /livehelp/status.
func (s *Server) registerLiveHelp(mux *http.ServeMux) {
	lh := s.liveHelp()
	if lh == nil {
		return
	}
	h, err := webchat.New(webchat.Config{Service: lh, Pages: s.pages(), ClientAddr: s.clientAddr, Logger: s.log})
	if err != nil {
		s.log.Error("live help pages disabled", "err", err)
		return
	}
	h.Register(mux)
}

// stopLiveHelp stops live help (open chats end) and forgets it.
func (s *Server) stopLiveHelp(ctx context.Context) {
	if lh := s.liveHelp(); lh != nil {
		lh.Stop(ctx)
		s.liveHelpSvc.Store(nil)
	}
}

// guestHandler gives live help's guests' sessions to live help: their
// stanzas never reach the server's routing (guests are restricted), while
// their binding and unbinding still go through the dispatcher.
type guestHandler struct {
	next c2s.Handler
	lh   *livehelp.Service
}

func (h guestHandler) SessionStarted(ctx context.Context, s router.Session) error {
	if err := h.next.SessionStarted(ctx, s); err != nil {
		return err
	}
	if h.lh.IsGuest(s.JID()) {
		h.lh.GuestStarted(s)
	}
	return nil
}

func (h guestHandler) HandleStanza(ctx context.Context, s router.Session, el *xml.Element) {
	if h.lh.IsGuest(s.JID()) {
		h.lh.GuestStanza(ctx, s, el)
		return
	}
	h.next.HandleStanza(ctx, s, el)
}

func (h guestHandler) SessionEnded(ctx context.Context, s router.Session) {
	h.next.SessionEnded(ctx, s)
	if h.lh.IsGuest(s.JID()) {
		h.lh.GuestEnded(s)
	}
}

// Unacknowledged: what a guest's page did not acknowledge is in the
// transcript, which the page shows again; nothing is stored for guests.
func (h guestHandler) Unacknowledged(ctx context.Context, s router.Session, stanzas []*xml.Element) {
	if h.lh.IsGuest(s.JID()) {
		return
	}
	h.next.Unacknowledged(ctx, s, stanzas)
}

// groupPresence answers the presence services for support groups.
type groupPresence struct{ s *Server }

func (g groupPresence) GroupPresence(ctx context.Context, bare string) (presence.Snapshot, bool) {
	lh := g.s.liveHelp()
	if lh == nil {
		return presence.Snapshot{}, false
	}
	st, ok := lh.GroupStatus(ctx, bare)
	if !ok {
		return presence.Snapshot{}, false
	}
	snap := presence.Snapshot{JID: bare}
	rp := presence.ResourcePresence{Resource: "livehelp", Changed: time.Now()}
	switch st.State {
	case "available":
		rp.State, rp.Status = presence.Available, fmt.Sprintf("Live help available (%d agents ready)", st.Ready)
		if st.Ready == 1 {
			rp.Status = "Live help available (1 agent ready)"
		}
	case "away":
		rp.State, rp.Status = presence.Away, fmt.Sprintf("All agents are busy (%d waiting)", st.Waiting)
	default:
		return snap, true
	}
	snap.Resources = []presence.ResourcePresence{rp}
	return snap, true
}
