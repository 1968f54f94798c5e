package server

import (
	"context"
	"fmt"

	"github.com/parley-im/parley/im/disco"
	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/xml"
)

// startMUC creates the multi-user chat service on <subdomain>.<host>
// for every host and registers it with the router. send is called for
// every stanza the service sends to a local user.
func (s *Server) startMUC(ctx context.Context, send func(ctx context.Context, el *xml.Element)) error {
	if !s.cfg.MUC.Enabled {
		return nil
	}
	c := s.cfg.MUC
	domains := make([]string, 0, len(s.cfg.Hosts))
	for _, h := range s.cfg.Hosts {
		domains = append(domains, c.Subdomain+"."+h)
	}
	s.muc = muc.New(muc.Config{
		Domains:           domains,
		Store:             s.store,
		Send:              send,
		MaxOccupants:      c.MaxOccupants,
		MaxRoomsPerUser:   c.MaxRoomsPerUser,
		MessagesPerSecond: c.MessagesPerSecond,
		HistoryMessages:   c.HistoryMessages,
		ArchivePageBytes:  s.cfg.MAM.PageBytes,
		Drain:             s.drainSession,
		Hooks:             s.conferenceHooks(),
		Logger:            s.log.With("module", "muc"),
	})
	if err := s.muc.Start(ctx); err != nil {
		return fmt.Errorf("muc: %w", err)
	}
	for _, d := range domains {
		s.registerRooms(d, s.muc)
	}
	return nil
}

// discoItems lists the server's services for disco#items on a host.
func (s *Server) discoItems(domain string) []disco.Item {
	var items []disco.Item
	if s.muc != nil {
		items = append(items, disco.Item{JID: s.cfg.MUC.Subdomain + "." + domain, Name: "Chatrooms"})
	}
	if s.ext.calendar != nil {
		items = append(items, disco.Item{JID: s.cfg.Calendar.Subdomain + "." + domain, Name: "Calendar reminders"})
	}
	return append(items, s.uploadDiscoItems(domain)...)
}

// stopMUC tells room occupants the service shuts down (status 332),
// before the client streams close.
func (s *Server) stopMUC(ctx context.Context) {
	if s.muc != nil {
		s.muc.Stop(ctx)
	}
}

// MUC returns the multi-user chat service, nil when disabled.
func (s *Server) MUC() *muc.Service { return s.muc }

// drainSession returns once what was delivered to the local session to
// has been written to its connection, at once for anyone else (a remote
// or departed JID): how a room paces an archive page (muc.Config.Drain).
func (s *Server) drainSession(ctx context.Context, to jid.JID) error {
	res, ok := s.router.Resource(to)
	if !ok {
		return nil
	}
	d, ok := res.Session.(router.Drainer)
	if !ok {
		return nil
	}
	return d.Drain(ctx)
}
