package auth

import (
	"container/list"
	"context"
	"net/netip"
	"sync"
	"time"
)

// Brute-force protection. Every password or key check first reserves
// an attempt from two token buckets, one for the entity ID and one for
// the client's address (when the binding recorded it with
// WithClientAddr); a failed check keeps the reservation, anything else
// gives it back. Reserving before checking is what makes the limit hold
// under concurrency: N parallel guesses against a locked-down ID get at
// most the bucket's tokens checked, not N. Checks themselves run at most
// MaxConcurrentChecks at a time, since each costs a PBKDF2 derivation.

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

// full reports whether b has refilled to its burst by now (so that
// forgetting it changes nothing).
func (l *limiter) full(b *bucket, now time.Time) bool {
	return b.tokens+now.Sub(b.at).Seconds()*l.perSec >= l.burst
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
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// reserveAttempt reserves an authentication attempt for the entity key
// and ctx's client. ok is false if either is over its limit; otherwise
// done must be called with whether the check failed (a failure keeps
// the reservations, anything else returns them).
func (s *Service) reserveAttempt(ctx context.Context, key string) (done func(failed bool), ok bool) {
	if !s.limit.reserve(key) {
		return nil, false
	}
	addr := ""
	if s.addrLimit != nil {
		addr = clientKey(ctx)
	}
	if addr != "" && !s.addrLimit.reserve(addr) {
		s.limit.refund(key)
		return nil, false
	}
	return func(failed bool) {
		if !failed {
			s.limit.refund(key)
			if addr != "" {
				s.addrLimit.refund(addr)
			}
		}
	}, true
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
