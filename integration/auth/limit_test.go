package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-im/parley/account"
	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/sasl"
)

// TestLimiterSurvivesManyIDs: failing many other IDs neither frees a
// locked-down ID (the table used to be wiped at 10,000 IDs) nor grows
// the table beyond its bound.
func TestLimiterSurvivesManyIDs(t *testing.T) {
	f := newFixture(t, func(o *auth.Options) { o.FailuresPerMinute = 3 })
	for range 3 {
		_, err := f.svc.CreateSession(f.ctx, alice, "wrong", "USER")
		wantErr(t, "wrong password", err, auth.ErrAuthFailed)
	}
	_, err := f.svc.CreateSession(f.ctx, alice, alicePw, "USER")
	wantErr(t, "right password while locked", err, auth.ErrAuthFailed)
	// Site IDs are cheap to fail (one HMAC each).
	for i := range 10_000 {
		f.svc.CreateSession(f.ctx, fmt.Sprintf("junk%d", i), "x", "SITE")
	}
	_, err = f.svc.CreateSession(f.ctx, alice, alicePw, "USER")
	wantErr(t, "right password after 10,000 other IDs failed", err, auth.ErrAuthFailed)

	// With a small table, the least recently used entries go and the
	// table stays bounded.
	auth.SetLimiterMax(f.svc, 100)
	for i := range 1000 {
		f.svc.CreateSession(f.ctx, fmt.Sprintf("more%d", i), "x", "SITE")
	}
	if n := auth.LimiterSize(f.svc); n > 100 {
		t.Fatalf("limiter tracks %d IDs, bound 100", n)
	}
	// Refilled entries carry nothing and are forgotten as they age.
	f.clock.Advance(2 * time.Minute)
	for range 200 {
		f.session()
	}
	if n := auth.LimiterSize(f.svc); n > 2 {
		t.Fatalf("limiter still tracks %d IDs after they refilled", n)
	}
}

// countingStore counts password lookups.
type countingStore struct {
	auth.Store
	n *atomic.Int64
}

func (c countingStore) User(ctx context.Context, j string) (store.User, error) {
	c.n.Add(1)
	return c.Store.User(ctx, j)
}

// TestLimiterConcurrentGuesses: 50 parallel wrong guesses against an
// ID with a burst of 2 get exactly 2 password checks: an attempt is
// reserved before it is checked.
func TestLimiterConcurrentGuesses(t *testing.T) {
	var checked atomic.Int64
	f := newFixture(t, func(o *auth.Options) {
		o.FailuresPerMinute = 2
		o.Store = countingStore{o.Store, &checked}
	})
	var wg sync.WaitGroup
	start := make(chan struct{})
	var failed atomic.Int64
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := f.svc.CreateSession(f.ctx, alice, fmt.Sprintf("guess%d", i), "USER")
			if errors.Is(err, auth.ErrAuthFailed) {
				failed.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if failed.Load() != 50 {
		t.Fatalf("%d of 50 guesses failed", failed.Load())
	}
	if n := checked.Load(); n != 2 {
		t.Fatalf("%d passwords checked, want 2 (the burst)", n)
	}
	_, err := f.svc.CreateSession(f.ctx, alice, alicePw, "USER")
	wantErr(t, "right password while locked", err, auth.ErrAuthFailed)
}

// TestLimiterCountsOnlyFailures: successes give their reservation back.
func TestLimiterCountsOnlyFailures(t *testing.T) {
	f := newFixture(t, func(o *auth.Options) { o.FailuresPerMinute = 2 })
	_, err := f.svc.CreateSession(f.ctx, alice, "wrong", "USER")
	wantErr(t, "wrong password", err, auth.ErrAuthFailed)
	for range 5 {
		f.userSession(alice, alicePw)
		f.session()
	}
	_, err = f.svc.CreateSession(f.ctx, alice, "wrong", "USER")
	wantErr(t, "wrong password", err, auth.ErrAuthFailed)
	_, err = f.svc.CreateSession(f.ctx, alice, alicePw, "USER")
	wantErr(t, "right password after 2 failures", err, auth.ErrAuthFailed)
	// Malformed input is no failure.
	for range 5 {
		_, err = f.svc.CreateSession(f.ctx, "bob@", "x", "USER")
		wantErr(t, "malformed ID", err, auth.ErrInvalidInput)
	}
	f.userSession(bob, bobPw)
}

// TestLimiterPerAddr: failures from one client address are limited
// whatever IDs it tries (password spraying); other addresses, and
// calls that carry none, are not affected. An IPv6 /64 is one address.
func TestLimiterPerAddr(t *testing.T) {
	f := newFixture(t, func(o *auth.Options) { o.FailuresPerMinutePerAddr = 3 })
	from := func(a string) context.Context {
		return auth.WithClientAddr(f.ctx, netip.MustParseAddr(a))
	}
	spray := from("192.0.2.1")
	for _, id := range []string{alice, bob, "carol@example.com"} {
		_, err := f.svc.CreateSession(spray, id, "Winter2026!", "USER")
		wantErr(t, "sprayed password", err, auth.ErrAuthFailed)
	}
	_, err := f.svc.CreateSession(spray, alice, alicePw, "USER")
	wantErr(t, "right password from the spraying address", err, auth.ErrAuthFailed)
	_, err = f.svc.CreateSession(spray, f.siteID, f.siteKey, "SITE")
	wantErr(t, "right key from the spraying address", err, auth.ErrAuthFailed)
	if _, err := f.svc.CreateSession(from("192.0.2.2"), alice, alicePw, "USER"); err != nil {
		t.Fatalf("another address: %v", err)
	}
	if _, err := f.svc.CreateSession(from("::ffff:192.0.2.2"), alice, alicePw, "USER"); err != nil {
		t.Fatalf("another address, v4-mapped: %v", err)
	}
	f.userSession(alice, alicePw) // no address recorded
	// One failure's worth later (3/minute), one more attempt.
	f.clock.Advance(20 * time.Second)
	if _, err := f.svc.CreateSession(spray, alice, alicePw, "USER"); err != nil {
		t.Fatalf("after the refill: %v", err)
	}

	v6 := from("2001:db8:1:2::1")
	for range 3 {
		_, err := f.svc.CreateSession(v6, f.siteID, "wrong", "SITE")
		wantErr(t, "wrong key", err, auth.ErrAuthFailed)
	}
	_, err = f.svc.CreateSession(from("2001:db8:1:2::ffff"), f.siteID, f.siteKey, "SITE")
	wantErr(t, "same /64", err, auth.ErrAuthFailed)
	if _, err := f.svc.CreateSession(from("2001:db8:1:3::1"), f.siteID, f.siteKey, "SITE"); err != nil {
		t.Fatalf("another /64: %v", err)
	}
}

// blockingStore holds password lookups until released, reporting each.
type blockingStore struct {
	auth.Store
	entered chan string
	release chan struct{}
}

func (b blockingStore) User(ctx context.Context, j string) (store.User, error) {
	b.entered <- j
	<-b.release
	return b.Store.User(ctx, j)
}

// TestConcurrentChecksBounded: with MaxConcurrentChecks 2, a third
// password check waits for a slot (and gives up with its context).
func TestConcurrentChecksBounded(t *testing.T) {
	bs := blockingStore{entered: make(chan string, 10), release: make(chan struct{})}
	f := newFixture(t, func(o *auth.Options) {
		o.MaxConcurrentChecks = 2
		bs.Store = o.Store
		o.Store = bs
	})
	errs := make(chan error, 3)
	for _, u := range []string{alice, bob} {
		go func() {
			_, err := f.svc.CreateSession(f.ctx, u, "wrong", "USER")
			errs <- err
		}()
	}
	deadline := time.After(10 * time.Second)
	for range 2 {
		select {
		case <-bs.entered:
		case <-deadline:
			t.Fatal("the first two checks did not start")
		}
	}
	ctx, cancel := context.WithCancel(f.ctx)
	waiting := make(chan error, 1)
	go func() {
		_, err := f.svc.CreateSession(ctx, "carol@example.com", "x", "USER")
		waiting <- err
	}()
	cancel()
	select {
	case err := <-waiting:
		wantErr(t, "third check, cancelled while waiting for a slot", err, context.Canceled)
	case <-deadline:
		t.Fatal("the waiting check did not give up with its context")
	}
	if n := len(bs.entered); n != 0 {
		t.Fatalf("%d more checks ran beside the first two", n)
	}
	close(bs.release)
	for range 2 {
		wantErr(t, "released check", <-errs, auth.ErrAuthFailed)
	}
	f.userSession(alice, alicePw) // slots were given back
}

// hookStore runs before() just before a token is stored: another
// request's change landing between a credential check and the token.
type hookStore struct {
	auth.Store
	before func()
}

func (h *hookStore) CreateToken(ctx context.Context, t store.Token) (store.Token, error) {
	if b := h.before; b != nil {
		h.before = nil
		b()
	}
	return h.Store.CreateToken(ctx, t)
}

// TestCredentialChangeDuringIssue: a key rotation or password change
// that completes between a request's credential check and its token
// being stored leaves no token alive, and the request fails.
func TestCredentialChangeDuringIssue(t *testing.T) {
	hs := &hookStore{}
	f := newFixture(t, func(o *auth.Options) {
		hs.Store = o.Store
		o.Store = hs
	})
	var newKey string
	hs.before = func() {
		var err error
		newKey, err = f.svc.RotateKey(f.ctx, f.siteID)
		must(t, err)
	}
	_, err := f.svc.CreateSession(f.ctx, f.siteID, f.siteKey, "SITE")
	wantErr(t, "session with the key being rotated", err, auth.ErrAuthFailed)
	if n, err := f.svc.CountTokens(f.ctx, auth.EntitySite, f.siteID); err != nil || n != 0 {
		t.Fatalf("site holds %d tokens (%v) after its key was rotated", n, err)
	}
	if _, err := f.svc.CreateSession(f.ctx, f.siteID, newKey, "SITE"); err != nil {
		t.Fatalf("new key: %v", err)
	}

	// requestMultipleTokens: none of the tokens survives.
	hs.before = func() {
		var err error
		newKey, err = f.svc.RotateKey(f.ctx, f.siteID)
		must(t, err)
	}
	_, err = f.svc.RequestMultipleTokens(f.ctx, f.siteID, newKey, auth.TokenProperties{TokenPolicy: "PRESENCE"},
		[]auth.PolicyObject{{}, {}})
	wantErr(t, "tokens with the key being rotated", err, auth.ErrAuthFailed)
	if n, _ := f.svc.CountTokens(f.ctx, auth.EntitySite, f.siteID); n != 0 {
		t.Fatalf("site holds %d tokens after its key was rotated", n)
	}

	m := &account.Manager{Users: f.st, Iterations: sasl.MinIterations}
	hs.before = func() { must(t, m.SetPassword(f.ctx, alice, "new password")) }
	_, err = f.svc.CreateSession(f.ctx, alice, alicePw, "USER")
	wantErr(t, "session with the password being changed", err, auth.ErrAuthFailed)
	if n, _ := f.svc.CountTokens(f.ctx, auth.EntityUser, alice); n != 0 {
		t.Fatalf("alice holds %d tokens after her password changed", n)
	}
	f.userSession(alice, "new password")
	// A change that completes later ends the token it finds.
	us := f.userSession(bob, bobPw)
	must(t, m.SetPassword(f.ctx, bob, "other"))
	if f.live(us.Token) {
		t.Fatal("bob's token outlived his password change")
	}
}

// sleeps records the delays the service asks for, without sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
	// hold, if set, blocks each sleep until it is closed.
	hold chan struct{}
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	hold := s.hold
	s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (s *sleeps) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.d)
}

// TestLimiterNoLockout: wrong passwords from one address do not lock
// the real user out. That address is refused for that ID; from an
// address without failures the right password still works, after
// AttackDelay while the ID is under attack; a fresh attacking address
// gets one slowed guess, then is refused while the attack lasts. Once
// the ID's failures have refilled, nothing is slowed.
func TestLimiterNoLockout(t *testing.T) {
	var checked atomic.Int64
	var sl sleeps
	f := newFixture(t, func(o *auth.Options) {
		o.FailuresPerMinute = 3
		o.FailuresPerMinutePerAddr = 30
		o.AttackDelay = 2 * time.Second
		o.Sleep = sl.sleep
		o.Store = countingStore{o.Store, &checked}
	})
	from := func(a string) context.Context { return auth.WithClientAddr(f.ctx, netip.MustParseAddr(a)) }
	attacker, user := from("192.0.2.1"), from("198.51.100.20")
	for range 3 {
		_, err := f.svc.CreateSession(attacker, alice, "wrong", "USER")
		wantErr(t, "wrong password", err, auth.ErrAuthFailed)
	}
	if sl.count() != 0 {
		t.Fatalf("%d delays before the ID ran out of failures", sl.count())
	}
	before := checked.Load()
	_, err := f.svc.CreateSession(attacker, alice, alicePw, "USER")
	wantErr(t, "right password from the guessing address", err, auth.ErrAuthFailed)
	if checked.Load() != before {
		t.Fatal("the guessing address was checked over its limit")
	}
	// The real user, elsewhere: slowed, not refused; again and again.
	for i := range 3 {
		if _, err := f.svc.CreateSession(user, alice, alicePw, "USER"); err != nil {
			t.Fatalf("right password from a clean address (%d): %v", i, err)
		}
	}
	if sl.count() != 3 || sl.d[0] != 2*time.Second {
		t.Fatalf("delays %v, want three of 2s", sl.d)
	}
	// Bob is not under attack: no delay.
	f.userSession(bob, bobPw)
	if sl.count() != 3 {
		t.Fatalf("an ID not under attack was slowed: %v", sl.d)
	}
	// A site under attack works the same way.
	for range 3 {
		_, err := f.svc.CreateSession(attacker, f.siteID, "wrong", "SITE")
		wantErr(t, "wrong key", err, auth.ErrAuthFailed)
	}
	if _, err := f.svc.CreateSession(user, f.siteID, f.siteKey, "SITE"); err != nil {
		t.Fatalf("right key from a clean address: %v", err)
	}

	// A fresh attacking address: one slowed guess, then refused.
	fresh := from("203.0.113.7")
	before = checked.Load()
	_, err = f.svc.CreateSession(fresh, alice, "guess", "USER")
	wantErr(t, "guess from a fresh address", err, auth.ErrAuthFailed)
	_, err = f.svc.CreateSession(fresh, alice, "guess2", "USER")
	wantErr(t, "second guess from that address", err, auth.ErrAuthFailed)
	if n := checked.Load() - before; n != 1 {
		t.Fatalf("%d guesses checked from a fresh address while under attack, want 1", n)
	}
	if _, err := f.svc.CreateSession(user, alice, alicePw, "USER"); err != nil {
		t.Fatalf("right password from a clean address after more guesses: %v", err)
	}

	// Once the ID's failures have refilled, nothing is slowed and the
	// guessing address gets its budget back.
	f.clock.Advance(2 * time.Minute)
	n := sl.count()
	if _, err := f.svc.CreateSession(attacker, alice, alicePw, "USER"); err != nil {
		t.Fatalf("right password after the refill: %v", err)
	}
	if sl.count() != n {
		t.Fatal("slowed after the ID's failures refilled")
	}
}

// TestLimiterSlowedAttemptsOnePerAddress: while an ID is under attack,
// an address without failures gets one slowed attempt at a time: 20
// parallel guesses from it get one check.
func TestLimiterSlowedAttemptsOnePerAddress(t *testing.T) {
	var checked atomic.Int64
	sl := sleeps{hold: make(chan struct{})}
	f := newFixture(t, func(o *auth.Options) {
		o.FailuresPerMinute = 2
		o.AttackDelay = time.Second
		o.Sleep = sl.sleep
		o.Store = countingStore{o.Store, &checked}
	})
	from := func(a string) context.Context { return auth.WithClientAddr(f.ctx, netip.MustParseAddr(a)) }
	for range 2 {
		_, err := f.svc.CreateSession(from("192.0.2.1"), alice, "wrong", "USER")
		wantErr(t, "wrong password", err, auth.ErrAuthFailed)
	}
	before := checked.Load()
	errs := make(chan error, 20)
	for i := range 20 {
		go func() {
			_, err := f.svc.CreateSession(from("192.0.2.2"), alice, fmt.Sprintf("guess%d", i), "USER")
			errs <- err
		}()
	}
	// 19 are refused at once; one waits out its delay.
	for range 19 {
		wantErr(t, "parallel guess", <-errs, auth.ErrAuthFailed)
	}
	close(sl.hold)
	wantErr(t, "the slowed guess", <-errs, auth.ErrAuthFailed)
	if n := checked.Load() - before; n != 1 {
		t.Fatalf("%d parallel guesses checked, want 1", n)
	}
}
