package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

const (
	// inboundQueue bounds the NATS messages waiting for the reader
	// (each a batch); beyond it NATS drops them as a slow consumer.
	inboundQueue = 16384
	// workers run what may block (rooms, offline storage), each with
	// a bounded queue.
	workers     = 8
	workerQueue = 4096
)

var workSeed = maphash.MakeSeed()

// Start joins the cluster: it subscribes, announces itself, and waits
// (bounded by ctx, at most two heartbeats) until it knows the tables of
// the peers that answer, so that its first routing decisions see the
// whole cluster.
func (r *Router) Start(ctx context.Context) error {
	r.ctx, r.cancel = context.WithCancel(context.WithoutCancel(ctx))
	conn := r.cfg.Conn
	r.in = make(chan *nats.Msg, inboundQueue)
	for _, subject := range []string{r.subAll, r.subSelf} {
		sub, err := conn.ChanSubscribe(subject, r.in)
		if err != nil {
			r.unsubscribe()
			return fmt.Errorf("cluster: subscribe %s: %w", subject, err)
		}
		sub.SetPendingLimits(inboundQueue, 256<<20)
		r.subs = append(r.subs, sub)
	}
	for subject, handler := range map[string]nats.MsgHandler{
		r.subSnap: r.serveSnapshot,
		"parley." + r.cfg.Name + ".call." + r.cfg.Node: r.serveCall,
	} {
		sub, err := conn.Subscribe(subject, handler)
		if err != nil {
			r.unsubscribe()
			return fmt.Errorf("cluster: subscribe %s: %w", subject, err)
		}
		r.subs = append(r.subs, sub)
	}
	if err := conn.Flush(); err != nil {
		r.log.Warn("NATS flush at start", "err", err)
	}
	r.work = make([]chan func(), workers)
	for i := range r.work {
		q := make(chan func(), workerQueue)
		r.work[i] = q
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for {
				select {
				case fn := <-q:
					r.runSafe(fn)
				case <-r.ctx.Done():
					return
				}
			}
		}()
	}
	r.wg.Add(4)
	go func() { defer r.wg.Done(); r.out.run(r.ctx) }()
	go func() { defer r.wg.Done(); r.read(r.ctx) }()
	go func() { defer r.wg.Done(); r.runHeartbeats(r.ctx) }()
	go func() { defer r.wg.Done(); r.sweepClaims(r.ctx) }()
	r.started.Store(true)
	r.heartbeat()
	r.waitForPeers(ctx)
	r.log.Info("joined the cluster", "cluster", r.cfg.Name, "peers", len(r.Peers()))
	return nil
}

// waitForPeers waits until every peer heard within two heartbeats is
// synced.
func (r *Router) waitForPeers(ctx context.Context) {
	deadline := time.NewTimer(2*r.cfg.Heartbeat + 500*time.Millisecond)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	heard := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			return
		case <-tick.C:
		}
		r.regMu.RLock()
		n, synced := len(r.peers), 0
		for _, p := range r.peers {
			if p.synced {
				synced++
			}
		}
		r.regMu.RUnlock()
		// Peers heartbeat every interval: once one has been heard and
		// all that were heard are synced, routing sees them.
		if n > 0 {
			heard = true
		}
		if heard && synced == n {
			return
		}
	}
}

// Stop tells the peers this node leaves (they forget its sessions at
// once instead of after PeerTimeout), and stops.
func (r *Router) Stop(ctx context.Context) error {
	if !r.started.Swap(false) {
		return nil
	}
	r.out.add(r.subAll, false, func(b *bytes.Buffer) { b.WriteByte(byte(fLeaving)) })
	r.out.flush()
	if err := r.cfg.Conn.FlushWithContext(ctx); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		r.log.Warn("NATS flush at stop", "err", err)
	}
	r.unsubscribe()
	r.cancel()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *Router) unsubscribe() {
	for _, s := range r.subs {
		s.Unsubscribe()
	}
	r.subs = nil
}

// read handles every message that arrives, in order.
func (r *Router) read(ctx context.Context) {
	for {
		select {
		case msg := <-r.in:
			r.handle(msg)
		case <-ctx.Done():
			return
		}
	}
}

func (r *Router) handle(msg *nats.Msg) {
	m, err := decodeMessage(msg.Data)
	if err != nil {
		r.stats.badFrames.Add(1)
		r.log.Warn("malformed cluster message", "subject", msg.Subject, "err", err)
		return
	}
	if msg.Subject == r.subAll {
		r.onBroadcast(m)
		return
	}
	r.stats.received(r.now(), m.Sent)
	for i := range m.Frames {
		r.onNodeFrame(m.Node, &m.Frames[i])
	}
}

// onNodeFrame handles a frame sent to this node.
func (r *Router) onNodeFrame(from string, f *frame) {
	switch f.Kind {
	case fDeliver:
		to, err := jid.Parse(f.JID)
		if err != nil {
			r.stats.badFrames.Add(1)
			return
		}
		el, err := xml.ParseElement(f.Stanza, ns.Client, r.cfg.XMLLimits)
		if err != nil {
			r.stats.badFrames.Add(1)
			return
		}
		if res, ok := r.Table.Resource(to); ok {
			res.Session.Deliver(el)
			r.stats.delivered.Add(1)
			return
		}
		r.stats.undeliverable.Add(1)
		if h := r.hooks.Undeliverable; h != nil {
			r.submit(to.Bare().String(), func() { h(r.ctx, el, to) })
		}
	case fClose:
		to, err := jid.Parse(f.JID)
		if err != nil {
			return
		}
		if res, ok := r.Table.Resource(to); ok {
			res.Session.Close(stream.Errorf(stream.Condition(f.Text), f.Text2))
		}
	case fComponent:
		el, err := xml.ParseElement(f.Stanza, ns.Client, r.cfg.XMLLimits)
		if err != nil {
			r.stats.badFrames.Add(1)
			return
		}
		r.fromPeer(from, f.Flags, el)
	default:
		r.stats.badFrames.Add(1)
	}
}

// submit runs fn on the worker for key (the same key, the same worker,
// so one room's work keeps its order). It waits for room in the
// worker's queue: the reader then stops reading, and NATS holds or
// drops what arrives meanwhile.
func (r *Router) submit(key string, fn func()) {
	if !r.started.Load() || r.work == nil {
		return
	}
	q := r.work[maphash.String(workSeed, key)%uint64(len(r.work))]
	select {
	case q <- fn:
	case <-r.ctx.Done():
	}
}

// runSafe runs fn, turning a panic into a log line.
func (r *Router) runSafe(fn func()) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("cluster: panic in a worker", "panic", p)
		}
	}()
	fn()
}
