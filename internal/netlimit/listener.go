package netlimit

import (
	"net"
	"net/netip"
	"sync"
)

// ListenerConfig sets the limits of a Listener.
type ListenerConfig struct {
	// Max caps the connections served at once; 0 means no cap.
	Max int
	// MaxPerAddr caps the connections of one client address (Prefix);
	// 0 means no cap.
	MaxPerAddr int
	// Exempt reports addresses that count only against Max (trusted
	// reverse proxies); nil exempts none.
	Exempt func(netip.Addr) bool
	// Reject answers a connection over a cap and must close it (a 503
	// for plain HTTP); nil closes it at once. It runs on its own
	// goroutine, at most maxRejecting at a time; beyond that, further
	// connections over a cap are closed at once.
	Reject func(net.Conn)
}

// maxRejecting bounds the rejections being written at once, so that a
// flood of refused connections costs a bounded number of goroutines.
const maxRejecting = 64

// Listener serves at most Max connections at once, at most MaxPerAddr
// of them from one client address; a connection is counted from Accept
// until it is closed (a hijacked WebSocket included).
type Listener struct {
	net.Listener
	cfg       ListenerConfig
	slots     chan struct{} // nil: no total cap
	perAddr   *Counter
	rejecting chan struct{}
}

// Listen wraps l with cfg's limits. With neither cap set, l is
// returned as is.
func Listen(l net.Listener, cfg ListenerConfig) net.Listener {
	if cfg.Max <= 0 && cfg.MaxPerAddr <= 0 {
		return l
	}
	nl := &Listener{Listener: l, cfg: cfg, perAddr: NewCounter(cfg.MaxPerAddr), rejecting: make(chan struct{}, maxRejecting)}
	if cfg.Max > 0 {
		nl.slots = make(chan struct{}, cfg.Max)
	}
	return nl
}

// Accept returns the next connection within the limits; connections
// over a limit are handed to Reject (or closed) and never returned.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if lc, ok := l.admit(c); ok {
			return lc, nil
		}
		l.reject(c)
	}
}

// admit takes a total slot and, unless the address is exempt, one of
// its address's; it returns the counted connection.
func (l *Listener) admit(c net.Conn) (net.Conn, bool) {
	if l.slots != nil {
		select {
		case l.slots <- struct{}{}:
		default:
			return nil, false
		}
	}
	releaseTotal := func() {
		if l.slots != nil {
			<-l.slots
		}
	}
	a, ok := RemoteAddr(c)
	p := Prefix(a)
	counted := ok && l.perAddr != nil && (l.cfg.Exempt == nil || !l.cfg.Exempt(a))
	if counted && !l.perAddr.Acquire(p) {
		releaseTotal()
		return nil, false
	}
	return &conn{Conn: c, release: func() {
		if counted {
			l.perAddr.Release(p)
		}
		releaseTotal()
	}}, true
}

func (l *Listener) reject(c net.Conn) {
	if l.cfg.Reject == nil {
		c.Close()
		return
	}
	select {
	case l.rejecting <- struct{}{}:
		go func() {
			defer func() { <-l.rejecting }()
			l.cfg.Reject(c)
		}()
	default:
		c.Close()
	}
}

// conn gives its slots back when closed, once.
type conn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
