package mam

import (
	"context"
	"errors"

	"github.com/parley-im/parley/store"
)

// writer batches archive appends: routing goroutines hand their message
// to one goroutine that writes everything waiting in one transaction. A
// message still waits for its ID (it goes into the delivered copy as
// <stanza-id/>), but a thousand messages share one commit instead of
// paying one each, which is what keeps archiving off the critical path
// of a busy server.
type writer struct {
	store store.Archive
	reqs  chan *appendReq
}

type appendReq struct {
	entry store.ArchiveAppend
	id    string
	err   error
	done  chan struct{}
}

// maxBatch bounds one transaction; the channel's capacity bounds what
// waits (routing blocks beyond it: back-pressure, not memory growth).
const (
	maxBatch   = 512
	queueDepth = 4096
)

func newWriter(st store.Archive) *writer {
	return &writer{store: st, reqs: make(chan *appendReq, queueDepth)}
}

// append archives one message and returns its ID.
func (w *writer) append(ctx context.Context, owner string, m store.ArchivedMessage) (string, error) {
	r := &appendReq{entry: store.ArchiveAppend{Owner: owner, Message: m}, done: make(chan struct{})}
	select {
	case w.reqs <- r:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	<-r.done // the writer always answers, also when it stops
	return r.id, r.err
}

// run writes batches until ctx ends, then answers what is left with an
// error.
func (w *writer) run(ctx context.Context) {
	batch := make([]*appendReq, 0, maxBatch)
	entries := make([]store.ArchiveAppend, 0, maxBatch)
	for {
		select {
		case r := <-w.reqs:
			batch = append(batch[:0], r)
		case <-ctx.Done():
			w.drain(errors.New("mam: archive stopped"))
			return
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case r := <-w.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		entries = entries[:0]
		for _, r := range batch {
			entries = append(entries, r.entry)
		}
		ids, errs, err := w.store.AppendArchiveBatch(context.WithoutCancel(ctx), entries)
		for i, r := range batch {
			if err != nil {
				r.err = err
			} else {
				r.id, r.err = ids[i], errs[i]
			}
			close(r.done)
		}
		clear(batch)
	}
}

// drain fails every waiting request.
func (w *writer) drain(err error) {
	for {
		select {
		case r := <-w.reqs:
			r.err = err
			close(r.done)
		default:
			return
		}
	}
}
