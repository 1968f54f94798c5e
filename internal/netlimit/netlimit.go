// Package netlimit caps how much of a listener one client address can
// take: a total number of connections served at once, and a number per
// client address, so that one address cannot hold every slot while
// others are refused.
//
// A client address is accounted as its IPv4 address or its IPv6 /64
// (one subscriber's allocation: a host that owns a /64 can use any of
// its 2^64 addresses). Addresses a caller exempts (trusted reverse
// proxies, which carry many clients' requests) count only against the
// total; their clients are limited per request by a Counter keyed on
// the address the proxy forwarded.
//
// Locking: a Counter's mutex guards its map only and is never held
// while calling out; a Listener's total is a buffered channel.
package netlimit

import (
	"net"
	"net/netip"
	"sync"
)

// Prefix is the unit in which a client address is counted: the IPv4
// address itself (/32), or the /64 an IPv6 address belongs to. An
// IPv4-mapped IPv6 address counts as its IPv4 address.
func Prefix(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p
	}
	p, _ := a.Prefix(a.BitLen())
	return p
}

// RemoteAddr is a connection's remote IP address (unmapped); ok is
// false for an address that is not IP (a Unix socket, a pipe in a test).
func RemoteAddr(c net.Conn) (a netip.Addr, ok bool) {
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}

// Counter counts what each client address holds at once (connections,
// requests in flight) against a maximum. The zero value is not usable;
// a nil *Counter allows everything.
type Counter struct {
	max int
	mu  sync.Mutex
	n   map[netip.Prefix]int
}

// NewCounter returns a Counter allowing max per address; max <= 0
// returns nil, which allows everything.
func NewCounter(max int) *Counter {
	if max <= 0 {
		return nil
	}
	return &Counter{max: max, n: make(map[netip.Prefix]int)}
}

// Acquire takes one unit for p; false if p holds its maximum already.
// Every successful Acquire is paired with one Release.
func (c *Counter) Acquire(p netip.Prefix) bool {
	if c == nil {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[p] >= c.max {
		return false
	}
	c.n[p]++
	return true
}

// Release gives back a unit taken by Acquire.
func (c *Counter) Release(p netip.Prefix) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[p] <= 1 {
		delete(c.n, p) // the map holds only addresses that hold something
		return
	}
	c.n[p]--
}

// Held is what p holds now.
func (c *Counter) Held(p netip.Prefix) int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[p]
}
