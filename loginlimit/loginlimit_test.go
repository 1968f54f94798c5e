package loginlimit

import (
	"fmt"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTest(perMinute float64, maxEntries int) (*Limiter, *clock) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	return New(Config{FailuresPerMinute: perMinute, Now: c.now, MaxEntries: maxEntries}), c
}

func TestAddressBudget(t *testing.T) {
	l, c := newTest(10, 0)
	for i := range 10 {
		if v := l.CheckAddress("a"); v != Allow {
			t.Fatalf("failure %d: %v", i, v)
		}
		l.Failed("a", fmt.Sprintf("user%d", i)) // many accounts, one address
	}
	if l.CheckAddress("a") != Refuse || l.Check("a", "someone") != Refuse {
		t.Fatal("an address over its budget is not refused")
	}
	if l.CheckAddress("b") != Allow || l.Check("b", "user0") != Allow {
		t.Fatal("another address is refused")
	}
	c.advance(6 * time.Second) // one failure's worth of budget back
	if l.CheckAddress("a") != Allow {
		t.Fatal("the budget does not recover")
	}
}

// Guesses for one account spread over many addresses: once the account
// is over its budget, the addresses that failed are refused, an address
// without failures is slowed but checked, other accounts are untouched.
func TestAccountUnderAttack(t *testing.T) {
	l, c := newTest(10, 0)
	for i := range 10 {
		addr := fmt.Sprintf("attacker%d", i)
		if v := l.Check(addr, "bob"); v != Allow {
			t.Fatalf("guess %d: %v", i, v)
		}
		l.Failed(addr, "bob")
	}
	if v := l.Check("attacker0", "bob"); v != Refuse {
		t.Fatalf("an address that failed for the attacked account: %v, want Refuse", v)
	}
	if v := l.Check("home", "bob"); v != Slow {
		t.Fatalf("the real user's address: %v, want Slow (never Refuse)", v)
	}
	if v := l.Check("attacker0", "alice"); v != Allow {
		t.Fatalf("another account from an attacking address: %v, want Allow", v)
	}
	// A fresh attacker address gets one slowed guess, then is refused.
	l.Failed("attacker10", "bob")
	if v := l.Check("attacker10", "bob"); v != Refuse {
		t.Fatalf("after its guess: %v", v)
	}
	// The addresses stay suspect for SuspectFor while the attack goes on.
	for m := range 14 {
		c.advance(time.Minute)
		for i := range 10 { // fresh addresses keep the account under attack
			l.Failed(fmt.Sprintf("fresh%d-%d", m, i), "bob")
		}
		if v := l.Check("attacker0", "bob"); v != Refuse {
			t.Fatalf("after %v: %v", c.t, v)
		}
	}
	c.advance(2 * time.Minute)
	if v := l.Check("attacker0", "bob"); v == Refuse {
		t.Fatal("still refused after SuspectFor")
	}
}

func TestDisabled(t *testing.T) {
	l := New(Config{})
	for range 100 {
		l.Failed("a", "bob")
	}
	if l.CheckAddress("a") != Allow || l.Check("a", "bob") != Allow {
		t.Fatal("a limiter with no budget refuses")
	}
	var none *Limiter
	if none.Check("a", "b") != Allow {
		t.Fatal("nil limiter")
	}
}

// The tables stay bounded under failures from very many addresses for
// very many accounts, and an attack in progress keeps its state while
// stale entries go.
func TestBoundedMemory(t *testing.T) {
	l, c := newTest(10, 50)
	for i := range 10 {
		l.Failed(fmt.Sprintf("a%d", i), "bob")
	}
	c.advance(time.Second)
	for i := range 1000 {
		l.Failed(fmt.Sprintf("spray%d", i), fmt.Sprintf("user%d", i))
		c.advance(time.Millisecond)
	}
	l.mu.Lock()
	n := []int{len(l.addrs), len(l.accounts), len(l.pairs)}
	l.mu.Unlock()
	for _, k := range n {
		if k > 50 {
			t.Fatalf("table sizes %v, limit 50", n)
		}
	}
}
