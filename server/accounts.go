package server

import (
	"context"
	"errors"

	"github.com/parley-im/parley/account"
	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/im/register"
	"github.com/parley-im/parley/manage"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// reset is the stream error that ends a session whose password was
// changed (RFC 6120 §4.9.3.16: its credentials were revoked).
const reset stream.Condition = "reset"

// accounts is the account manager the server's own commands use.
func (s *Server) accounts() *account.Manager {
	return &account.Manager{Users: s.store, IsLocal: s.cfg.HasHost}
}

// startRegister wires in-band registration (XEP-0077): password change
// and account removal always, account creation when enabled.
func (s *Server) startRegister(mux *im.Mux) {
	r := s.cfg.Registration
	s.pers.register = register.New(register.Config{
		Accounts: s.accounts(), PerAddress: r.PerAddress, Window: r.Window.Duration, MinPasswordLength: r.MinPasswordLength,
		PasswordChanged: s.passwordChanged, Remove: s.removeAccount, Logger: s.log.With("module", "register"),
	})
	mux.Handle(ns.Register, "query", im.ToServer|im.ToAccount, s.pers.register.HandleIQ)
}

// preAuthRegister is c2s's hook for registration before login; nil
// when registration is off.
func (s *Server) preAuthRegister() func(context.Context, string, string, *xml.Element) *xml.Element {
	if !s.cfg.Registration.Enabled || s.pers.register == nil {
		return nil
	}
	return s.pers.register.PreAuth
}

// passwordChanged ends user's sessions other than keep, as their
// credentials changed (the integration tokens were ended by the account
// manager).
func (s *Server) passwordChanged(_ context.Context, user string, keep router.Session) {
	for _, res := range s.router.Resources(user) {
		if res.Session != keep {
			res.Session.Close(stream.Errorf(reset, "the password of this account was changed"))
		}
	}
}

// removeAccount deletes an account with everything it owns (uploaded
// files included) and ends its sessions: the same code as `parley user
// remove` and the admin console (manageAccounts).
func (s *Server) removeAccount(ctx context.Context, user string) error {
	_, err := s.manageAccounts().Remove(ctx, user)
	if errors.Is(err, account.ErrNotFound) {
		return nil
	}
	return err
}

// manageAccounts is account management with the running server's part:
// uploads deleted and sessions ended with an account, sessions ended
// after a password change. The CLI (through the control channel), the
// admin console and self-service use it.
func (s *Server) manageAccounts() *manage.Accounts {
	return &manage.Accounts{
		Store: s.store, IsLocal: s.cfg.HasHost,
		BeforeRemove: func(ctx context.Context, user string) error {
			if s.pers.upload != nil {
				return s.pers.upload.DeleteOwner(ctx, user)
			}
			return nil
		},
		Removed: func(_ context.Context, user string) {
			s.forgetAccount(user)
			for _, res := range s.router.Resources(user) {
				res.Session.Close(stream.Errorf(stream.NotAuthorized, "this account was removed"))
			}
			s.log.Info("account removed", "user", user)
		},
		PasswordChanged: s.endSessions,
	}
}
