// Package sasl implements the server side of the SASL mechanisms Parley
// offers for XMPP authentication (RFC 6120 §6): SCRAM-SHA-256 (RFC 7677),
// SCRAM-SHA-1 (RFC 5802), both without channel binding, and PLAIN
// (RFC 4616); and OAUTHBEARER (RFC 7628, NewOAuthBearer) for logins with a
// server-issued bearer ticket where no password exists.
//
// The server never stores passwords. Each user has a Credential per SCRAM
// hash (salt, iteration count, StoredKey, ServerKey); a SCRAM login checks
// the client's proof against StoredKey with two HMACs and a hash, and runs
// no PBKDF2. PLAIN holds the clear-text password only for the duration of
// one Next call: it derives the salted password with the stored salt and
// iteration count of the SCRAM-SHA-256 credential once and compares the
// resulting StoredKey in constant time.
//
// A Mechanism is one authentication exchange. The server creates it with
// NewServer for the mechanism the client picked, feeds it each client
// message (already base64-decoded) and sends back what Next returns, as a
// <challenge/> while done is false and as the additional data of
// <success/> when done is true. Errors wrap the sentinels of errors.go,
// which map one to one to RFC 6120 §6.5 failure conditions.
//
// Unknown users are indistinguishable from wrong passwords: SCRAM answers
// the client-first message with a server-first message whose salt is
// derived from a server secret and the username (HMAC-SHA-256, stable
// across attempts, and across restarts and cluster nodes if WithSecret is
// given the same secret), and fails only at the proof step with
// ErrNotAuthorized, doing the same work as for a known user. PLAIN runs
// PBKDF2 against the fake credential too.
//
// This package holds no server state and is safe for concurrent use; a
// single Mechanism is not (one exchange, one goroutine).
package sasl

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
)

// Mechanism names.
const (
	SCRAMSHA256 = "SCRAM-SHA-256"
	SCRAMSHA1   = "SCRAM-SHA-1"
	Plain       = "PLAIN"
)

// Mechanisms lists the supported mechanisms in order of preference, for
// the <mechanisms/> stream feature. The server may drop PLAIN from what it
// offers (for example before TLS).
var Mechanisms = []string{SCRAMSHA256, SCRAMSHA1, Plain}

// MaxMessageSize is the largest client message (after base64 decoding)
// any mechanism accepts; larger ones fail with ErrMalformedRequest.
const MaxMessageSize = 4096

// CredentialLookup returns the credential for a username (the SASL authcid,
// i.e. the XMPP localpart as the client sent it — the caller normalizes)
// and mechanism hash; ErrUnknownUser if absent.
//
// mech is the SCRAM mechanism whose credential is wanted, SCRAMSHA256 or
// SCRAMSHA1; PLAIN asks for the SCRAMSHA256 one. Any other error makes the
// exchange fail with ErrTemporaryAuthFailure. A credential that is not
// usable for the hash (wrong key sizes, no salt, iterations < 1) is treated
// like an unknown user.
type CredentialLookup func(ctx context.Context, username string, mech string) (Credential, error)

// Mechanism is the server side of one authentication exchange. It is
// single use: after an error or completion every further Next fails with
// ErrMalformedRequest.
type Mechanism interface {
	// Next consumes the client's message (decoded from base64 by the
	// caller; nil or empty when the client sent no initial response, to
	// which Next answers with an empty, non-nil challenge) and returns the
	// server challenge/success data, done=true when the exchange is
	// complete and successful. On error serverMsg is nil and the exchange
	// has failed.
	Next(ctx context.Context, clientMsg []byte) (serverMsg []byte, done bool, err error)
	// Identity is the authenticated username (authcid) once done, "" before.
	Identity() string
	// Username is the username (authcid) the client claimed, as soon as
	// its message naming it was parsed, whether or not the exchange
	// succeeds ("" before): what failed attempts are counted against.
	Username() string
	// Authzid is the requested authorization identity, if any, once done.
	// The server must check it (RFC 6120 §6.4.6) and fail with
	// ErrInvalidAuthzid if the user may not act as it.
	Authzid() string
}

// Option configures NewServer.
type Option func(*config)

type config struct {
	secret []byte
	gate   func(ctx context.Context, username string) error
}

// WithSecret sets the key from which fake salts and keys for unknown users
// are derived. Give every node of a deployment the same stable secret (at
// least 32 random bytes) so that an unknown user's salt never changes,
// which would reveal that the user does not exist. Without it a random
// per-process secret is used.
func WithSecret(secret []byte) Option {
	return func(c *config) { c.secret = secret }
}

// WithGate makes the exchange call gate once the client has named its
// username, before any credential is looked up or checked: an error
// ends the exchange with that error (e.g. a login throttle's "try again
// later", wrapped in ErrTemporaryAuthFailure), and gate may also wait
// (slowing an attempt down). It runs for unknown users exactly as for
// known ones.
func WithGate(gate func(ctx context.Context, username string) error) Option {
	return func(c *config) { c.gate = gate }
}

// processSecret is the default fake-salt secret.
var processSecret = func() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}()

// NewServer returns the server side of a new exchange for the named
// mechanism (see Mechanisms). A name that is not a syntactically valid
// SASL mechanism name (RFC 4422 §3.1) fails with ErrInvalidMechanism, a
// valid one this package does not implement with ErrUnsupportedMechanism.
func NewServer(mech string, lookup CredentialLookup, opts ...Option) (Mechanism, error) {
	if lookup == nil {
		return nil, errors.New("sasl: nil CredentialLookup")
	}
	cfg := config{secret: processSecret}
	for _, o := range opts {
		o(&cfg)
	}
	switch mech {
	case SCRAMSHA256:
		return newSCRAM(mech, sha256.New, lookup, cfg), nil
	case SCRAMSHA1:
		return newSCRAM(mech, sha1.New, lookup, cfg), nil
	case Plain:
		return &plainServer{lookup: lookup, cfg: cfg}, nil
	}
	if !validMechName(mech) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidMechanism, mech)
	}
	return nil, fmt.Errorf("%w: %q", ErrUnsupportedMechanism, mech)
}

// validMechName reports whether s is a SASL mechanism name:
// 1*20(UPPER-ALPHA / DIGIT / "-" / "_").
func validMechName(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// fakeCredential returns the credential shown for an unknown user: salt
// and keys are HMAC-SHA-256 of the secret over a label, the mechanism and
// the username, so they are stable for a given user and secret.
func fakeCredential(secret []byte, mech, username string, size int) Credential {
	derive := func(label string, n int) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(label))
		m.Write([]byte{0})
		m.Write([]byte(mech))
		m.Write([]byte{0})
		m.Write([]byte(username))
		return m.Sum(nil)[:n]
	}
	return Credential{
		Salt:       derive("parley sasl fake salt", SaltLen),
		Iterations: DefaultIterations,
		StoredKey:  derive("parley sasl fake stored key", size),
		ServerKey:  derive("parley sasl fake server key", size),
	}
}

// passGate runs the configured gate, if any, for username.
func (c config) passGate(ctx context.Context, username string) error {
	if c.gate == nil {
		return nil
	}
	return c.gate(ctx, username)
}

// lookupCredential calls lookup and returns the credential to use and
// whether it is a fake one (unknown user or unusable credential). Errors
// other than ErrUnknownUser wrap ErrTemporaryAuthFailure.
func lookupCredential(ctx context.Context, lookup CredentialLookup, cfg config, username, mech string, h func() hash.Hash) (Credential, bool, error) {
	size := h().Size()
	cred, err := lookup(ctx, username, mech)
	switch {
	case err == nil && cred.usable(size):
		return cred, false, nil
	case err == nil, errors.Is(err, ErrUnknownUser):
		return fakeCredential(cfg.secret, mech, username, size), true, nil
	default:
		return Credential{}, false, fmt.Errorf("%w: credential lookup: %w", ErrTemporaryAuthFailure, err)
	}
}

// state of an exchange.
type state uint8

const (
	stateStart  state = iota // expecting the first client message
	stateFinal               // SCRAM: expecting client-final
	stateDone                // succeeded
	stateFailed              // failed
)

// errFinished is returned by Next after the exchange ended.
var errFinished = fmt.Errorf("%w: exchange already finished", ErrMalformedRequest)
