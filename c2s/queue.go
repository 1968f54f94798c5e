package c2s

import "sync"

// outQueue is a session's bounded outbound queue. Producers (any
// goroutine routing to the session) append serialized stanzas; a writer
// goroutine drains everything queued in one batch and writes it with a
// single Write, so a burst costs one syscall. The writer runs only while
// there is something to write: an idle connection holds no writer
// goroutine (its stack was most of an idle connection's memory).
type outQueue struct {
	mu        sync.Mutex
	items     [][]byte
	bytes     int
	closing   bool // no more stanzas accepted; final bytes queued
	held      bool // no writer yet: the reader writes (negotiation)
	running   bool // a writer goroutine owns the queue
	dead      bool // a write failed: nothing more is written
	maxBytes  int
	maxCount  int
	overflown bool
	start     func() // starts a writer goroutine (called without mu)

	// Progress, for Session.Drain (flow.go): chunks ever queued and ever
	// written, and a channel closed (and replaced) at each write and
	// when writing fails.
	pushed, written uint64
	progress        chan struct{}
}

// newOutQueue returns a held queue: nothing is written until release.
func newOutQueue(maxBytes, maxCount int, start func()) *outQueue {
	return &outQueue{maxBytes: maxBytes, maxCount: maxCount, held: true, start: start, progress: make(chan struct{})}
}

// pushResult says what push did with a chunk.
type pushResult int

const (
	queued   pushResult = iota
	refused             // closing, dead, or already overflown
	overflow            // the limits were exceeded just now: a slow consumer
)

// push queues b unless the session is closing or the queue is over its
// limits; overflow is reported once, so that the caller disconnects the
// slow consumer once.
func (q *outQueue) push(b []byte) pushResult {
	q.mu.Lock()
	if q.closing || q.dead {
		q.mu.Unlock()
		return refused
	}
	if (q.maxBytes > 0 && q.bytes+len(b) > q.maxBytes) || (q.maxCount > 0 && len(q.items) >= q.maxCount) {
		first := !q.overflown
		q.overflown = true
		q.mu.Unlock()
		if first {
			return overflow
		}
		return refused
	}
	q.items = append(q.items, b)
	q.bytes += len(b)
	q.pushed++
	start := q.wakeLocked()
	q.mu.Unlock()
	if start {
		q.start()
	}
	return queued
}

// pushFinal queues the last chunks of the stream (error, end tag) even
// past the limits, and refuses everything after.
func (q *outQueue) pushFinal(chunks ...[]byte) bool {
	q.mu.Lock()
	if q.closing {
		q.mu.Unlock()
		return false
	}
	q.closing = true
	for _, b := range chunks {
		q.items = append(q.items, b)
		q.bytes += len(b)
		q.pushed++
	}
	start := q.wakeLocked()
	q.mu.Unlock()
	if start {
		q.start()
	}
	return true
}

// release lets writers run (the session is bound, or ending).
func (q *outQueue) release() {
	q.mu.Lock()
	q.held = false
	start := (len(q.items) > 0 || q.closing) && q.wakeLocked()
	q.mu.Unlock()
	if start {
		q.start()
	}
}

// isHeld reports whether the queue still waits for release (the
// session is negotiating).
func (q *outQueue) isHeld() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.held
}

// wakeLocked reports whether a writer must be started, and marks it
// running.
func (q *outQueue) wakeLocked() bool {
	if q.held || q.running || q.dead {
		return false
	}
	q.running = true
	return true
}

// next hands the writer everything queued; closing reports the final
// chunks among them. ok is false when there is nothing to do: the
// writer then exits (a later push starts another).
func (q *outQueue) next(into [][]byte) (items [][]byte, closing, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 && !q.closing {
		q.running = false
		return into[:0], false, false
	}
	items = append(into[:0], q.items...)
	clear(q.items)
	q.items = q.items[:0]
	q.bytes = 0
	return items, q.closing, true
}

// fail marks the connection unwritable and drops what was queued.
func (q *outQueue) fail() {
	q.mu.Lock()
	q.dead, q.running, q.items, q.bytes = true, false, nil, 0
	q.notifyLocked()
	q.mu.Unlock()
}

// wrote records that the writer wrote n chunks handed out by next.
func (q *outQueue) wrote(n int) {
	q.mu.Lock()
	q.written += uint64(n)
	q.notifyLocked()
	q.mu.Unlock()
}

func (q *outQueue) notifyLocked() {
	close(q.progress)
	q.progress = make(chan struct{})
}
