package server

import (
	"context"
	"slices"
	"time"

	"github.com/parley-im/parley/component"
	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/im/push"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// newPush registers XEP-0357 enable/disable on mux and returns the push
// service, or nil when push is off.
func (s *Server) newPush(mux *im.Mux) *push.Service {
	if !s.cfg.Push.Enabled {
		return nil
	}
	p := push.New(push.Config{
		Store:         s.store,
		Send:          s.appServer,
		Local:         s.servedHere,
		IncludeSender: s.cfg.Push.IncludeSender,
		IncludeBody:   s.cfg.Push.IncludeBody,
		Logger:        s.log,
	})
	mux.Handle(ns.Push, "enable", im.ToAccount, p.HandleIQ)
	mux.Handle(ns.Push, "disable", im.ToAccount, p.HandleIQ)
	return p
}

// heldHook is what c2s calls for messages held for a session waiting to
// be resumed: a push notification, if push is on.
func heldHook(p *push.Service) func(context.Context, jid.JID, *xml.Element, int) {
	if p == nil {
		return nil
	}
	return p.Held
}

// appServer delivers a push notification to the external component
// (XEP-0114) serving its 'to' domain, or to the app server's own server
// over federation, and reports whether it found a way. Neither blocks.
func (s *Server) appServer(ctx context.Context, el *xml.Element) bool {
	if s.components != nil && s.components.Deliver(ctx, el) {
		return true
	}
	to, err := jid.Parse(el.Attr("to"))
	if err != nil {
		return false
	}
	if dest, remote := s.router.Route(to.Domain()); dest == router.Remote && remote != nil {
		remote.Receive(ctx, el)
		return true
	}
	return false
}

// servedHere reports whether a domain is a host or an internal service
// of this server.
func (s *Server) servedHere(domain string) bool {
	if s.cfg.HasHost(domain) {
		return true
	}
	return s.muc != nil && slices.Contains(s.muc.Domains(), domain) || s.calendarDomain(domain)
}

// newComponents prepares the XEP-0114 listener's server; deliver routes
// what components send to local users.
func (s *Server) newComponents(deliver component.Deliver) *component.Server {
	lim := s.cfg.Limits
	return component.New(component.Config{
		Secrets:          s.cfg.Components.ComponentSecrets(),
		XMLLimits:        xml.Limits{MaxStanzaBytes: lim.MaxStanzaBytes, MaxDepth: lim.MaxDepth, MaxAttrs: xml.DefaultLimits.MaxAttrs},
		HandshakeTimeout: s.cfg.C2S.HandshakeTimeout.Duration,
		WriteTimeout:     30 * time.Second,
		QueueStanzas:     lim.OutboundQueueStanzas,
	}, s.router, deliver, s.log)
}
