package server

import (
	"context"
	"fmt"

	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/im/blocking"
	"github.com/parley-im/parley/im/caps"
	"github.com/parley-im/parley/im/disco"
	"github.com/parley-im/parley/im/pep"
	"github.com/parley-im/parley/im/roster"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// personal holds the modules of what accounts keep on the server and
// the services modern clients expect (issue 11): PEP, blocking, ...
// The dispatcher and the roster engine consult some of them.
type personal struct {
	calls    *im.Calls
	caps     *caps.Cache
	blocking *blocking.Service
	pep      *pep.Service
}

// blocks is the XEP-0191 check the roster engine and the dispatcher
// consult; nobody blocks anyone before the blocking module is up.
func (s *Server) blocks(user string, other jid.JID) bool {
	return s.pers.blocking.Blocks(user, other)
}

// startPersonal wires the personal-data modules onto mux and disco.
func (s *Server) startPersonal(ctx context.Context, mux *im.Mux, engine *roster.Engine, d *disco.Service) error {
	p := &s.pers
	p.calls = im.NewCalls(10000)
	p.caps = caps.New(caps.Config{Calls: p.calls})

	p.blocking = blocking.New(blocking.Config{Store: s.store, Router: s.router, Roster: engine,
		MaxItems: s.cfg.Blocking.MaxItems, Logger: s.log.With("module", "blocking")})
	if err := p.blocking.Start(ctx); err != nil {
		return err
	}
	mux.Handle(ns.Blocking, "blocklist", im.ToAccount, p.blocking.HandleIQ)
	mux.Handle(ns.Blocking, "block", im.ToAccount, p.blocking.HandleIQ)
	mux.Handle(ns.Blocking, "unblock", im.ToAccount, p.blocking.HandleIQ)

	p.pep = pep.New(pep.Config{
		Store: s.store, Router: s.router, Roster: engine, Caps: p.caps,
		Blocks: s.blocks, IsLocal: s.cfg.HasHost,
		MaxNodes: s.cfg.PEP.MaxNodes, MaxItems: s.cfg.PEP.MaxItems, MaxItemBytes: s.cfg.PEP.MaxItemBytes,
		OnPublish: s.published,
		Logger:    s.log.With("module", "pep"),
	})
	p.pep.Register(mux)
	d.HandleNodes(p.pep.DiscoNodes)
	return nil
}

// personalHooks are the dispatcher's hooks into the personal modules.
func (s *Server) personalHooks(c *im.Config) {
	c.Calls = s.pers.calls
	c.Blocks = s.blocks
	c.OnPresence = s.presenceChanged
}

func (s *Server) presenceChanged(ctx context.Context, ev im.PresenceChanged) {
	if s.pers.pep != nil {
		s.pers.pep.PresenceChanged(ctx, ev)
	}
}

// published hears PEP publications.
func (s *Server) published(ctx context.Context, p pep.Published) {}

// forgetAccount drops what the modules keep in memory about a removed
// account.
func (s *Server) forgetAccount(bare string) {
	if s.pers.pep != nil {
		s.pers.pep.Forget(bare)
	}
	if s.pers.blocking != nil {
		s.pers.blocking.Forget(bare)
	}
}

var _ = fmt.Sprint
var _ = xml.NewElement
