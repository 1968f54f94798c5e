// Package register is in-band registration (XEP-0077). Before logging
// in, a client may create an account when the operator allows it
// (registration.enabled), at most a few per address and period; once
// logged in, a user may always change their password (which ends their
// other sessions and their integration tokens, as `parley user passwd`
// does) and remove their account.
//
// Locking: mu guards the per-address limiters.
package register

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/parley-im/parley/account"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Config wires a Service.
type Config struct {
	Accounts *account.Manager
	// PerAddress accounts may be created from one address (IPv6: one
	// /64) per Window.
	PerAddress        int
	Window            time.Duration
	MinPasswordLength int
	// PasswordChanged ends user's sessions other than keep (and anything
	// else the old password opened) after a change.
	PasswordChanged func(ctx context.Context, user string, keep router.Session)
	// Remove deletes an account with everything it owns and ends its
	// sessions (after the answer has gone to the client).
	Remove func(ctx context.Context, user string) error
	Now    func() time.Time // default time.Now
	Logger *slog.Logger
}

// Service answers jabber:iq:register.
type Service struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	limiters map[netip.Prefix]*rate.Limiter
}

const maxLimiters = 100000

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Service{cfg: cfg, log: log, limiters: make(map[netip.Prefix]*rate.Limiter)}
}

func fields(username string, registered bool) *xml.Element {
	q := xml.NewElement(ns.Register, "query")
	if registered {
		q.AddChild(xml.NewElement(ns.Register, "registered"))
		q.AddChild(xml.NewElement(ns.Register, "username").SetText(username))
		q.AddChild(xml.NewElement(ns.Register, "password"))
		return q
	}
	q.AddChild(xml.NewElement(ns.Register, "instructions").SetText("Choose a user name and a password to create an account."))
	q.AddChild(xml.NewElement(ns.Register, "username"))
	q.AddChild(xml.NewElement(ns.Register, "password"))
	return q
}

func text(q *xml.Element, name string) (string, bool) {
	el := q.Child(ns.Register, name)
	if el == nil {
		return "", false
	}
	return el.Text, true
}

// allow charges one registration to remote's address (its /64 for
// IPv6) and reports whether it was within the limit.
func (s *Service) allow(remote string) bool {
	addr, err := netip.ParseAddr(remote)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	bits := 32
	if addr.Is6() {
		bits = 64
	}
	key, _ := addr.Prefix(bits)
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.limiters[key]
	if !ok {
		if len(s.limiters) >= maxLimiters {
			for k, old := range s.limiters {
				if old.TokensAt(now) >= float64(s.cfg.PerAddress) {
					delete(s.limiters, k)
				}
			}
		}
		l = rate.NewLimiter(rate.Every(s.cfg.Window/time.Duration(s.cfg.PerAddress)), s.cfg.PerAddress)
		s.limiters[key] = l
	}
	return l.AllowN(now, 1)
}

// PreAuth answers a registration iq on a stream that has not
// authenticated (XEP-0077 §3.1): the form, or a new account for domain.
func (s *Service) PreAuth(ctx context.Context, domain, remote string, iq *xml.Element) *xml.Element {
	if len(iq.Children) != 1 || iq.Children[0].Space != ns.Register || iq.Children[0].Name != "query" {
		return stanza.Error(iq, stanza.ServiceUnavailable, "")
	}
	q := iq.Children[0]
	switch iq.Attr("type") {
	case "get":
		return stanza.Result(iq, fields("", false))
	case "set":
	default:
		return stanza.Error(iq, stanza.BadRequest, "")
	}
	if q.Child(ns.Register, "remove") != nil {
		return stanza.Error(iq, stanza.NotAuthorized, "log in to remove your account")
	}
	user, ok1 := text(q, "username")
	pass, ok2 := text(q, "password")
	if !ok1 || !ok2 || user == "" || pass == "" {
		return stanza.Error(iq, stanza.NotAcceptable, "a user name and a password are required")
	}
	if len(pass) < s.cfg.MinPasswordLength {
		return stanza.Error(iq, stanza.NotAcceptable, "the password must have at least "+strconv.Itoa(s.cfg.MinPasswordLength)+" characters")
	}
	j, err := jid.New(user, domain, "")
	if err != nil || j.Local() == "" {
		return stanza.Error(iq, stanza.JIDMalformed, "the user name is not valid")
	}
	if !s.allow(remote) {
		s.log.Warn("registration refused: too many from one address", "remote", remote)
		return stanza.Error(iq, stanza.ResourceConstraint, "too many accounts were created from your address; try again later")
	}
	err = s.cfg.Accounts.Add(ctx, j.String(), pass)
	switch {
	case errors.Is(err, account.ErrExists):
		return stanza.Error(iq, stanza.Conflict, "that user name is taken")
	case errors.Is(err, account.ErrPasswordLength), errors.Is(err, account.ErrEmptyPassword):
		return stanza.Error(iq, stanza.NotAcceptable, err.Error())
	case err != nil:
		s.log.Error("registration", "user", j.String(), "err", err)
		return stanza.Error(iq, stanza.InternalServerError, "")
	}
	s.log.Info("account registered in band", "user", j.String(), "remote", remote)
	return stanza.Result(iq)
}

// HandleIQ answers a logged-in user (XEP-0077 §3.2, §3.3): the form
// showing they are registered, a password change, account removal.
func (s *Service) HandleIQ(ctx context.Context, sess router.Session, iq *xml.Element) {
	user := sess.JID().Bare()
	q := iq.Children[0]
	switch iq.Attr("type") {
	case "get":
		sess.Deliver(stanza.Result(iq, fields(user.Local(), true)))
		return
	case "set":
	default:
		sess.Deliver(stanza.Error(iq, stanza.BadRequest, ""))
		return
	}
	if q.Child(ns.Register, "remove") != nil {
		sess.Deliver(stanza.Result(iq))
		if err := s.cfg.Remove(ctx, user.String()); err != nil {
			s.log.Error("account removal", "user", user.String(), "err", err)
		}
		return
	}
	name, ok1 := text(q, "username")
	pass, ok2 := text(q, "password")
	if !ok1 || !ok2 || pass == "" {
		sess.Deliver(stanza.Error(iq, stanza.BadRequest, "a password change carries the user name and the new password"))
		return
	}
	if n, err := jid.New(name, user.Domain(), ""); err != nil || n != user {
		sess.Deliver(stanza.Error(iq, stanza.NotAuthorized, "you may change your own password only"))
		return
	}
	if len(pass) < s.cfg.MinPasswordLength {
		sess.Deliver(stanza.Error(iq, stanza.NotAcceptable, "the password must have at least "+strconv.Itoa(s.cfg.MinPasswordLength)+" characters"))
		return
	}
	if err := s.cfg.Accounts.SetPassword(ctx, user.String(), pass); err != nil {
		if errors.Is(err, account.ErrPasswordLength) {
			sess.Deliver(stanza.Error(iq, stanza.NotAcceptable, err.Error()))
			return
		}
		s.log.Error("password change", "user", user.String(), "err", err)
		sess.Deliver(stanza.Error(iq, stanza.InternalServerError, ""))
		return
	}
	s.log.Info("password changed in band", "user", user.String())
	sess.Deliver(stanza.Result(iq))
	if s.cfg.PasswordChanged != nil {
		s.cfg.PasswordChanged(ctx, user.String(), sess)
	}
}
