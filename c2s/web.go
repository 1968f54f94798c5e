package c2s

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parley-im/parley/loginlimit"
	"github.com/parley-im/parley/xmpp/sasl"
)

// Errors of CheckPassword.
var (
	// ErrBadCredentials: the account does not exist or the password is
	// wrong (never which).
	ErrBadCredentials = errors.New("c2s: wrong address or password")
	// ErrThrottled: too many failed logins from this address or on this
	// account; try again later.
	ErrThrottled = errors.New("c2s: too many failed logins, try again later")
)

// TicketAuth lets the accounts of the served hosts log in with
// single-use tickets (SASL OAUTHBEARER, RFC 7628) as well as their
// passwords: Parley's own pages hand them to a signed-in user, so that
// the browser opens an XMPP session without ever holding the password.
type TicketAuth struct {
	// Verify checks a ticket for domain and returns the localpart it
	// authenticates; it must not block for long (it runs on the
	// session's reading goroutine).
	Verify func(ctx context.Context, domain, authzid, ticket string) (local string, err error)
}

// CheckPassword checks an account's password the way a PLAIN login
// does (the same work for unknown accounts, SCRAM keys only) under the
// same failed-login limits as XMPP logins (loginlimit: per address, per
// account, per both), and counts it in the same metrics under mechanism
// "WEB". addr is the client's IP address. It returns nil,
// ErrBadCredentials, ErrThrottled or a backend error.
func (srv *Server) CheckPassword(ctx context.Context, addr, domain, username, password string) error {
	const mech = "WEB"
	key := addrKey(addr)
	if srv.logins.CheckAddress(key) == loginlimit.Refuse {
		srv.metrics.AuthTotal.WithLabelValues(mech, "throttled").Inc()
		return ErrThrottled
	}
	if !srv.hosts[domain] {
		// Counted like a wrong password: the answer says nothing more.
		srv.logins.Failed(key, accountKey(username, domain))
		srv.metrics.AuthTotal.WithLabelValues(mech, "not-authorized").Inc()
		return ErrBadCredentials
	}
	gate := func(ctx context.Context, user string) error {
		switch srv.logins.Check(key, accountKey(user, domain)) {
		case loginlimit.Refuse:
			return fmt.Errorf("%w: %w", sasl.ErrTemporaryAuthFailure, errThrottled)
		case loginlimit.Slow:
			t := time.NewTimer(srv.logins.Delay())
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
				return fmt.Errorf("%w: %w", sasl.ErrTemporaryAuthFailure, ctx.Err())
			}
		}
		return nil
	}
	opts := []sasl.Option{sasl.WithGate(gate)}
	if srv.cfg.SASLSecret != nil {
		opts = append(opts, sasl.WithSecret(srv.cfg.SASLSecret))
	}
	m, err := sasl.NewServer("PLAIN", srv.credentialLookup(domain), opts...)
	if err != nil {
		return err
	}
	_, _, err = m.Next(ctx, []byte("\x00"+username+"\x00"+password))
	switch {
	case err == nil:
		srv.metrics.AuthTotal.WithLabelValues(mech, "success").Inc()
		return nil
	case errors.Is(err, errThrottled):
		srv.metrics.AuthTotal.WithLabelValues(mech, "throttled").Inc()
		return ErrThrottled
	case errors.Is(err, sasl.ErrTemporaryAuthFailure):
		srv.metrics.AuthTotal.WithLabelValues(mech, "temporary-auth-failure").Inc()
		return err
	}
	srv.metrics.AuthTotal.WithLabelValues(mech, "not-authorized").Inc()
	srv.logins.Failed(key, accountKey(username, domain))
	return ErrBadCredentials
}

// SessionInfo is what the administration pages show of a session.
type SessionInfo struct {
	Remote  string    // the client's IP address
	Secure  bool      // TLS (or a trusted HTTPS front end)
	Started time.Time // when its connection was accepted
}

// Info describes the session's current connection.
func (s *Session) Info() SessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return SessionInfo{Remote: s.remote, Secure: s.secure, Started: s.started}
}
