package auth

import (
	"container/list"
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/parley-im/parley/internal/netlimit"
)

// Brute-force protection without lockout. Every password or key check
// first reserves an attempt from token buckets of failures:
//
//   - per client address (an IPv4 address or an IPv6 /64, recorded by
//     the binding with WithClientAddr), whatever the IDs tried
//     (FailuresPerMinutePerAddr): password spraying. Over it, the
//     address is refused unchecked.
//   - per (ID, address) (FailuresPerMinute): one address guessing one
//     ID. Over it, that address is refused unchecked for that ID.
//   - per ID, from every address together (FailuresPerMinute): an ID
//     being guessed from many addresses. Over it the ID is "under
//     attack", and is never locked: an attempt from an address with no
//     failure for that ID in the last failureMemory (and no other
//     attempt of its own in flight) is checked after AttackDelay; one
//     from an address that did fail is refused unchecked. The real user
//     or site, whose credentials are right, keeps working from any clean
//     address, only slower; an attacker gets one guess per fresh address
//     per failureMemory beyond the ID's own rate.
//
// A failed check keeps its reservations, anything else gives them back.
// Reserving before checking is what makes the limits hold under
// concurrency: N parallel guesses get at most the buckets' tokens
// checked, not N. Checks themselves run at most MaxConcurrentChecks at
// a time, since each costs a PBKDF2 derivation; the delay is spent
// before a slot is taken.

// failureMemory is how long an address that failed for an ID stays
// suspect for it: while the ID is under attack, such an address is
// refused rather than slowed. It bounds an attacker with many addresses
// to one guess per address per failureMemory (beyond FailuresPerMinute
// for the ID); a real user who mistypes during an attack waits it out
// or uses the right password from another address.
const failureMemory = 15 * time.Minute

// maxLimited bounds the entries of one limiter table. When it is full
// the least recently touched entry goes; entries whose bucket has
// refilled carry no information and are dropped first, as they are met
// at the old end of the table.
const maxLimited = 100_000

// limiter counts failed authentications per key in token buckets of
// burst tokens refilled at perSec. A nil *limiter allows everything.
type limiter struct {
	mu     sync.Mutex
	perSec float64
	burst  float64
	now    func() time.Time
	max    int
	m      map[string]*list.Element // of *bucket
	lru    list.List                // front: most recently touched
}

type bucket struct {
	key    string
	tokens float64
	at     time.Time // when tokens was last brought up to date
	// The (ID, address) limiter's memory: the last failure, and whether
	// a slowed attempt of this pair is in flight.
	failedAt time.Time
	busy     bool
}

func newLimiter(perMinute float64, now func() time.Time) *limiter {
	b := float64(int(perMinute))
	if b < 1 {
		b = 1
	}
	return &limiter{perSec: perMinute / 60, burst: b, now: now, max: maxLimited, m: map[string]*list.Element{}}
}

// refill brings b's tokens up to now.
func (l *limiter) refill(b *bucket, now time.Time) {
	if dt := now.Sub(b.at).Seconds(); dt > 0 {
		b.tokens = min(l.burst, b.tokens+dt*l.perSec)
	}
	b.at = now
}

// full reports whether b has refilled to its burst by now and carries
// no memory of a recent failure (so that forgetting it changes
// nothing).
func (l *limiter) full(b *bucket, now time.Time) bool {
	return b.tokens+now.Sub(b.at).Seconds()*l.perSec >= l.burst && !b.busy &&
		(b.failedAt.IsZero() || now.Sub(b.failedAt) >= failureMemory)
}

// reserve takes one attempt for key; false if none is left.
func (l *limiter) reserve(key string) bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	// Forget a few refilled entries at the old end.
	for range 2 {
		e := l.lru.Back()
		if e == nil || !l.full(e.Value.(*bucket), now) {
			break
		}
		delete(l.m, e.Value.(*bucket).key)
		l.lru.Remove(e)
	}
	e, ok := l.m[key]
	if !ok {
		for len(l.m) >= l.max {
			old := l.lru.Back()
			delete(l.m, old.Value.(*bucket).key)
			l.lru.Remove(old)
		}
		e = l.lru.PushFront(&bucket{key: key, tokens: l.burst, at: now})
		l.m[key] = e
	}
	l.lru.MoveToFront(e)
	b := e.Value.(*bucket)
	l.refill(b, now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// refund gives back an attempt reserved for key.
func (l *limiter) refund(key string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.m[key]; ok {
		b := e.Value.(*bucket)
		l.refill(b, l.now())
		b.tokens = min(l.burst, b.tokens+1)
	}
}

// claimClean marks an in-flight slowed attempt for key and reports
// true if key has no failure within failureMemory and no such attempt
// in flight already; false otherwise (and nothing is marked). key must
// have been reserved.
func (l *limiter) claimClean(key string) bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.m[key]
	if !ok {
		return false
	}
	b := e.Value.(*bucket)
	if b.busy || !b.failedAt.IsZero() && l.now().Sub(b.failedAt) < failureMemory {
		return false
	}
	b.busy = true
	return true
}

// settle ends key's attempt: a slowed one is no longer in flight, and
// a failure is remembered.
func (l *limiter) settle(key string, slowed, failed bool) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.m[key]
	if !ok {
		return
	}
	b := e.Value.(*bucket)
	if slowed {
		b.busy = false
	}
	if failed {
		b.failedAt = l.now()
	}
}

// size is how many keys the limiter tracks.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}

type clientAddrKey struct{}

// WithClientAddr records in ctx the address of the client making the
// request (after trusted proxies), so that authentication failures are
// also limited per client address (Options.FailuresPerMinutePerAddr).
func WithClientAddr(ctx context.Context, a netip.Addr) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, a)
}

// clientKey is the per-address limiter key of ctx's client: its IPv4
// address, or its IPv6 /64 (one subscriber's allocation); "" if the
// binding recorded none.
func clientKey(ctx context.Context) string {
	a, _ := ctx.Value(clientAddrKey{}).(netip.Addr)
	if !a.IsValid() {
		return ""
	}
	return netlimit.Prefix(a).String()
}

// attempt is one reserved authentication attempt.
type attempt struct {
	s        *Service
	id, addr string // the entity key and the client's limiter key ("" if none)
	pair     string
	idToken  bool          // took a token of the ID's bucket
	slowed   bool          // the ID is under attack: checked after delay
	delay    time.Duration // to wait before the check
}

// reserveAttempt reserves an authentication attempt for the entity key
// id from ctx's client (see the top of this file). ok is false if the
// attempt is refused unchecked; otherwise done must be called with
// whether the check failed.
func (s *Service) reserveAttempt(ctx context.Context, id string) (a *attempt, ok bool) {
	a = &attempt{s: s, id: id}
	if s.addrLimit != nil {
		a.addr = clientKey(ctx)
	}
	if a.addr != "" && !s.addrLimit.reserve(a.addr) {
		return nil, false
	}
	a.pair = id + "\x00" + clientKey(ctx)
	if !s.pairLimit.reserve(a.pair) {
		a.refundAddr()
		return nil, false
	}
	if s.limit.reserve(id) {
		a.idToken = true
		return a, true
	}
	// The ID has used up its failures from every address together.
	if s.pairLimit.claimClean(a.pair) {
		a.slowed, a.delay = true, s.attackDelay
		return a, true
	}
	s.pairLimit.refund(a.pair)
	a.refundAddr()
	return nil, false
}

func (a *attempt) refundAddr() {
	if a.addr != "" {
		a.s.addrLimit.refund(a.addr)
	}
}

// done settles the attempt: a failure keeps its reservations and is
// remembered against the (ID, address) pair; anything else gives them
// back.
func (a *attempt) done(failed bool) {
	a.s.pairLimit.settle(a.pair, a.slowed, failed)
	if failed {
		return
	}
	if a.idToken {
		a.s.limit.refund(a.id)
	}
	a.s.pairLimit.refund(a.pair)
	a.refundAddr()
}

// wait spends the attempt's delay (none unless the ID is under attack),
// or gives up with ctx.
func (a *attempt) wait(ctx context.Context) error {
	if a.delay <= 0 {
		return nil
	}
	return a.s.sleep(ctx, a.delay)
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// acquireCheck waits for a slot to run an expensive credential check.
func (s *Service) acquireCheck(ctx context.Context) (release func(), err error) {
	select {
	case s.checks <- struct{}{}:
		return func() { <-s.checks }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
