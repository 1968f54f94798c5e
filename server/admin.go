package server

import (
	"context"

	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/im/adhoc"
	"github.com/parley-im/parley/im/disco"
	"github.com/parley-im/parley/im/extdisco"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stream"
)

// startAdmin wires the administration commands (XEP-0050 with the
// XEP-0133 subset) for the accounts in admins, and external service
// discovery (XEP-0215).
func (s *Server) startAdmin(mux *im.Mux, d *disco.Service) {
	admin := &adhoc.Admin{
		Accounts: s.accounts(), Users: s.store, Rosters: s.store, Router: s.router,
		Remove: s.removeAccount, PasswordChanged: s.endSessions,
		MinPasswordLength: s.cfg.Registration.MinPasswordLength,
	}
	cmds := adhoc.New(adhoc.Config{
		Allowed:  func(j jid.JID) bool { return s.cfg.IsAdmin(j.String()) },
		Commands: admin.AdminCommands(),
		Logger:   s.log.With("module", "adhoc"),
	})
	cmds.Register(mux, d)

	ext := extdisco.New(s.cfg.ExternalServices, nil)
	mux.Handle(ns.ExtDisco, "services", im.ToServer, ext.HandleIQ)
	mux.Handle(ns.ExtDisco, "credentials", im.ToServer, ext.HandleIQ)
}

// endSessions ends every session of user, whose password an
// administrator changed.
func (s *Server) endSessions(_ context.Context, user string) {
	for _, res := range s.router.Resources(user) {
		res.Session.Close(stream.Errorf(reset, "the password of this account was changed"))
	}
}
