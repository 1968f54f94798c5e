package c2s

import "sync"

// outQueue is a session's bounded outbound queue. Producers (any
// goroutine routing to the session) append serialized stanzas; the
// session's writer goroutine drains everything queued in one batch and
// writes it with a single Write, so a burst costs one syscall.
type outQueue struct {
	mu        sync.Mutex
	items     [][]byte
	bytes     int
	closing   bool // no more stanzas accepted; final bytes queued
	maxBytes  int
	maxCount  int
	signal    chan struct{} // capacity 1: "there is work"
	overflown bool
}

func newOutQueue(maxBytes, maxCount int) *outQueue {
	return &outQueue{maxBytes: maxBytes, maxCount: maxCount, signal: make(chan struct{}, 1)}
}

// pushResult says what push did with a chunk.
type pushResult int

const (
	queued   pushResult = iota
	refused             // closing, or already overflown
	overflow            // the limits were exceeded just now: a slow consumer
)

// push queues b unless the session is closing or the queue is over its
// limits; overflow is reported once, so that the caller disconnects the
// slow consumer once.
func (q *outQueue) push(b []byte) pushResult {
	q.mu.Lock()
	if q.closing {
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
	q.mu.Unlock()
	q.wake()
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
	}
	q.mu.Unlock()
	q.wake()
	return true
}

func (q *outQueue) wake() {
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// take removes everything queued; closing reports whether the final
// bytes are among them (or were already taken).
func (q *outQueue) take(into [][]byte) (items [][]byte, closing bool) {
	q.mu.Lock()
	items = append(into[:0], q.items...)
	clear(q.items)
	q.items = q.items[:0]
	q.bytes = 0
	closing = q.closing
	q.mu.Unlock()
	return items, closing
}
