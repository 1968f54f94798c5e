package cluster

import (
	"bytes"
	"context"
	"sync"
	"time"
)

// outbox batches frames per subject and publishes them from one
// goroutine: whatever accumulates while a publish runs goes out in the
// next message, so a burst to a node costs a few NATS messages, and a
// single stanza waits only for one wake-up. Frames to one subject keep
// their order (NATS keeps a publisher's order on a subject).
//
// A subject's pending bytes are bounded (maxPending): beyond it, frames
// that may be lost (stanzas to a node that does not keep up) are
// dropped and counted; registry updates are never dropped (a peer that
// misses some asks for a snapshot anyway).
type outbox struct {
	node    string
	epoch   uint64
	now     func() time.Time
	publish func(subject string, data []byte) error
	onError func(subject string, err error)
	maxMsg  int // bytes per NATS message (below the server's max_payload)
	hlen    int // bytes of the message header

	mu      sync.Mutex
	pending map[string]*pendingQueue
	order   []string // subjects with pending frames, first appended first
	free    []*bytes.Buffer
	wake    chan struct{}
	dropped uint64 // frames dropped (full, or larger than a message)
	sent    uint64 // NATS messages published
}

type pendingQueue struct {
	bufs  []*bytes.Buffer
	bytes int
}

// maxPending bounds the bytes waiting for one subject.
const maxPending = 64 << 20

func newOutbox(node string, epoch uint64, maxMsg int, now func() time.Time, publish func(string, []byte) error) *outbox {
	o := &outbox{node: node, epoch: epoch, now: now, publish: publish, maxMsg: maxMsg,
		pending: make(map[string]*pendingQueue), wake: make(chan struct{}, 1)}
	var b bytes.Buffer
	header(&b, node, epoch, time.Time{})
	o.hlen = b.Len()
	return o
}

// add appends one frame, written by write, to subject's batch. lossy
// frames are dropped when the subject is backed up; add reports whether
// the frame was taken.
func (o *outbox) add(subject string, lossy bool, write func(b *bytes.Buffer)) bool {
	o.mu.Lock()
	q := o.pending[subject]
	if q == nil {
		q = &pendingQueue{}
		o.pending[subject] = q
		o.order = append(o.order, subject)
	}
	if lossy && q.bytes > maxPending {
		o.dropped++
		o.mu.Unlock()
		return false
	}
	var b *bytes.Buffer
	if n := len(q.bufs); n > 0 && q.bufs[n-1].Len() < o.maxMsg {
		b = q.bufs[n-1]
	} else {
		b = o.buffer()
		q.bufs = append(q.bufs, b)
	}
	start := b.Len()
	write(b)
	if b.Len() > o.maxMsg && start > o.hlen {
		// The frame overflowed a batch that held others: it starts the
		// next message instead.
		nb := o.buffer()
		nb.Write(b.Bytes()[start:])
		b.Truncate(start)
		q.bufs = append(q.bufs, nb)
		b = nb
	}
	ok := true
	if b.Len() > o.maxMsg {
		// One frame larger than a NATS message: it cannot be sent.
		b.Truncate(o.hlen)
		o.dropped++
		ok = false
	} else {
		q.bytes += b.Len() - start
	}
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return ok
}

// buffer returns an empty buffer holding the message header (o.mu held).
func (o *outbox) buffer() *bytes.Buffer {
	var b *bytes.Buffer
	if n := len(o.free); n > 0 {
		b, o.free = o.free[n-1], o.free[:n-1]
		b.Reset()
	} else {
		b = new(bytes.Buffer)
	}
	header(b, o.node, o.epoch, o.now())
	return b
}

// run publishes until ctx ends, then publishes what is left.
func (o *outbox) run(ctx context.Context) {
	for {
		select {
		case <-o.wake:
			o.flush()
		case <-ctx.Done():
			o.flush()
			return
		}
	}
}

// flush publishes every pending batch.
func (o *outbox) flush() {
	o.mu.Lock()
	pending, order := o.pending, o.order
	o.pending, o.order = make(map[string]*pendingQueue, len(pending)), nil
	o.mu.Unlock()
	var done []*bytes.Buffer
	sent := 0
	for _, subject := range order {
		for _, b := range pending[subject].bufs {
			if b.Len() > o.hlen {
				if err := o.publish(subject, b.Bytes()); err != nil && o.onError != nil {
					o.onError(subject, err)
				}
				sent++
			}
			done = append(done, b)
		}
	}
	o.mu.Lock()
	o.sent += uint64(sent)
	if len(o.free) < 64 {
		for _, b := range done {
			if b.Cap() <= 4*o.maxMsg && len(o.free) < 64 {
				o.free = append(o.free, b)
			}
		}
	}
	o.mu.Unlock()
}

// counts returns the frames dropped and the messages published so far.
func (o *outbox) counts() (dropped, sent uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.dropped, o.sent
}
