package sasl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
)

// OAuthBearer is the SASL mechanism of RFC 7628: the client presents a
// bearer token. Parley offers it only where a server-issued single-use
// ticket stands for the user (live help's guests), never beside
// passwords; it is not in Mechanisms.
const OAuthBearer = "OAUTHBEARER"

// BearerVerifier checks a bearer token and returns the username (the
// XMPP localpart) it authenticates. authzid is the authorization
// identity the client asked for ("" for none), which the server checks
// after success like any mechanism's. An error refuses the login: one
// wrapping ErrTemporaryAuthFailure is a server-side problem, anything
// else counts as a bad token.
type BearerVerifier func(ctx context.Context, authzid, token string) (username string, err error)

// NewOAuthBearer returns the server side of one OAUTHBEARER exchange.
// A refused token is answered as RFC 7628 §3.2.2 says: an error
// challenge ({"status":"invalid_token"}), which the client acknowledges
// with a single 0x01 before the exchange fails with ErrNotAuthorized.
func NewOAuthBearer(verify BearerVerifier) Mechanism {
	return &oauthBearer{verify: verify}
}

type oauthBearer struct {
	verify   BearerVerifier
	st       state
	identity string
	authzid  string
}

// bearerError is the error challenge for a refused token.
var bearerError = []byte(`{"status":"invalid_token"}`)

func (m *oauthBearer) Next(ctx context.Context, msg []byte) ([]byte, bool, error) {
	if len(msg) > MaxMessageSize {
		m.st = stateFailed
		return nil, false, malformed("message of %d bytes", len(msg))
	}
	switch m.st {
	case stateStart:
		if len(msg) == 0 {
			return []byte{}, false, nil // the client sends its message in a response
		}
		authzid, token, err := parseOAuthBearer(msg)
		if err != nil {
			m.st = stateFailed
			return nil, false, err
		}
		user, err := m.verify(ctx, authzid, token)
		if errors.Is(err, ErrTemporaryAuthFailure) {
			m.st = stateFailed
			return nil, false, err
		}
		if err != nil || user == "" {
			m.st = stateFinal // waiting for the client's acknowledgement of the error
			return bearerError, false, nil
		}
		m.st, m.identity, m.authzid = stateDone, user, authzid
		return nil, true, nil
	case stateFinal:
		m.st = stateFailed
		if !bytes.Equal(msg, []byte{0x01}) {
			return nil, false, malformed("expected the 0x01 acknowledging the error")
		}
		return nil, false, fmt.Errorf("%w: bearer token refused", ErrNotAuthorized)
	}
	m.st = stateFailed
	return nil, false, malformed("exchange already over")
}

func (m *oauthBearer) Identity() string {
	if m.st != stateDone {
		return ""
	}
	return m.identity
}

// Username implements Mechanism: a bearer token names no account until
// it is verified, so a refused one is counted against the client's
// address only.
func (m *oauthBearer) Username() string { return "" }

func (m *oauthBearer) Authzid() string {
	if m.st != stateDone {
		return ""
	}
	return m.authzid
}

// parseOAuthBearer reads an RFC 7628 client initial response:
//
//	gs2-header kvsep *kvpair kvsep, gs2-header = ("n" / "y") "," ["a=" saslname] ","
//	kvpair = key "=" value kvsep, kvsep = %x01
//
// and returns the authzid and the token of its "auth=Bearer <token>"
// pair (the scheme name is case-insensitive). Channel binding ("p=") is
// refused, as no -PLUS variant exists.
func parseOAuthBearer(msg []byte) (authzid, token string, err error) {
	s := string(msg)
	switch {
	case strings.HasPrefix(s, "n,"), strings.HasPrefix(s, "y,"):
		s = s[2:]
	case strings.HasPrefix(s, "p="):
		return "", "", ErrChannelBindingUnsupported
	default:
		return "", "", malformed("bad gs2 header")
	}
	az, rest, ok := strings.Cut(s, ",")
	if !ok {
		return "", "", malformed("bad gs2 header")
	}
	if az != "" {
		name, found := strings.CutPrefix(az, "a=")
		if !found || name == "" {
			return "", "", malformed("bad authzid")
		}
		if authzid, err = decodeSASLName(name); err != nil {
			return "", "", err
		}
	}
	if !strings.HasPrefix(rest, "\x01") || !strings.HasSuffix(rest, "\x01\x01") || len(rest) < 2 {
		return "", "", malformed("bad key/value section")
	}
	pairs := strings.Split(strings.TrimSuffix(rest[1:], "\x01\x01"), "\x01")
	if len(rest) == 2 {
		pairs = nil
	}
	for _, kv := range pairs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !validBearerKey(k) {
			return "", "", malformed("bad key/value pair")
		}
		if k != "auth" {
			continue // host, port, and extensions: not used
		}
		scheme, tok, ok := strings.Cut(v, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || !validB64Token(tok) || token != "" {
			return "", "", malformed("bad auth value")
		}
		token = tok
	}
	if token == "" {
		return "", "", malformed("no auth=Bearer token")
	}
	return authzid, token, nil
}

// validBearerKey: key = 1*(ALPHA).
func validBearerKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// validB64Token: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" (RFC 6750).
func validB64Token(t string) bool {
	t = strings.TrimRight(t, "=")
	if t == "" {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", c) >= 0) {
			return false
		}
	}
	return true
}
