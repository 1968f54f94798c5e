package e2e

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// proxy is a TCP proxy between a client and the server that can kill the
// connections it carries, the way a flaky mobile link does: both sockets
// are reset (SO_LINGER 0), neither side gets an end of stream. It can hold
// new connections (accepted, but not forwarded until released), and it
// can cut its n-th connection after a given number of bytes in either
// direction, in the middle of whatever is in flight.
type proxy struct {
	t      *testing.T
	ln     net.Listener
	target string

	mu       sync.Mutex
	conns    map[*proxyConn]struct{}
	accepted int           // connections accepted so far
	budgets  map[int]int64 // connection number (1-based) → bytes before its cut
	cutAt    []int64       // for each cut: the bytes the connection had carried
	gate     chan struct{} // closed while new connections may go through
	changed  chan struct{} // closed and replaced on every accept and cut
}

type proxyConn struct {
	n        int
	client   *net.TCPConn
	server   *net.TCPConn
	budget   int64 // 0: no planned cut
	carried  int64 // bytes forwarded, both directions
	dead     bool
	released chan struct{}
}

// startProxy listens on a loopback port and forwards every connection to
// target. It stops at the end of the test.
func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, ln: ln, target: target, conns: map[*proxyConn]struct{}{},
		budgets: map[int]int64{}, gate: make(chan struct{}), changed: make(chan struct{})}
	close(p.gate)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.acceptLoop()
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		p.cut()
	})
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

// notifyLocked wakes whoever waits for a change; p.mu is held.
func (p *proxy) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *proxy) acceptLoop() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.accepted++
		pc := &proxyConn{n: p.accepted, client: c.(*net.TCPConn), budget: p.budgets[p.accepted]}
		gate := p.gate
		p.conns[pc] = struct{}{}
		p.notifyLocked()
		p.mu.Unlock()
		go p.serve(pc, gate)
	}
}

// serve waits for the gate, dials the server and copies both ways until
// either side ends or the connection is cut.
func (p *proxy) serve(pc *proxyConn, gate chan struct{}) {
	<-gate
	s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	p.mu.Lock()
	if err != nil || pc.dead {
		p.mu.Unlock()
		if s != nil {
			s.Close()
		}
		p.kill(pc)
		return
	}
	pc.server = s.(*net.TCPConn)
	p.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(pc, pc.server, pc.client) }()
	go func() { defer wg.Done(); p.pipe(pc, pc.client, pc.server) }()
	wg.Wait()
	p.mu.Lock()
	ended := !pc.dead // both directions ended cleanly
	pc.dead = true
	delete(p.conns, pc)
	p.notifyLocked()
	p.mu.Unlock()
	if ended {
		pc.client.Close()
		pc.server.Close()
	}
}

// pipe copies src to dst. A connection with a budget is cut once it has
// carried that many bytes: the chunk that crosses the budget is written
// only up to it. A clean end of one direction is passed on as such.
func (p *proxy) pipe(pc *proxyConn, dst, src *net.TCPConn) {
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			chunk, cut := n, false
			if pc.budget > 0 && pc.carried+int64(n) >= pc.budget {
				chunk, cut = int(pc.budget-pc.carried), true
			}
			pc.carried += int64(chunk)
			p.mu.Unlock()
			if _, werr := dst.Write(buf[:chunk]); werr != nil {
				p.kill(pc)
				return
			}
			if cut {
				p.kill(pc)
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				dst.CloseWrite()
				return
			}
			p.kill(pc)
			return
		}
	}
}

// kill resets both sockets of one connection.
func (p *proxy) kill(pc *proxyConn) {
	p.mu.Lock()
	if pc.dead {
		p.mu.Unlock()
		return
	}
	pc.dead = true
	delete(p.conns, pc)
	if pc.budget > 0 && pc.carried >= pc.budget {
		p.cutAt = append(p.cutAt, pc.carried)
	}
	p.notifyLocked()
	p.mu.Unlock()
	for _, c := range []*net.TCPConn{pc.client, pc.server} {
		if c != nil {
			c.SetLinger(0) // RST, not FIN: the link died, nobody closed the stream
			c.Close()
		}
	}
}

// cut kills every connection the proxy carries now (held ones too) and
// returns how many there were.
func (p *proxy) cut() int {
	p.mu.Lock()
	var all []*proxyConn
	for pc := range p.conns {
		all = append(all, pc)
	}
	p.mu.Unlock()
	for _, pc := range all {
		p.kill(pc)
	}
	return len(all)
}

// hold makes new connections wait (accepted, not forwarded) until release.
func (p *proxy) hold() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.gate:
		p.gate = make(chan struct{})
	default:
	}
}

// release lets held and new connections through.
func (p *proxy) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.gate:
	default:
		close(p.gate)
	}
}

// planCuts sets, for the connections numbered from first on, the number
// of bytes (both directions together) after which each is cut.
func (p *proxy) planCuts(first int, budgets ...int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, b := range budgets {
		p.budgets[first+i] = b
	}
}

// cuts returns the byte counts at which planned cuts happened.
func (p *proxy) cuts() []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int64(nil), p.cutAt...)
}

// connections returns how many connections were accepted.
func (p *proxy) connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// waitConnections waits until at least n connections were accepted.
func (p *proxy) waitConnections(n int, timeout time.Duration) {
	p.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		got, changed := p.accepted, p.changed
		p.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			p.t.Fatalf("proxy: %d connection(s) within %v, want %d", got, timeout, n)
		}
	}
}
