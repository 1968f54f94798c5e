// Package loginlimit throttles failed logins without handing attackers
// a way to lock the real user out.
//
// Failures are counted three ways, each against the same budget
// (Config.FailuresPerMinute, with a burst of as many):
//
//   - per address: an address over its budget is refused, whatever the
//     account (one address guessing many accounts, or one account);
//   - per account, across addresses: an account over its budget is
//     under attack (guesses spread over many addresses). Then an
//     address that has failed for that account recently (SuspectFor) is
//     refused, while an address without such failures is still checked,
//     only slowed down (Config.Delay): the real user, from their usual
//     address, logs in even during an attack, and each of the
//     attacker's addresses gets one guess per SuspectFor;
//   - per (account, address): the record of those recent failures.
//
// Unknown accounts are counted exactly like existing ones (the caller
// must not look them up first), so the answers reveal nothing about
// which accounts exist. Memory is bounded: entries that carry no state
// any more (a recovered budget, an old failure) are dropped first when
// a table is full.
package loginlimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Verdict says what to do with a login attempt.
type Verdict int

const (
	// Allow: check the credentials and answer at once.
	Allow Verdict = iota
	// Slow: check the credentials, but answer only after Delay.
	Slow
	// Refuse: do not check; answer "try again later".
	Refuse
)

// Defaults of Config.
const (
	DefaultSuspectFor = 15 * time.Minute
	DefaultDelay      = time.Second
	DefaultMaxEntries = 100000
)

// Config sets up a Limiter.
type Config struct {
	// FailuresPerMinute is the failure budget of an address and of an
	// account (burst: as many); 0 disables the limiter.
	FailuresPerMinute float64
	// SuspectFor is how long a failure marks an address as suspect for
	// an account under attack (DefaultSuspectFor if 0).
	SuspectFor time.Duration
	// Delay is how long a Slow attempt waits (DefaultDelay if 0).
	Delay time.Duration
	// MaxEntries bounds each table (DefaultMaxEntries if 0).
	MaxEntries int
	// Now is the clock (time.Now if nil).
	Now func() time.Time
}

type pairKey struct{ account, addr string }

// Limiter counts failed logins. It is safe for concurrent use.
type Limiter struct {
	cfg   Config
	limit rate.Limit
	burst int

	mu       sync.Mutex
	addrs    map[string]*rate.Limiter
	accounts map[string]*rate.Limiter
	pairs    map[pairKey]time.Time // last failure of the account from the address
}

// New returns a Limiter.
func New(cfg Config) *Limiter {
	if cfg.SuspectFor <= 0 {
		cfg.SuspectFor = DefaultSuspectFor
	}
	if cfg.Delay <= 0 {
		cfg.Delay = DefaultDelay
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = DefaultMaxEntries
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Limiter{cfg: cfg, limit: rate.Limit(cfg.FailuresPerMinute / 60), burst: max(int(cfg.FailuresPerMinute), 1),
		addrs: make(map[string]*rate.Limiter), accounts: make(map[string]*rate.Limiter), pairs: make(map[pairKey]time.Time)}
}

// Delay is how long a Slow attempt waits before its answer.
func (l *Limiter) Delay() time.Duration { return l.cfg.Delay }

func (l *Limiter) off() bool { return l == nil || l.cfg.FailuresPerMinute <= 0 }

// CheckAddress is the verdict for an attempt from addr before the
// account is known: Refuse once addr is over its budget, else Allow.
func (l *Limiter) CheckAddress(addr string) Verdict {
	if l.off() {
		return Allow
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if exhausted(l.addrs[addr], l.cfg.Now()) {
		return Refuse
	}
	return Allow
}

// Check is the verdict for an attempt on account from addr.
func (l *Limiter) Check(addr, account string) Verdict {
	if l.off() {
		return Allow
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.cfg.Now()
	switch {
	case exhausted(l.addrs[addr], now):
		return Refuse
	case !exhausted(l.accounts[account], now):
		return Allow
	}
	// The account is under attack.
	if last, ok := l.pairs[pairKey{account, addr}]; ok && now.Sub(last) < l.cfg.SuspectFor {
		return Refuse
	}
	return Slow
}

// Failed charges a failed attempt on account from addr (account "":
// not known, the address alone is charged).
func (l *Limiter) Failed(addr, account string) {
	if l.off() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.cfg.Now()
	l.limiter(l.addrs, addr, now).AllowN(now, 1)
	if account == "" {
		return
	}
	l.limiter(l.accounts, account, now).AllowN(now, 1)
	if _, ok := l.pairs[pairKey{account, addr}]; !ok && len(l.pairs) >= l.cfg.MaxEntries {
		for k, t := range l.pairs {
			if now.Sub(t) >= l.cfg.SuspectFor {
				delete(l.pairs, k)
			}
		}
		for k := range l.pairs {
			if len(l.pairs) < l.cfg.MaxEntries*9/10 {
				break
			}
			delete(l.pairs, k)
		}
	}
	l.pairs[pairKey{account, addr}] = now
}

// limiter returns the budget of key in table, creating it (and making
// room) if needed.
func (l *Limiter) limiter(table map[string]*rate.Limiter, key string, now time.Time) *rate.Limiter {
	if r, ok := table[key]; ok {
		return r
	}
	if len(table) >= l.cfg.MaxEntries {
		// First what carries no state (a full budget), then anything:
		// a table this full means an attack from very many addresses.
		for k, r := range table {
			if r.TokensAt(now) >= float64(l.burst) {
				delete(table, k)
			}
		}
		for k := range table {
			if len(table) < l.cfg.MaxEntries*9/10 {
				break
			}
			delete(table, k)
		}
	}
	r := rate.NewLimiter(l.limit, l.burst)
	table[key] = r
	return r
}

// exhausted reports a budget with no failure left.
func exhausted(r *rate.Limiter, now time.Time) bool {
	return r != nil && r.TokensAt(now) < 1
}
