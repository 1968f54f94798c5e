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

// writer archives in the background with group commit. Routing hands it
// a message and gets the archive ID at once (it goes into the delivered
// copy as <stanza-id/>): IDs are chosen here, increasing, from the clock
// and the node's slot (ids.go), and a message's archive time is its
// ID's, so nothing waits for the database and the archive's
// time order is its ID order. One goroutine writes whatever is queued in
// one transaction: while a commit runs the next batch gathers, so at a
// high message rate a commit carries thousands of messages.
//
// Durability: a message is stored once the batch holding it commits.
// Sync waits for that, for everything queued before it is called; the
// server calls it before acknowledging a client's stanzas (XEP-0198), so
// an acknowledged message is in the archive. A batch that fails is
// retried until it is stored (or the server stops): the queue then fills
// and routing waits, rather than an acknowledgement becoming untrue.
//
// The queue is bounded in messages and bytes; when the database falls
// behind, routing waits for room (back-pressure, not memory growth).
//
// Quotas: with a per-user limit in bytes, the writer knows each owner's
// usage -- read from the store, plus what it queued and wrote since --
// and refuses (archives no copy for) a message that would pass it.
//
// Locking: sendMu, then mu or usageMu; mu and usageMu are never held
// together nor while calling the store.
type writer struct {
	store store.Archive
	log   *slog.Logger
	now   func() time.Time
	quota int64 // bytes per owner; 0: none
	slot  int   // this node's slot in archive IDs (ids.go)

	// sendMu orders appends: an ID is chosen and queued under it, so the
	// queue is in ID order. It may be held while waiting for room; the
	// writer goroutine never takes it.
	sendMu sync.Mutex
	last   int64 // the last ID handed out (sendMu)

	mu         sync.Mutex
	queue      []store.ArchiveAppend
	queueBytes int
	queued     uint64        // messages ever queued
	written    uint64        // messages done (stored, or refused by the store): all up to this count
	stopped    bool          // no more appends
	work       chan struct{} // a message was queued (buffered 1)
	progress   chan struct{} // closed (and replaced) when room frees or written grows
	lastBehind time.Time     // when "routing waits" was last logged

	usageMu sync.Mutex
	usage   map[string]*usageEntry
}

// usageEntry is what the writer knows of one owner's archive size.
type usageEntry struct {
	stored  int64     // bytes in the store: as read, plus what this writer stored since
	pending int64     // bytes queued, not yet written
	read    time.Time // when stored was read from the store
	warned  time.Time // when a refusal was last logged
}

const (
	// A batch: up to this many messages or bytes per transaction.
	maxBatch      = 4096
	maxBatchBytes = 8 << 20
	// The queue: up to this many messages or bytes waiting.
	queueDepth = 16384
	queueBytes = 32 << 20
	// usageTTL is how long an idle owner's usage is trusted before it is
	// read again (deletions by retention or by `parley user remove`).
	usageTTL = time.Minute
	// maxUsageEntries bounds the usage cache.
	maxUsageEntries = 100000
)

func newWriter(st store.Archive, log *slog.Logger, now func() time.Time, quota int64, slot int) *writer {
	return &writer{store: st, log: log, now: now, quota: quota, slot: slot, work: make(chan struct{}, 1),
		progress: make(chan struct{}), usage: make(map[string]*usageEntry)}
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

// append queues one message for owner and returns its archive ID; m.ID
// and m.At are chosen here. It fails with ErrQuota when the owner's
// archive is full, ErrStopped once the writer stopped, or ctx's error if
// ctx ends while it waits for room.
func (w *writer) append(ctx context.Context, owner string, m store.ArchivedMessage) (string, error) {
	size := int64(len(m.Stanza))
	if !w.reserve(ctx, owner, size) {
		return "", ErrQuota
	}
	w.sendMu.Lock()
	defer w.sendMu.Unlock()
	for {
		w.mu.Lock()
		if w.stopped {
			w.mu.Unlock()
			w.release(owner, size, false)
			return "", ErrStopped
		}
		if len(w.queue) < queueDepth && (w.queueBytes+len(m.Stanza) <= queueBytes || len(w.queue) == 0) {
			break // w.mu held
		}
		wait := w.progress
		warn := w.now().Sub(w.lastBehind) > 10*time.Second
		if warn {
			w.lastBehind = w.now()
		}
		w.mu.Unlock()
		if warn { // at most every 10 s: under overload this is every message
			w.log.Warn("archive writer behind; routing waits for its queue")
		}
		select {
		case <-wait:
		case <-ctx.Done():
			w.release(owner, size, false)
			return "", ctx.Err()
		}
	}
	w.last = nextID(w.last, w.now(), w.slot)
	m.ID = strconv.FormatInt(w.last, 10)
	m.At = IDTime(w.last)
	w.queue = append(w.queue, store.ArchiveAppend{Owner: owner, Message: m})
	w.queueBytes += len(m.Stanza)
	w.queued++
	w.mu.Unlock()
	select {
	case w.work <- struct{}{}:
	default:
	}
	return m.ID, nil
}

// sync waits until every message queued before the call is stored; an
// error means ctx ended or the writer stopped first.
func (w *writer) sync(ctx context.Context) error {
	w.mu.Lock()
	target := w.queued
	for w.written < target {
		// Once stopped, run still writes what was queued: progress comes.
		wait := w.progress
		w.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		}
		w.mu.Lock()
	}
	w.mu.Unlock()
	return nil
}

// run writes batches until ctx ends, then what is left, and returns.
func (w *writer) run(ctx context.Context) {
	for {
		batch := w.take()
		if len(batch) == 0 {
			select {
			case <-w.work:
				continue
			case <-ctx.Done():
			}
			w.mu.Lock()
			w.stopped = true
			w.mu.Unlock()
			// Appends have stopped: write what is still queued.
			for batch = w.take(); len(batch) > 0; batch = w.take() {
				w.write(ctx, batch)
			}
			w.mu.Lock()
			w.notifyLocked()
			w.mu.Unlock()
			return
		}
		w.write(ctx, batch)
	}
}

// take removes the next batch from the queue: what is queued, up to
// maxBatch messages and maxBatchBytes (at least one message).
func (w *writer) take() []store.ArchiveAppend {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, size := 0, 0
	for n < len(w.queue) && n < maxBatch && (n == 0 || size+len(w.queue[n].Message.Stanza) <= maxBatchBytes) {
		size += len(w.queue[n].Message.Stanza)
		n++
	}
	if n == 0 {
		return nil
	}
	batch := make([]store.ArchiveAppend, n)
	copy(batch, w.queue)
	clear(w.queue[:n])
	w.queue = w.queue[n:]
	if len(w.queue) == 0 {
		w.queue = nil // let the backing array go
	}
	w.queueBytes -= size
	w.notifyLocked() // room for appenders
	return batch
}

// notifyLocked wakes everyone waiting for progress (w.mu held).
func (w *writer) notifyLocked() {
	close(w.progress)
	w.progress = make(chan struct{})
}

// write stores one batch, retrying until it is stored: a lost batch
// would make acknowledgements untrue. Once ctx has ended (the server
// stops) it gives up after a few tries.
func (w *writer) write(ctx context.Context, batch []store.ArchiveAppend) {
	var errs []error
	for try, delay := 1, 50*time.Millisecond; ; try++ {
		var err error
		errs, err = w.store.AppendArchiveBatch(context.WithoutCancel(ctx), batch)
		if err == nil {
			break
		}
		if ctx.Err() != nil && try >= 3 {
			w.log.Error("archive batch lost at shutdown", "messages", len(batch), "err", err)
			errs = make([]error, len(batch))
			for i := range errs {
				errs[i] = err
			}
			break
		}
		w.log.Error("archive batch failed; retrying (routing waits once the queue is full)", "messages", len(batch), "try", try, "err", err)
		time.Sleep(delay)
		delay = min(2*delay, 5*time.Second)
	}
	for i, e := range errs {
		if e != nil && !errors.Is(e, store.ErrNotFound) { // a user deleted meanwhile
			w.log.Error("archive message lost", "owner", batch[i].Owner, "id", batch[i].Message.ID, "err", e)
		}
		w.release(batch[i].Owner, int64(len(batch[i].Message.Stanza)), e == nil)
	}
	w.mu.Lock()
	w.written += uint64(len(batch))
	w.notifyLocked()
	w.mu.Unlock()
}

// reserve counts size bytes for owner, or reports false when that would
// take owner's archive past the quota. The first reservation for an
// owner (or one after usageTTL idle) reads the owner's usage.
func (w *writer) reserve(ctx context.Context, owner string, size int64) bool {
	if w.quota <= 0 {
		return true
	}
	now := w.now()
	w.usageMu.Lock()
	e := w.usage[owner]
	if e == nil || (e.pending == 0 && now.Sub(e.read) > usageTTL) {
		w.usageMu.Unlock()
		u, err := w.store.ArchiveUsage(ctx, owner)
		if err != nil {
			w.log.Error("archive usage", "owner", owner, "err", err)
		}
		w.usageMu.Lock()
		if e = w.usage[owner]; e == nil {
			if len(w.usage) >= maxUsageEntries {
				w.evictIdleLocked()
			}
			e = &usageEntry{}
			w.usage[owner] = e
		}
		if err == nil && !e.read.After(now) {
			e.stored, e.read = u.Bytes, now
		}
	}
	ok := e.stored+e.pending+size <= w.quota
	if ok {
		e.pending += size
	} else if now.Sub(e.warned) > time.Minute {
		e.warned = now
		w.log.Warn("archive quota of a user full: messages are delivered but not archived for them",
			"owner", owner, "stored_bytes", e.stored, "quota_bytes", w.quota)
	}
	w.usageMu.Unlock()
	return ok
}

// release ends a reservation: the bytes are stored, or not.
func (w *writer) release(owner string, size int64, stored bool) {
	if w.quota <= 0 {
		return
	}
	w.usageMu.Lock()
	if e := w.usage[owner]; e != nil {
		e.pending -= size
		if stored {
			e.stored += size
		}
	}
	w.usageMu.Unlock()
}

// forgetUsage makes every idle owner's usage be read again (after a
// prune deleted messages).
func (w *writer) forgetUsage() {
	w.usageMu.Lock()
	for _, e := range w.usage {
		e.read = time.Time{}
	}
	w.usageMu.Unlock()
}

// evictIdleLocked empties the usage cache of owners with nothing queued
// (usageMu held): a cache, not a copy of the table.
func (w *writer) evictIdleLocked() {
	for owner, e := range w.usage {
		if e.pending == 0 {
			delete(w.usage, owner)
		}
	}
}
