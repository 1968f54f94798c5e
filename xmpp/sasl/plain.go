package sasl

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"unicode/utf8"
)

// plainServer is the server side of a PLAIN exchange (RFC 4616):
//
//	message = [authzid] NUL authcid NUL passwd
type plainServer struct {
	lookup CredentialLookup
	cfg    config

	state      state
	challenged bool
	username   string // the claimed authcid, once parsed
	authcid    string // the authenticated one
	authzid    string
}

// Username implements Mechanism.
func (p *plainServer) Username() string { return p.username }

// Identity implements Mechanism.
func (p *plainServer) Identity() string {
	if p.state != stateDone {
		return ""
	}
	return p.authcid
}

// Authzid implements Mechanism.
func (p *plainServer) Authzid() string {
	if p.state != stateDone {
		return ""
	}
	return p.authzid
}

// Next implements Mechanism.
func (p *plainServer) Next(ctx context.Context, clientMsg []byte) ([]byte, bool, error) {
	if p.state != stateStart {
		return nil, false, errFinished
	}
	if len(clientMsg) == 0 && !p.challenged {
		p.challenged = true
		return []byte{}, false, nil
	}
	if err := p.verify(ctx, clientMsg); err != nil {
		p.state = stateFailed
		return nil, false, err
	}
	p.state = stateDone
	return nil, true, nil
}

func (p *plainServer) verify(ctx context.Context, msg []byte) error {
	authzid, authcid, passwd, err := parsePlain(msg)
	if err != nil {
		return err
	}
	p.username = authcid
	if err := p.cfg.passGate(ctx, authcid); err != nil {
		return err
	}
	prepared, err := PreparePassword(passwd)
	if err != nil {
		// No stored credential can match a password that cannot be
		// prepared; this does not depend on the user.
		return fmt.Errorf("%w: %w", ErrNotAuthorized, err)
	}
	// The same work whoever the user is (an unknown user must not answer
	// faster or slower): both credentials are looked up, and exactly one
	// key is derived — with the SHA-256 credential, or the SHA-1 one for
	// accounts imported with SHA-1 keys only (XEP-0227 exports of
	// ejabberd, Prosody), or the fake SHA-256 one for unknown users.
	c256, fake256, err := lookupCredential(ctx, p.lookup, p.cfg, authcid, SCRAMSHA256, sha256.New)
	if err != nil {
		return err
	}
	c1, fake1, err := lookupCredential(ctx, p.lookup, p.cfg, authcid, SCRAMSHA1, sha1.New)
	if err != nil {
		return err
	}
	h, cred := sha256.New, c256
	if fake256 && !fake1 {
		h, cred = sha1.New, c1
	}
	got := storedKey(h, hi(h, []byte(prepared), cred.Salt, cred.Iterations))
	ok := subtle.ConstantTimeCompare(got, cred.StoredKey) == 1
	switch {
	case fake256 && fake1:
		return fmt.Errorf("%w: unknown user or unusable credential", ErrNotAuthorized)
	case !ok:
		return fmt.Errorf("%w: wrong password", ErrNotAuthorized)
	}
	p.authcid, p.authzid = authcid, authzid
	return nil
}

// parsePlain splits a PLAIN message into its three fields. authcid and
// passwd must be non-empty, authzid may be; all must be valid UTF-8
// without NUL (RFC 4616 §2).
func parsePlain(msg []byte) (authzid, authcid, passwd string, err error) {
	if len(msg) > MaxMessageSize {
		return "", "", "", malformed("message of %d bytes exceeds %d", len(msg), MaxMessageSize)
	}
	if !utf8.Valid(msg) {
		return "", "", "", malformed("invalid UTF-8")
	}
	z, rest, ok := bytes.Cut(msg, []byte{0})
	if !ok {
		return "", "", "", malformed("missing NUL separators")
	}
	c, w, ok := bytes.Cut(rest, []byte{0})
	if !ok {
		return "", "", "", malformed("missing second NUL separator")
	}
	switch {
	case bytes.IndexByte(w, 0) >= 0:
		return "", "", "", malformed("too many NUL separators")
	case len(c) == 0:
		return "", "", "", malformed("empty authcid")
	case len(w) == 0:
		return "", "", "", malformed("empty password")
	}
	return string(z), string(c), string(w), nil
}
