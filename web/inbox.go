package web

import (
	"context"
	"os"
	"sync"
	"time"

	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// input is one thing a web client sent: a stream open (or restart), a
// top-level element, or the terminal error that ends the stream.
type input struct {
	open *xml.Element
	el   *xml.Element
	err  error
}

// inbox hands a web client's input to the c2s session's reading
// goroutine, with the read deadlines c2s.Transport promises: the
// session's Next waits for input or the deadline, whichever is first.
// The HTTP side pushes; a terminal error stays at the head so that every
// later read returns it too.
type inbox struct {
	mu       sync.Mutex
	items    []input
	ready    chan struct{} // capacity 1: "items changed"
	taken    chan struct{} // capacity 1: "the reader took an item"
	deadline deadline
}

func newInbox() *inbox {
	return &inbox{ready: make(chan struct{}, 1), taken: make(chan struct{}, 1), deadline: newDeadline()}
}

// push appends in; it reports false once a terminal error is queued.
func (b *inbox) push(in input) bool {
	b.mu.Lock()
	if n := len(b.items); n > 0 && b.items[n-1].err != nil {
		b.mu.Unlock()
		return false
	}
	b.items = append(b.items, in)
	b.mu.Unlock()
	select {
	case b.ready <- struct{}{}:
	default:
	}
	return true
}

// fail ends the input with err (no-op if already ended).
func (b *inbox) fail(err error) { b.push(input{err: err}) }

// next waits for the next input until the read deadline.
func (b *inbox) next() input {
	for {
		b.mu.Lock()
		if len(b.items) > 0 {
			in := b.items[0]
			if in.err == nil {
				b.items[0] = input{}
				b.items = b.items[1:]
			}
			b.mu.Unlock()
			select {
			case b.taken <- struct{}{}:
			default:
			}
			return in
		}
		b.mu.Unlock()
		select {
		case <-b.ready:
		case <-b.deadline.wait():
			return input{err: os.ErrDeadlineExceeded}
		}
	}
}

// waitTaken waits until the reader has taken everything queued, or
// ctx ends.
func (b *inbox) waitTaken(ctx context.Context) {
	for {
		b.mu.Lock()
		n := len(b.items)
		b.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-b.taken:
		case <-ctx.Done():
			return
		}
	}
}

// readHeader and readElement implement the reading half of
// c2s.Transport on top of next.
func (b *inbox) readHeader() (*xml.Element, error) {
	in := b.next()
	switch {
	case in.err != nil:
		return nil, in.err
	case in.open == nil:
		return nil, stream.Errorf(stream.NotAuthorized, "open the stream first")
	}
	return in.open, nil
}

func (b *inbox) readElement() (*xml.Element, error) {
	in := b.next()
	switch {
	case in.err != nil:
		return nil, in.err
	case in.open != nil:
		return nil, stream.Errorf(stream.NotAuthorized, "unexpected stream restart")
	}
	return in.el, nil
}

// deadline is a settable point in time whose passing closes a channel,
// like the read deadline of a net.Conn (modelled on net.Pipe's).
type deadline struct {
	mu     sync.Mutex
	timer  *time.Timer
	passed chan struct{} // closed when the deadline has passed
}

func newDeadline() deadline { return deadline{passed: make(chan struct{})} }

// set moves the deadline; the zero time means none.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.passed // the timer fired: wait for its close before replacing
	}
	d.timer = nil
	select {
	case <-d.passed:
		d.passed = make(chan struct{})
	default:
	}
	if t.IsZero() {
		return
	}
	if dur := time.Until(t); dur > 0 {
		passed := d.passed
		d.timer = time.AfterFunc(dur, func() { close(passed) })
		return
	}
	close(d.passed)
}

func (d *deadline) wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.passed
}
