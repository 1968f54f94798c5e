package server

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/parley-im/parley/c2s"
	"github.com/parley-im/parley/im/vcard"
	"github.com/parley-im/parley/integration/presence"
	"github.com/parley-im/parley/livehelp"
	"github.com/parley-im/parley/manage"
	"github.com/parley-im/parley/webui/console"
	"github.com/parley-im/parley/webui/me"
	"github.com/parley-im/parley/webui/session"
	"github.com/parley-im/parley/webui/widget"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/xml"
)

// webUI is Parley's pages for people (package webui): the sign-in and
// its sessions, the presence widget, and the console's statistics.
type webUI struct {
	sessions *session.Manager
	widget   *widget.Widget
	stats    *console.Stats
}

// startWebUI builds the sign-in and the widget (before c2s, which takes
// the sign-in's XMPP tickets, and before sessions bind, so that the
// widget hears every presence change) and starts their background work:
// pruning expired sign-ins, the widget's live fan-out and the console's
// sampling. It also serves the administration commands on the control
// channel (manage.go), which do not depend on the pages.
func (s *Server) startWebUI() {
	s.registerManageCommands()
	c := s.cfg.WebUI
	if !c.Enabled {
		return
	}
	w := &webUI{}
	w.sessions = session.New(session.Config{
		Store: s.store, Pages: s.pages(), Hosts: s.cfg.Hosts, IsAdmin: s.cfg.IsAdmin,
		CheckPassword: func(ctx context.Context, addr, domain, local, password string) error {
			if s.c2s == nil {
				return errors.New("the server is starting")
			}
			return s.c2s.CheckPassword(ctx, addr, domain, local, password)
		},
		ClientAddr: func(r *http.Request) string { return s.clientAddr(r).String() },
		Lifetime:   c.SessionLifetime.Duration, Idle: c.SessionIdle.Duration, MaxPerUser: c.MaxSessionsPerUser,
		Logger: s.log,
	})
	w.widget = widget.New(widget.Config{
		Presence: s.presenceService(), VCard: s.store.VCard, Sessions: w.sessions,
		Blocks: func(owner, other string) bool {
			j, err := jid.Parse(other)
			return err == nil && s.blocks(owner, j)
		},
		Hosts: s.cfg.Hosts, Origins: c.WidgetOrigins, MaxWatch: c.WidgetMaxWatch, Base: s.runCtx,
		Logger: s.log,
	})
	s.router.OnPresence(w.widget.Changed)
	if c.Console {
		w.stats = console.NewStats(s.metrics.Snapshot, c.StatsInterval.Duration)
	}
	s.webui = w
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		w.sessions.Run(s.runCtx, time.Hour)
	}()
	go func() {
		defer s.wg.Done()
		w.widget.Run(s.runCtx)
	}()
	if w.stats != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			w.stats.Run(s.runCtx)
		}()
	}
}

// webTickets lets the pages' XMPP sessions log in with the sign-in's
// single-use tickets (nil when the pages are off).
func (s *Server) webTickets() *c2s.TicketAuth {
	if s.webui == nil {
		return nil
	}
	return &c2s.TicketAuth{Verify: s.webui.sessions.VerifyTicket}
}

// webCardChanged refreshes the widget's view of a user whose vCard
// changed.
func (s *Server) webCardChanged(owner string) {
	if s.webui != nil {
		s.webui.widget.CardChanged(owner)
	}
}

// registerWebUI mounts the sign-in, self-service (/me/), the admin
// console (/admin/) and the widget (/widget/).
func (s *Server) registerWebUI(mux *http.ServeMux) {
	w := s.webui
	if w == nil {
		return
	}
	p := s.pages()
	sh, err := session.NewHandler(w.sessions)
	if err != nil {
		s.log.Error("web pages disabled", "err", err)
		return
	}
	sh.Register(mux)
	w.widget.Register(mux)

	accounts := s.manageAccounts()
	accounts.MinPasswordLength = s.cfg.Registration.MinPasswordLength
	online := manage.Sessions{Router: s.router}
	maxPhoto := s.cfg.VCard.MaxBytes*3/4 - 4096
	mh, err := me.New(me.Config{
		Pages: p, Sessions: w.sessions, Accounts: accounts, Online: online,
		Presence:         func(bare string) presence.Snapshot { return presence.Lookup(s.router, bare) },
		VCards:           webVCards{s},
		PublicDomain:     func(d string) bool { return slices.Contains(s.cfg.Presence.PublicDomains, d) },
		Calendar:         s.ext.calendar != nil,
		RemindersDefault: s.cfg.Calendar.RemindersDefault,
		MaxPhotoBytes:    max(maxPhoto, 1024),
		Logger:           s.log.With("component", "self-service"),
	})
	if err != nil {
		s.log.Error("self-service pages disabled", "err", err)
		return
	}
	mh.Register(mux)

	if !s.cfg.WebUI.Console {
		return
	}
	cfg := console.Config{
		Pages: p, Sessions: w.sessions, Accounts: s.manageAccounts(), Online: online, Rooms: s.manageRooms(),
		Groups:      livehelp.Groups{Store: s.store, Hosts: s.cfg.Hosts, GroupsSubdomain: s.cfg.LiveHelp.GroupsSubdomain},
		Conferences: s.conferences, Stats: w.stats, Hosts: s.cfg.Hosts, Logger: s.log,
	}
	if s.cfg.Integration.Enabled {
		cfg.Sites = s.authService()
	}
	ch, err := console.New(cfg)
	if err != nil {
		s.log.Error("admin console disabled", "err", err)
		return
	}
	ch.Register(mux)
}

// webVCards is what self-service changes vCards with: the vCard
// service (photo hashes in presence), the PEP avatar (XEP-0398) and the
// widget's cache, as a client's vCard set does.
type webVCards struct{ s *Server }

func (v webVCards) Get(ctx context.Context, owner string) (*xml.Element, error) {
	return v.s.pers.vcards.Get(ctx, owner)
}

func (v webVCards) Set(ctx context.Context, owner string, card *xml.Element) error {
	if err := v.s.pers.vcards.Set(ctx, owner, card); err != nil {
		if errors.Is(err, vcard.ErrTooLarge) {
			return errors.New("vcard too large")
		}
		return err
	}
	v.s.vcardSet(ctx, owner, card)
	return nil
}
