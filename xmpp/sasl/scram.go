package sasl

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"unicode/utf8"
)

// serverNonceLen is the number of random bytes in the server's nonce part
// (base64-encoded to 32 printable characters).
const serverNonceLen = 24

// scramServer is the server side of one SCRAM exchange (RFC 5802 §5)
// without channel binding.
type scramServer struct {
	mech   string
	h      func() hash.Hash
	lookup CredentialLookup
	cfg    config

	// nonce returns the server's nonce part; tests replace it to replay
	// the RFC examples.
	nonce func() string

	state      state
	challenged bool // sent the empty challenge for a missing initial response

	cred        Credential
	fake        bool   // cred is a fake one: the exchange must fail
	gs2Header   string // "n,," / "y,a=...,"
	clientBare  string // client-first-message-bare
	serverFirst string
	fullNonce   string
	username    string
	authzid     string
}

func newSCRAM(mech string, h func() hash.Hash, lookup CredentialLookup, cfg config) *scramServer {
	return &scramServer{mech: mech, h: h, lookup: lookup, cfg: cfg, nonce: randomNonce}
}

// randomNonce returns serverNonceLen random bytes in base64 (which has no
// ',' and only printable characters).
func randomNonce() string {
	var b [serverNonceLen]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// Identity implements Mechanism.
func (s *scramServer) Identity() string {
	if s.state != stateDone {
		return ""
	}
	return s.username
}

// Username implements Mechanism.
func (s *scramServer) Username() string { return s.username }

// Authzid implements Mechanism.
func (s *scramServer) Authzid() string {
	if s.state != stateDone {
		return ""
	}
	return s.authzid
}

// Next implements Mechanism.
func (s *scramServer) Next(ctx context.Context, clientMsg []byte) ([]byte, bool, error) {
	if s.state == stateDone || s.state == stateFailed {
		return nil, false, errFinished
	}
	if len(clientMsg) > MaxMessageSize {
		return s.fail(malformed("message of %d bytes exceeds %d", len(clientMsg), MaxMessageSize))
	}
	if s.state == stateStart {
		if len(clientMsg) == 0 && !s.challenged {
			s.challenged = true
			return []byte{}, false, nil
		}
		out, err := s.first(ctx, string(clientMsg))
		if err != nil {
			return s.fail(err)
		}
		s.state = stateFinal
		return out, false, nil
	}
	out, err := s.final(string(clientMsg))
	if err != nil {
		return s.fail(err)
	}
	s.state = stateDone
	return out, true, nil
}

func (s *scramServer) fail(err error) ([]byte, bool, error) {
	s.state = stateFailed
	return nil, false, err
}

// first handles client-first-message and returns server-first-message.
func (s *scramServer) first(ctx context.Context, msg string) ([]byte, error) {
	cf, err := parseClientFirst(msg)
	if err != nil {
		return nil, err
	}
	s.username = cf.username
	if err := s.cfg.passGate(ctx, cf.username); err != nil {
		return nil, err
	}
	s.cred, s.fake, err = lookupCredential(ctx, s.lookup, s.cfg, cf.username, s.mech, s.h)
	if err != nil {
		return nil, err
	}
	s.gs2Header, s.clientBare, s.authzid = cf.gs2Header, cf.bare, cf.authzid
	s.fullNonce = cf.nonce + s.nonce()

	salt := base64.StdEncoding.EncodeToString(s.cred.Salt)
	b := make([]byte, 0, 2+len(s.fullNonce)+3+len(salt)+3+10)
	b = append(b, "r="...)
	b = append(b, s.fullNonce...)
	b = append(b, ",s="...)
	b = append(b, salt...)
	b = append(b, ",i="...)
	b = strconv.AppendInt(b, int64(s.cred.Iterations), 10)
	s.serverFirst = string(b)
	return b, nil
}

// final handles client-final-message and returns server-final-message.
func (s *scramServer) final(msg string) ([]byte, error) {
	cf, err := parseClientFinal(msg)
	if err != nil {
		return nil, err
	}
	size := len(s.cred.StoredKey)
	if len(cf.proof) != size {
		return nil, malformed("proof of %d bytes, want %d", len(cf.proof), size)
	}

	// AuthMessage = client-first-message-bare "," server-first-message ","
	//               client-final-message-without-proof
	authMsg := make([]byte, 0, len(s.clientBare)+len(s.serverFirst)+len(cf.withoutProof)+2)
	authMsg = append(authMsg, s.clientBare...)
	authMsg = append(authMsg, ',')
	authMsg = append(authMsg, s.serverFirst...)
	authMsg = append(authMsg, ',')
	authMsg = append(authMsg, cf.withoutProof...)

	// ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); the proof
	// is good iff H(ClientKey) == StoredKey. Computed even when the
	// outcome is already known so that every failure costs the same.
	clientKey := hmacSum(s.h, s.cred.StoredKey, authMsg)
	subtle.XORBytes(clientKey, clientKey, cf.proof)
	d := s.h()
	d.Write(clientKey)
	proofOK := hmac.Equal(d.Sum(nil), s.cred.StoredKey)
	cbindOK := hmac.Equal(cf.cbind, []byte(s.gs2Header))
	nonceOK := subtle.ConstantTimeCompare([]byte(cf.nonce), []byte(s.fullNonce)) == 1

	switch {
	case !cbindOK:
		return nil, fmt.Errorf("%w: channel binding does not match gs2 header", ErrNotAuthorized)
	case !nonceOK:
		return nil, fmt.Errorf("%w: nonce does not match", ErrNotAuthorized)
	case s.fake:
		return nil, fmt.Errorf("%w: unknown user or unusable credential", ErrNotAuthorized)
	case !proofOK:
		return nil, fmt.Errorf("%w: invalid proof", ErrNotAuthorized)
	}
	sig := hmacSum(s.h, s.cred.ServerKey, authMsg)
	out := make([]byte, 2+base64.StdEncoding.EncodedLen(len(sig)))
	copy(out, "v=")
	base64.StdEncoding.Encode(out[2:], sig)
	return out, nil
}

// clientFirst is a parsed client-first-message.
type clientFirst struct {
	gs2Header string // gs2-header including its final ','
	authzid   string // decoded, "" if absent
	username  string // decoded, non-empty
	nonce     string // c-nonce
	bare      string // client-first-message-bare
}

// parseClientFirst parses (RFC 5802 §7)
//
//	client-first-message = gs2-header client-first-message-bare
//	gs2-header = gs2-cbind-flag "," [ authzid ] ","
//	gs2-cbind-flag = ("p=" cb-name) / "n" / "y"
//	client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
//
// rejecting "p" (no channel binding offered) and "m" (no mandatory
// extensions known).
func parseClientFirst(msg string) (clientFirst, error) {
	var cf clientFirst
	if err := checkText(msg); err != nil {
		return cf, err
	}
	rest := msg
	switch {
	case strings.HasPrefix(rest, "n,"), strings.HasPrefix(rest, "y,"):
		rest = rest[2:]
	case strings.HasPrefix(rest, "p="):
		name, _, ok := strings.Cut(rest[2:], ",")
		if !ok || !validCBName(name) {
			return cf, malformed("bad channel binding name")
		}
		return cf, fmt.Errorf("%w: client requires %q", ErrChannelBindingUnsupported, name)
	default:
		return cf, malformed("bad gs2 channel binding flag")
	}
	if strings.HasPrefix(rest, "a=") {
		raw, r, ok := strings.Cut(rest[2:], ",")
		if !ok {
			return cf, malformed("unterminated gs2 header")
		}
		a, err := decodeSASLName(raw)
		if err != nil {
			return cf, fmt.Errorf("authzid: %w", err)
		}
		cf.authzid, rest = a, r
	} else if r, ok := strings.CutPrefix(rest, ","); ok {
		rest = r
	} else {
		return cf, malformed("bad gs2 header")
	}
	cf.gs2Header = msg[:len(msg)-len(rest)]
	cf.bare = rest

	if strings.HasPrefix(rest, "m=") {
		return cf, malformed("unsupported mandatory extension")
	}
	attr, rest, _ := strings.Cut(rest, ",")
	raw, ok := strings.CutPrefix(attr, "n=")
	if !ok {
		return cf, malformed("missing username")
	}
	u, err := decodeSASLName(raw)
	if err != nil {
		return cf, fmt.Errorf("username: %w", err)
	}
	cf.username = u
	attr, rest, more := strings.Cut(rest, ",")
	if cf.nonce, ok = strings.CutPrefix(attr, "r="); !ok || !validNonce(cf.nonce) {
		return cf, malformed("missing or bad nonce")
	}
	if more {
		if err := checkExtensions(rest); err != nil {
			return cf, err
		}
	}
	return cf, nil
}

// clientFinal is a parsed client-final-message.
type clientFinal struct {
	cbind        []byte // decoded channel-binding attribute
	nonce        string
	proof        []byte // decoded
	withoutProof string // client-final-message-without-proof
}

// parseClientFinal parses (RFC 5802 §7)
//
//	client-final-message = channel-binding "," nonce ["," extensions] "," proof
func parseClientFinal(msg string) (clientFinal, error) {
	var cf clientFinal
	if err := checkText(msg); err != nil {
		return cf, err
	}
	attr, rest, _ := strings.Cut(msg, ",")
	c, ok := strings.CutPrefix(attr, "c=")
	if !ok {
		return cf, malformed("missing channel binding")
	}
	cbind, err := decodeBase64(c)
	if err != nil || len(cbind) == 0 {
		return cf, malformed("bad channel binding encoding")
	}
	cf.cbind = cbind
	attr, rest, more := strings.Cut(rest, ",")
	if cf.nonce, ok = strings.CutPrefix(attr, "r="); !ok || !validNonce(cf.nonce) {
		return cf, malformed("missing or bad nonce")
	}
	if !more {
		return cf, malformed("missing proof")
	}
	// [extensions ","] proof: the proof is the last attribute.
	exts, last := "", rest
	if i := strings.LastIndexByte(rest, ','); i >= 0 {
		exts, last = rest[:i], rest[i+1:]
		if err := checkExtensions(exts); err != nil {
			return cf, err
		}
	}
	p, ok := strings.CutPrefix(last, "p=")
	if !ok {
		return cf, malformed("missing proof")
	}
	if cf.proof, err = decodeBase64(p); err != nil {
		return cf, malformed("bad proof encoding")
	}
	cf.withoutProof = msg[:len(msg)-len(last)-1]
	return cf, nil
}

// checkText rejects invalid UTF-8 and NUL (excluded from every SCRAM
// attribute value).
func checkText(msg string) error {
	if !utf8.ValidString(msg) {
		return malformed("invalid UTF-8")
	}
	if strings.IndexByte(msg, 0) >= 0 {
		return malformed("NUL byte")
	}
	return nil
}

// decodeSASLName decodes a non-empty saslname (RFC 5802 §7): "=2C" stands
// for ',' and "=3D" for '='; any other '=' is an error. The caller has
// checked UTF-8 and NUL; ',' cannot occur as it separates attributes.
func decodeSASLName(s string) (string, error) {
	if s == "" {
		return "", malformed("empty name")
	}
	if strings.IndexByte(s, '=') < 0 {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '=' {
			b.WriteByte(c)
			continue
		}
		switch {
		case strings.HasPrefix(s[i:], "=2C"):
			b.WriteByte(',')
		case strings.HasPrefix(s[i:], "=3D"):
			b.WriteByte('=')
		default:
			return "", malformed("bad '=' escape in name")
		}
		i += 2
	}
	return b.String(), nil
}

// validNonce reports whether s is a non-empty run of printable ASCII other
// than ',' (%x21-2B / %x2D-7E).
func validNonce(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == ',' {
			return false
		}
	}
	return true
}

// validCBName reports whether s is a cb-name: 1*(ALPHA / DIGIT / "." / "-").
func validCBName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isAlpha(c) || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// checkExtensions validates "extensions = attr-val *("," attr-val)" with
// attr-val = ALPHA "=" value, value = 1*value-char. Unknown extensions are
// ignored as RFC 5802 requires, but the attributes SCRAM defines may not
// reappear as extensions.
func checkExtensions(s string) error {
	for part := range strings.SplitSeq(s, ",") {
		if len(part) < 3 || !isAlpha(part[0]) || part[1] != '=' {
			return malformed("bad extension attribute")
		}
		if strings.IndexByte("aceimnprsv", part[0]) >= 0 {
			return malformed("attribute %q out of place", part[0])
		}
	}
	return nil
}

// decodeBase64 decodes canonical padded base64, refusing the line breaks
// encoding/base64 would skip.
func decodeBase64(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(isAlpha(c) || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
			return nil, malformed("bad base64 character")
		}
	}
	return base64.StdEncoding.Strict().DecodeString(s)
}
