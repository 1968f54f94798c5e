package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/parley-im/parley/store"
)

// Entity types: who a token is issued to (createSession's param2).
const (
	EntityUser = store.EntityUser
	EntitySite = store.EntitySite
)

// Policies a token may carry, joined with "::" in a policy string.
const (
	PolicySession        = "SESSION"
	PolicyPresence       = "PRESENCE"
	PolicyProxy          = "PROXY"
	PolicyReporting      = "REPORTING"
	PolicyPreconference  = "PRECONFERENCE"
	PolicyPostconference = "POSTCONFERENCE"
	PolicyGuestChat      = "GUESTCHAT"
)

// Policies lists every policy in the seed's order.
var Policies = []string{PolicySession, PolicyPresence, PolicyProxy, PolicyReporting,
	PolicyPreconference, PolicyPostconference, PolicyGuestChat}

// randomLen is the length of a token's secret part: 40 characters of 62
// carry 238 bits (SPEC-NOTES asks for at least 32 characters).
const randomLen = 40

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomString returns n characters drawn uniformly from alphabet with
// crypto/rand (bytes of 248 and above are rejected so that every
// character is equally likely).
func randomString(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4)
	for len(out) < n {
		rand.Read(buf) // never fails (crypto/rand crashes the program instead)
		for _, b := range buf {
			if b < 248 && len(out) < n {
				out = append(out, alphabet[b%62])
			}
		}
	}
	return string(out)
}

// ParsePolicy splits a policy string ("SESSION::PRESENCE") into its
// policies, upper-cased, in the order given, without duplicates. An
// empty string, an empty part or an unknown policy is ErrInvalidInput.
func ParsePolicy(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("%w: empty token policy", ErrInvalidInput)
	}
	var out []string
	for _, part := range strings.Split(s, "::") {
		p := strings.ToUpper(strings.TrimSpace(part))
		known := false
		for _, k := range Policies {
			known = known || k == p
		}
		if !known {
			return nil, fmt.Errorf("%w: unknown policy %q in %q (want %s joined with ::)", ErrInvalidInput, part, s, strings.Join(Policies, ", "))
		}
		dup := false
		for _, o := range out {
			dup = dup || o == p
		}
		if !dup {
			out = append(out, p)
		}
	}
	return out, nil
}

func formatID(id int64) string { return strconv.FormatInt(id, 10) }

// splitToken splits "<ID>_<random>"; ok is false for any other form.
func splitToken(s string) (id int64, random string, ok bool) {
	i := strings.IndexByte(s, '_')
	if i <= 0 || i == len(s)-1 || len(s) > 200 {
		return 0, "", false
	}
	id, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || id <= 0 || s[:i] != formatID(id) {
		return 0, "", false
	}
	return id, s[i+1:], true
}

// looksLikeToken reports whether s has the form of a token string; a
// credential of that form is tried as a token first.
func looksLikeToken(s string) bool {
	_, r, ok := splitToken(s)
	return ok && len(r) >= 32
}

func fromStore(t store.Token) Token {
	return Token{
		ID:         t.ID,
		Value:      formatID(t.ID) + "_" + t.Random,
		ParentID:   t.ParentID,
		EntityType: t.EntityType,
		EntityID:   t.EntityID,
		Policies:   strings.Split(t.Policy, "::"),
		ProxyUser:  t.ProxyUser,
		CreatedAt:  t.CreatedAt,
		ExpiresAt:  t.ExpiresAt,
	}
}

// live reports whether t has not expired at the service's now.
func (s *Service) live(t store.Token) bool { return s.now().Before(t.ExpiresAt) }

// Resolve returns the live token whose string is token: well-formed,
// stored, its secret part equal (compared in constant time) and not
// expired. Anything else is ErrInvalidToken.
func (s *Service) Resolve(ctx context.Context, token string) (Token, error) {
	id, random, ok := splitToken(strings.TrimSpace(token))
	if !ok {
		return Token{}, ErrInvalidToken
	}
	t, err := s.st.Token(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Token{}, ErrInvalidToken
	}
	if err != nil {
		return Token{}, err
	}
	if subtle.ConstantTimeCompare([]byte(random), []byte(t.Random)) != 1 || !s.live(t) {
		return Token{}, ErrInvalidToken
	}
	return fromStore(t), nil
}

// ByID returns the live token with TOKENID id (for the presence URL,
// which names the token by ID and proves knowledge of it with K1);
// ErrInvalidToken if there is none or it expired.
func (s *Service) ByID(ctx context.Context, id int64) (Token, error) {
	t, err := s.st.Token(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Token{}, ErrInvalidToken
	}
	if err != nil {
		return Token{}, err
	}
	if !s.live(t) {
		return Token{}, ErrInvalidToken
	}
	return fromStore(t), nil
}

// issue stores a new token for an authenticated entity with the given
// policies; a child of p.parent expires no later than its parent. A
// token obtained with a password or key is kept only if that credential
// is still the entity's once the token is stored (confirm).
func (s *Service) issue(ctx context.Context, p principal, policies []string, proxyUser string) (Token, error) {
	now := s.now()
	t := store.Token{
		Random:     randomString(randomLen),
		EntityType: p.entityType,
		EntityID:   p.entityID,
		Policy:     strings.Join(policies, "::"),
		ProxyUser:  proxyUser,
		CreatedAt:  now,
		ExpiresAt:  now.Add(s.life),
	}
	if parent := p.parent; parent != nil {
		t.ParentID = parent.ID
		if parent.ExpiresAt.Before(t.ExpiresAt) {
			t.ExpiresAt = parent.ExpiresAt
		}
	}
	st, err := s.st.CreateToken(ctx, t)
	if errors.Is(err, store.ErrNotFound) {
		// The parent was ended, or the entity deleted, meanwhile.
		if p.parent != nil {
			return Token{}, ErrInvalidToken
		}
		return Token{}, ErrAuthFailed
	}
	if err != nil {
		return Token{}, err
	}
	if err := s.confirm(ctx, p); err != nil {
		s.st.DeleteToken(context.WithoutCancel(ctx), st.ID)
		return Token{}, err
	}
	return fromStore(st), nil
}

// Purge deletes the tokens that have expired (with everything derived
// from them) and returns how many went.
func (s *Service) Purge(ctx context.Context) (int64, error) {
	return s.st.DeleteExpiredTokens(ctx, s.now())
}

// Run purges expired tokens every PurgeInterval until ctx ends; it
// returns nil then. Errors are logged, not fatal.
func (s *Service) Run(ctx context.Context) error {
	tick := time.NewTicker(s.purgeEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			n, err := s.Purge(ctx)
			if err != nil && ctx.Err() == nil {
				s.log.Warn("integration: purging expired tokens", "err", err)
			} else if n > 0 {
				s.log.Debug("integration: purged expired tokens", "count", n)
			}
		}
	}
}

// Start runs Run in a goroutine until Stop.
func (s *Service) Start(ctx context.Context) error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.cancel != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	s.cancel, s.done = cancel, done
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
	return nil
}

// Stop ends the purge loop started by Start and waits for it (or for
// ctx).
func (s *Service) Stop(ctx context.Context) error {
	s.runMu.Lock()
	cancel, done := s.cancel, s.done
	s.cancel, s.done = nil, nil
	s.runMu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
