package mam

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/parley-im/parley/store"
)

// writer archives in the background. Routing hands it a message and
// gets the archive ID at once (it goes into the delivered copy as
// <stanza-id/>): IDs are chosen here, increasing, from the clock and
// the node's slot (ids.go), so nothing waits for the database. One goroutine writes whatever is queued in one transaction;
// at a high message rate a commit carries hundreds of messages. A query
// first waits until everything queued before it is written (flush), so a
// client always finds in its archive the messages it has received.
//
// The cost: a message routed in the last moments before a crash may be
// delivered but not archived. The queue is bounded; when the database
// falls behind, routing waits (back-pressure, not memory growth).
type writer struct {
	store store.Archive
	log   *slog.Logger
	slot  int // this node's slot in archive IDs (ids.go)
	queue chan store.ArchiveAppend

	// sendMu orders appends: an ID is chosen and queued under it, so the
	// queue is in ID order. It may be held while the queue is full; the
	// writer never takes it.
	sendMu sync.Mutex
	last   int64 // the last ID handed out (sendMu)

	mu      sync.Mutex // guards the counters below; never held while blocking
	cond    *sync.Cond
	queued  uint64
	written uint64 // batches done: everything up to this count is stored
	stopped bool
}

const (
	maxBatch   = 512
	queueDepth = 8192
)

func newWriter(st store.Archive, log *slog.Logger, slot int) *writer {
	w := &writer{store: st, log: log, slot: slot, queue: make(chan store.ArchiveAppend, queueDepth)}
	w.cond = sync.NewCond(&w.mu)
	return w
}

// start continues IDs above the stored ones (a clock set back must not
// reuse an ID).
func (w *writer) start(ctx context.Context) error {
	last, err := w.store.LastArchiveID(ctx)
	if err != nil {
		return err
	}
	n, _ := strconv.ParseInt(last, 10, 64)
	w.sendMu.Lock()
	w.last = max(w.last, n)
	w.sendMu.Unlock()
	return nil
}

// append queues one message and returns its archive ID, or "" once the
// writer has stopped.
func (w *writer) append(ctx context.Context, owner string, m store.ArchivedMessage, now time.Time) string {
	w.sendMu.Lock()
	defer w.sendMu.Unlock()
	w.mu.Lock()
	stopped := w.stopped
	if !stopped {
		w.queued++
	}
	w.mu.Unlock()
	if stopped {
		return ""
	}
	w.last = nextID(w.last, now, w.slot)
	m.ID = strconv.FormatInt(w.last, 10)
	a := store.ArchiveAppend{Owner: owner, Message: m}
	select {
	case w.queue <- a:
	default:
		w.log.Warn("archive writer behind; routing waits")
		select {
		case w.queue <- a:
		case <-ctx.Done():
			return ""
		}
	}
	return m.ID
}

// flush waits until every message queued before the call is stored.
func (w *writer) flush(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	target := w.queued
	for w.written < target && !w.stopped && ctx.Err() == nil {
		w.cond.Wait()
	}
}

// run writes batches until ctx ends, then writes what is left.
func (w *writer) run(ctx context.Context) {
	batch := make([]store.ArchiveAppend, 0, maxBatch)
	for {
		select {
		case a := <-w.queue:
			w.write(context.WithoutCancel(ctx), w.fill(append(batch[:0], a)))
		case <-ctx.Done():
			w.mu.Lock()
			w.stopped = true
			w.mu.Unlock()
			// Appends have stopped: write what is still queued.
			for batch = w.fill(batch[:0]); len(batch) > 0; batch = w.fill(batch[:0]) {
				w.write(context.Background(), batch)
			}
			w.cond.Broadcast()
			return
		}
	}
}

// fill adds to batch whatever is queued, without waiting, up to maxBatch.
func (w *writer) fill(batch []store.ArchiveAppend) []store.ArchiveAppend {
	for len(batch) < maxBatch {
		select {
		case a := <-w.queue:
			batch = append(batch, a)
		default:
			return batch
		}
	}
	return batch
}

func (w *writer) write(ctx context.Context, batch []store.ArchiveAppend) {
	errs, err := w.store.AppendArchiveBatch(ctx, batch)
	if err != nil {
		w.log.Error("archive batch lost", "messages", len(batch), "err", err)
	}
	for i, e := range errs {
		if e != nil && !errors.Is(e, store.ErrNotFound) { // a user deleted meanwhile
			w.log.Error("archive message lost", "owner", batch[i].Owner, "id", batch[i].Message.ID, "err", e)
		}
	}
	w.mu.Lock()
	w.written += uint64(len(batch))
	w.mu.Unlock()
	w.cond.Broadcast()
	clear(batch)
}
