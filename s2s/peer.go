package s2s

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// peer is what this node knows of one remote domain: one queue bound
// for all that waits for it, a route (queue and stream) per local
// domain that sends to it, the streams it opened to us, and the rate
// at which it may send.
type peer struct {
	svc     *Service
	domain  string
	limiter *rate.Limiter // nil: no limit

	mu       sync.Mutex
	routes   map[string]*route // by local domain
	queued   int               // stanzas waiting, all routes
	bytes    int               // their size
	incoming map[*inStream]bool
	gone     bool // forgotten by the service: a new peer takes over
}

// route carries stanzas from one local domain to the peer: a FIFO, the
// stream that authenticated the pair (ours, or the peer's when it is
// bidirectional), and the connection state. Guarded by peer.mu.
type route struct {
	p        *peer
	local    string
	queue    []pending
	out      *outStream // our authenticated stream, nil if none
	bidi     *inStream  // the peer's bidirectional stream for the pair, nil if none
	working  bool       // a worker goroutine owns the route
	failures int        // connection attempts failed in a row
	retryAt  time.Time  // no attempt before this
	wake     chan struct{}
}

// pending is a stanza waiting for the remote server.
type pending struct {
	el *xml.Element // kept to bounce it
	b  []byte       // serialized in jabber:server
	at time.Time
}

// sender is an authenticated stream stanzas can be written to: our own
// (outStream) or the peer's bidirectional one (inStream).
type sender interface {
	sendStanzas(chunks [][]byte) error
	usable() bool
}

func newPeer(s *Service, domain string) *peer {
	p := &peer{svc: s, domain: domain, routes: make(map[string]*route), incoming: make(map[*inStream]bool)}
	if s.cfg.StanzasPerSecond > 0 {
		p.limiter = rate.NewLimiter(rate.Limit(s.cfg.StanzasPerSecond), max(s.cfg.StanzaBurst, 1))
	}
	return p
}

func (p *peer) route(local string) *route {
	r := p.routes[local]
	if r == nil {
		r = &route{p: p, local: local, wake: make(chan struct{}, 1)}
		p.routes[local] = r
	}
	return r
}

// serialize writes a stanza as a server stream carries it.
func serialize(el *xml.Element) []byte {
	var b bytes.Buffer
	stanza.MapNamespace(el, ns.Client, ns.Server).WriteTo(&b, ns.Server)
	return b.Bytes()
}

// send queues a stanza from local and makes sure a worker delivers it.
func (p *peer) send(local string, el *xml.Element) {
	b := serialize(el)
	s := p.svc
	now := time.Now()
	p.mu.Lock()
	if p.gone {
		p.mu.Unlock()
		if np := s.peer(p.domain); np != nil {
			np.send(local, el)
		}
		return
	}
	r := p.route(local)
	if queued := p.queued; queued >= s.cfg.QueueStanzas || p.bytes+len(b) > s.cfg.QueueBytes {
		p.mu.Unlock()
		s.log.Warn("queue for a remote domain full: stanza bounced", "domain", p.domain, "queued", queued)
		s.bounce(el, stanza.ResourceConstraint, "too much waits for "+p.domain)
		return
	}
	r.queue = append(r.queue, pending{el: el, b: b, at: now})
	p.queued++
	p.bytes += len(b)
	start := !r.working && s.track()
	if start {
		r.working = true
	}
	p.mu.Unlock()
	s.queuedDelta(1)
	if start {
		go r.run()
	} else {
		r.poke()
	}
}

func (s *Service) queuedDelta(n int) {
	if m := s.cfg.Metrics.Queued; m != nil && n != 0 {
		m(n)
	}
}

func (r *route) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// writerLocked returns the stream to write to, if one is usable.
func (r *route) writerLocked() sender {
	if r.out != nil && r.out.usable() {
		return r.out
	}
	if r.bidi != nil && r.bidi.usable() {
		return r.bidi
	}
	return nil
}

// takeLocked removes and returns everything queued.
func (r *route) takeLocked() []pending {
	batch := r.queue
	r.queue = nil
	for _, q := range batch {
		r.p.queued--
		r.p.bytes -= len(q.b)
	}
	r.p.svc.queuedDelta(-len(batch))
	return batch
}

// putBackLocked puts a batch that could not be written in front.
func (r *route) putBackLocked(batch []pending) {
	r.queue = append(batch, r.queue...)
	for _, q := range batch {
		r.p.queued++
		r.p.bytes += len(q.b)
	}
	r.p.svc.queuedDelta(len(batch))
}

// run delivers the route's queue: it writes to an authenticated stream,
// opening one when there is none (retrying failed attempts with a
// doubling pause), and bounces what waited longer than QueueTimeout. It
// ends when the queue is empty.
func (r *route) run() {
	p, s := r.p, r.p.svc
	defer s.wg.Done()
	for {
		p.mu.Lock()
		if s.ctx.Err() != nil || len(r.queue) == 0 {
			dropped := 0
			if s.ctx.Err() != nil {
				dropped = len(r.takeLocked())
			}
			r.working = false
			p.mu.Unlock()
			if dropped > 0 {
				s.log.Warn("server stopping: stanzas for a remote domain dropped", "domain", p.domain, "stanzas", dropped)
			}
			s.forget(p)
			return
		}
		if w := r.writerLocked(); w != nil {
			batch := r.takeLocked()
			p.mu.Unlock()
			chunks := make([][]byte, len(batch))
			for i, q := range batch {
				chunks[i] = q.b
			}
			if err := w.sendStanzas(chunks); err != nil {
				// The stream broke under us: what it may not have
				// carried goes out again on the next one (a duplicate
				// is possible, a loss is not).
				s.log.Debug("write to a remote server failed; requeued", "domain", p.domain, "stanzas", len(batch), "err", err)
				p.mu.Lock()
				r.putBackLocked(batch)
				if r.out == w {
					r.out = nil
				}
				if r.bidi == w {
					r.bidi = nil
				}
				p.mu.Unlock()
				continue
			}
			if m := s.cfg.Metrics.Stanzas; m != nil {
				for range batch {
					m("out")
				}
			}
			continue
		}
		wait := time.Until(r.retryAt)
		p.mu.Unlock()
		if wait > 0 {
			r.sleep(wait)
			r.expire()
			continue
		}
		st, err := s.dial(s.ctx, r.local, p.domain)
		p.mu.Lock()
		if err != nil {
			r.failures++
			r.retryAt = time.Now().Add(r.backoff())
			var notFound []pending
			if errors.Is(err, ErrNotFound) {
				// No server at all: nothing will change by waiting.
				notFound = r.takeLocked()
			}
			p.mu.Unlock()
			if s.ctx.Err() == nil {
				s.log.Info("cannot reach a remote server", "domain", p.domain, "from", r.local, "attempt", r.failures, "err", err)
			}
			for _, q := range notFound {
				s.bounce(q.el, stanza.RemoteServerNotFound, "")
			}
			r.expire()
			continue
		}
		if s.ctx.Err() != nil || !s.track() {
			// Stopped while connecting: the stream goes at once.
			p.mu.Unlock()
			st.shutdown()
			st.close()
			continue
		}
		r.failures, r.retryAt = 0, time.Time{}
		r.out = st
		p.mu.Unlock()
		go st.run(p)
	}
}

// backoff is the pause after r.failures failed attempts: RetryMin
// doubling up to RetryMax.
func (r *route) backoff() time.Duration {
	cfg := r.p.svc.cfg
	d := cfg.RetryMin
	for i := 1; i < r.failures && d < cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, cfg.RetryMax)
}

// sleep waits until d passes, the oldest stanza is due to expire, the
// route is poked (a new stream) or the service stops.
func (r *route) sleep(d time.Duration) {
	r.p.mu.Lock()
	if len(r.queue) > 0 {
		if due := time.Until(r.queue[0].at.Add(r.p.svc.cfg.QueueTimeout)); due < d {
			d = max(due, 0)
		}
	}
	r.p.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.wake:
	case <-r.p.svc.ctx.Done():
	}
}

// expire bounces what waited longer than QueueTimeout.
func (r *route) expire() {
	p, s := r.p, r.p.svc
	cutoff := time.Now().Add(-s.cfg.QueueTimeout)
	p.mu.Lock()
	n := 0
	for n < len(r.queue) && !r.queue[n].at.After(cutoff) {
		n++
	}
	old := append([]pending(nil), r.queue[:n]...)
	r.queue = append(r.queue[:0], r.queue[n:]...)
	for _, q := range old {
		p.queued--
		p.bytes -= len(q.b)
	}
	p.mu.Unlock()
	s.queuedDelta(-len(old))
	for _, q := range old {
		s.bounce(q.el, stanza.RemoteServerTimeout, "")
	}
}

// streamGone forgets a stream that ended; if stanzas wait, a worker
// opens another.
func (p *peer) streamGone(st sender) {
	p.mu.Lock()
	var restart []*route
	for _, r := range p.routes {
		if r.out == st {
			r.out = nil
		}
		if r.bidi == st {
			r.bidi = nil
		}
		if len(r.queue) > 0 && !r.working && p.svc.track() {
			r.working = true
			restart = append(restart, r)
		}
	}
	if in, ok := st.(*inStream); ok {
		delete(p.incoming, in)
	}
	p.mu.Unlock()
	for _, r := range restart {
		go r.run()
	}
	p.svc.forget(p)
}

// addIncoming records a stream the peer authenticated for local; a
// bidirectional one becomes the route's way out if it has none.
func (p *peer) addIncoming(in *inStream, local string, bidi bool) {
	p.mu.Lock()
	p.incoming[in] = true
	var r *route
	if bidi {
		r = p.route(local)
		if r.bidi == nil || !r.bidi.usable() {
			r.bidi = in
		}
	}
	p.mu.Unlock()
	if r != nil {
		r.poke()
	}
}

// retire marks the peer gone and reports true if it has nothing queued,
// no worker and no stream; the service then forgets it.
func (p *peer) retire() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.incoming) > 0 {
		return false
	}
	for _, r := range p.routes {
		if r.working || len(r.queue) > 0 || r.out != nil || r.bidi != nil {
			return false
		}
	}
	p.gone = true
	return true
}

// waitDrained waits until nothing is queued or ctx ends.
func (p *peer) waitDrained(ctx context.Context) {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		p.mu.Lock()
		n := p.queued
		p.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// shutdown ends the peer's outgoing streams (the service stops).
func (p *peer) shutdown() {
	p.mu.Lock()
	var outs []*outStream
	for _, r := range p.routes {
		if r.out != nil {
			outs = append(outs, r.out)
		}
		r.poke()
	}
	p.mu.Unlock()
	for _, st := range outs {
		st.shutdown()
	}
}
