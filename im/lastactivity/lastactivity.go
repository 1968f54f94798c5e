// Package lastactivity is last activity (XEP-0012) as a server answers
// it: for an account's bare JID, how long ago its user logged out and
// the status they left with (0 while they are online), to those allowed
// to see their presence only; for the server, its uptime. Queries to a
// full JID go to the client.
package lastactivity

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/parley-im/parley/im/roster"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Config wires a Service.
type Config struct {
	Store   store.Presence
	Router  router.Router
	Roster  *roster.Engine
	Started time.Time        // the server's start, for its uptime
	Now     func() time.Time // the clock; default time.Now
	Logger  *slog.Logger
}

// Service answers jabber:iq:last.
type Service struct {
	cfg Config
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg}
}

func seconds(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return strconv.FormatInt(int64(d/time.Second), 10)
}

// HandleIQ answers for the server (its uptime) or an account.
func (s *Service) HandleIQ(ctx context.Context, sess router.Session, iq *xml.Element) {
	if to, err := jid.Parse(iq.Attr("to")); err == nil && !to.IsZero() && to.Local() == "" {
		s.handleServer(ctx, sess, iq)
		return
	}
	s.handleAccount(ctx, sess, iq)
}

func (s *Service) handleServer(_ context.Context, sess router.Session, iq *xml.Element) {
	if iq.Attr("type") != "get" {
		sess.Deliver(stanza.Error(iq, stanza.BadRequest, "last activity is only read"))
		return
	}
	q := xml.NewElement(ns.LastActivity, "query", xml.Attr{Name: "seconds", Value: seconds(s.cfg.Now().Sub(s.cfg.Started))})
	sess.Deliver(stanza.Result(iq, q))
}

// handleAccount answers for an account's bare JID (one's own or a
// contact's).
func (s *Service) handleAccount(ctx context.Context, sess router.Session, iq *xml.Element) {
	if iq.Attr("type") != "get" {
		sess.Deliver(stanza.Error(iq, stanza.BadRequest, "last activity is only read"))
		return
	}
	requester := sess.JID().Bare().String()
	owner := requester
	if to, err := jid.Parse(iq.Attr("to")); err == nil && !to.IsZero() {
		owner = to.Bare().String()
	}
	if owner != requester {
		// §3: only to those allowed to see the user's presence.
		it, ok, err := s.cfg.Roster.Item(ctx, owner, requester)
		if err != nil || !ok || (it.Subscription != store.SubFrom && it.Subscription != store.SubBoth) {
			sess.Deliver(stanza.Error(iq, stanza.Forbidden, "you are not subscribed to this user's presence"))
			return
		}
	}
	for _, res := range s.cfg.Router.Resources(owner) {
		if res.Available {
			sess.Deliver(stanza.Result(iq, xml.NewElement(ns.LastActivity, "query", xml.Attr{Name: "seconds", Value: "0"})))
			return
		}
	}
	raw, at, err := s.cfg.Store.LastPresence(ctx, owner)
	if errors.Is(err, store.ErrNotFound) {
		sess.Deliver(stanza.Error(iq, stanza.ServiceUnavailable, "no last activity is known"))
		return
	}
	if err != nil {
		s.cfg.Logger.Error("last activity", "owner", owner, "err", err)
		sess.Deliver(stanza.Error(iq, stanza.InternalServerError, ""))
		return
	}
	q := xml.NewElement(ns.LastActivity, "query", xml.Attr{Name: "seconds", Value: seconds(s.cfg.Now().Sub(at))})
	if p, err := xml.ParseElement(raw, ns.Client, xml.DefaultLimits); err == nil {
		if st := p.Child("", "status"); st != nil {
			q.SetText(st.Text)
		}
	}
	sess.Deliver(stanza.Result(iq, q))
}
