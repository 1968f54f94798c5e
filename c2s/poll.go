package c2s

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-im/parley/internal/netpoll"
)

// Polling: a bound TCP session keeps no goroutine while its client is
// quiet. When its reader finds the socket drained it returns the
// connection to the poller (internal/netpoll) and its goroutine ends;
// input or a deadline wakes the session, and a worker of the server's
// pool runs its stanza loop again from where it stopped. What the
// session sends is written by a flusher that never blocks; a socket
// that does not take everything gets a writer goroutine until its queue
// is empty. Negotiation (TLS, SASL, bind), WebSocket and BOSH sessions,
// and every session on systems without epoll, keep their reading
// goroutine.
//
// Why: an idle goroutine blocked in a read keeps an 8 KiB stack (most of
// an idle connection's memory), and every message on a quiet
// connection cost a read that found nothing, a write deadline and a
// writer goroutine started for one write. Now it costs the one read and
// the one write.
//
// A session's run state says who may run its loop: parked (nobody: the
// poller or its timer will wake it), queued (in the pool's queue),
// running (a goroutine is in the loop) and rerun (running, and woken
// again meanwhile: it reads once more before it parks). Only the
// goroutine that moved the state to running touches the loop's fields.

// Run states of a polled session.
const (
	runParked int32 = iota
	runQueued
	runRunning
	runRerun
	runStopped
)

// errParked ends a stanza loop whose connection went back to the
// poller: the loop continues on a worker when the session is woken.
var errParked = errors.New("c2s: parked in the poller")

// errNotSocket: a transport whose connection has no socket cannot poll.
var errNotSocket = errors.New("c2s: connection is not a socket")

// polled is the polling state of a session (nil while a goroutine
// reads it).
type polled struct {
	s       *Session
	tr      *tcpTransport
	handle  *netpoll.Handle
	state   atomic.Int32
	ctx     context.Context
	timer   *time.Timer // wakes the session at its next deadline
	timerAt time.Time   // when timer fires (loop only); zero: not armed
}

// pollable is what a session needs from its transport to poll.
type pollable interface {
	startPolling(p *netpoll.Poller, ready func(hangup bool), wake func()) (*netpoll.Handle, error)
}

// startPolling switches a bound session to polling, if the server has
// a poller and the transport can. It is called by the goroutine about to
// run the stanza loop.
func (s *Session) startPolling(ctx context.Context) {
	if s.srv.poller == nil || s.poll != nil {
		return
	}
	s.mu.Lock()
	t, ok := s.tr.(*tcpTransport)
	s.mu.Unlock()
	if !ok {
		return
	}
	p := &polled{s: s, tr: t, ctx: ctx}
	p.state.Store(runRunning)
	s.poll = p
	h, err := t.startPolling(s.srv.poller, p.ready, p.wake)
	if err != nil {
		s.poll = nil
		s.logger().Debug("connection not polled", "err", err)
		return
	}
	p.handle = h
}

// ready is the poller's call: input arrived, or the end of it.
func (p *polled) ready(hangup bool) {
	if hangup {
		p.tr.sock.hangup.Store(true)
	}
	p.wake()
}

// wake makes sure the session's loop runs soon: on a worker if it is
// parked, or once more by the goroutine running it. It never blocks
// (the poller calls it), and does nothing once polling has stopped.
func (p *polled) wake() {
	for {
		switch st := p.state.Load(); st {
		case runParked:
			if p.state.CompareAndSwap(runParked, runQueued) {
				p.s.srv.workers.submit(p)
				return
			}
		case runRunning:
			if p.state.CompareAndSwap(runRunning, runRerun) {
				return
			}
		default:
			return // queued, already asked to rerun, or stopped
		}
	}
}

// park returns the connection to the poller until input arrives or
// deadline passes. It reports false when the session was woken since
// the loop last read (then the loop reads again).
func (p *polled) park(deadline time.Time) bool {
	now := time.Now()
	if p.timerAt.IsZero() || !now.Before(p.timerAt) || deadline.Before(p.timerAt) {
		// Re-armed only when it has fired or must fire sooner: while a
		// client is active its deadline moves later at every stanza, and
		// a timer that fires early just parks the session again.
		if p.timer == nil {
			p.timer = time.AfterFunc(deadline.Sub(now), p.wake)
		} else {
			p.timer.Reset(deadline.Sub(now))
		}
		p.timerAt = deadline
	}
	if p.state.CompareAndSwap(runRunning, runParked) {
		return true
	}
	p.state.Store(runRunning) // it was rerun: read again
	p.tr.rearm()
	return false
}

// resume runs a woken session's stanza loop on a worker, and ends the
// session if the loop ends.
func (p *polled) resume() {
	s := p.s
	p.state.Store(runRunning)
	p.tr.rearm()
	err := s.runSafely(p.ctx, s.readStanzas)
	if err == errParked {
		return
	}
	s.afterLoop(p.ctx, err)
}

// stopPolling takes the connection out of the poller for good (the
// loop has ended); a later connection of the session (a resumption)
// polls afresh.
func (s *Session) stopPolling() {
	p := s.poll
	if p == nil {
		return
	}
	s.poll = nil
	p.state.Store(runStopped)
	p.handle.Remove()
	if p.timer != nil {
		p.timer.Stop()
	}
}

// workerPool runs the stanza loops of woken sessions. It keeps one
// spare worker ready while sessions wait in its queue, so that a loop
// blocked in a handler (a database query, a full archive queue, a rate
// limit) never holds up the others: the spare takes the next session,
// and leaves another spare if more wait. With nothing blocked, one
// worker runs session after session and the spare finds the queue
// empty. Idle workers beyond a few end.
type workerPool struct {
	mu      sync.Mutex
	cond    sync.Cond
	queue   []*polled
	head    int
	idle    int // workers waiting for work
	spare   int // workers woken or started that have not taken a session yet
	workers int
	maxIdle int
	closed  bool
}

// maxWorkers bounds the pool. It only grows past a few workers while
// handlers block (or the CPU is preempted away from a busy worker);
// sessions beyond it wait their turn.
const maxWorkers = 1024

func newWorkerPool() *workerPool {
	p := &workerPool{maxIdle: 2*runtime.GOMAXPROCS(0) + 2}
	p.cond.L = &p.mu
	return p
}

// submit queues a woken session.
func (p *workerPool) submit(s *polled) {
	p.mu.Lock()
	p.queue = append(p.queue, s)
	spawn := p.spare == 0 && (p.idle > 0 || p.workers < maxWorkers) && p.addSpareLocked()
	p.mu.Unlock()
	if spawn {
		go p.work()
	}
}

// addSpareLocked wakes an idle worker or reports that one must be
// started.
func (p *workerPool) addSpareLocked() (spawn bool) {
	p.spare++
	if p.idle > 0 {
		p.idle--
		p.cond.Signal()
		return false
	}
	p.workers++
	return true
}

func (p *workerPool) work() {
	var sc flushScratch
	p.mu.Lock()
	spare := true // started as a spare
	for {
		if p.head < len(p.queue) {
			s := p.queue[p.head]
			p.queue[p.head] = nil
			p.head++
			if p.head == len(p.queue) {
				p.queue, p.head = p.queue[:0], 0
			}
			if spare {
				p.spare--
				spare = false
			}
			spawn := false
			if p.head < len(p.queue) && p.spare == 0 && p.workers < maxWorkers {
				spawn = p.addSpareLocked()
			}
			p.mu.Unlock()
			if spawn {
				go p.work()
			}
			s.resume()
			for _, f := range s.s.srv.flushers {
				f.drain(&sc)
			}
			p.mu.Lock()
			continue
		}
		if spare {
			p.spare--
			spare = false
		}
		if p.closed || p.idle >= p.maxIdle {
			p.workers--
			p.mu.Unlock()
			return
		}
		p.idle++
		p.cond.Wait()
		spare = !p.closed
	}
}

// close ends the idle workers; sessions still queued are run first.
func (p *workerPool) close() {
	p.mu.Lock()
	p.closed = true
	p.idle = 0
	p.cond.Broadcast()
	p.mu.Unlock()
}

// flusher writes the outbound queues of polled sessions without
// blocking: a push to an idle queue hands the session to a flusher,
// which writes everything queued with one system call per session. A
// socket that does not take all of it gets a writer goroutine for the
// rest (writeLoop), which blocks with the write timeout as writers
// always did. Sessions are spread over one flusher per CPU.
//
// Who writes: a worker, after each session it ran, drains every
// flusher, so that under load the writes keep pace with the reads and
// what a burst of input queued for one client goes out in one write.
// Each flusher also has a goroutine for pushes made elsewhere (timers,
// rooms, a worker blocked in a handler): it runs when the CPU is free
// and usually finds nothing left.
type flusher struct {
	mu      sync.Mutex
	stopped bool
	pending []flushJob
	wakeup  chan struct{}
}

type flushJob struct {
	s    *Session
	q    *outQueue
	t    *tcpTransport
	done chan struct{}
}

// flushScratch is a drainer's reusable buffers.
type flushScratch struct {
	jobs  []flushJob
	batch [][]byte
	buf   []byte
}

func newFlushers(n int) []*flusher {
	fs := make([]*flusher, n)
	for i := range fs {
		fs[i] = &flusher{wakeup: make(chan struct{}, 1)}
		go fs[i].run()
	}
	return fs
}

// add hands a queue whose writer is not running to the flusher (the
// queue has marked it running); false once the flusher has stopped.
func (f *flusher) add(j flushJob) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return false
	}
	f.pending = append(f.pending, j)
	if len(f.pending) == 1 {
		select {
		case f.wakeup <- struct{}{}:
		default:
		}
	}
	return true
}

// stop ends the flusher's goroutine once it has drained; later pushes
// start writer goroutines.
func (f *flusher) stop() {
	f.mu.Lock()
	f.stopped = true
	close(f.wakeup)
	f.mu.Unlock()
}

func (f *flusher) run() {
	var sc flushScratch
	for range f.wakeup {
		f.drain(&sc)
	}
	f.drain(&sc)
}

// drain writes every queue handed to the flusher until none is left.
func (f *flusher) drain(sc *flushScratch) {
	for {
		f.mu.Lock()
		sc.jobs, f.pending = f.pending, sc.jobs[:0]
		f.mu.Unlock()
		if len(sc.jobs) == 0 {
			return
		}
		for i := range sc.jobs {
			sc.flush(sc.jobs[i])
			sc.jobs[i] = flushJob{}
		}
	}
}

// maxFlushBuf is the largest concatenation buffer a drainer keeps.
const maxFlushBuf = 16 << 10

// flush writes what j's queue holds until it is empty, or hands the
// queue to a writer goroutine when the socket is full.
func (sc *flushScratch) flush(j flushJob) {
	for {
		var closing, ok bool
		sc.batch, closing, ok = j.q.next(sc.batch)
		if !ok {
			return // the queue is idle again; the next push comes back here
		}
		chunks := len(sc.batch) // the queue's, before an ack request joins them
		if !j.s.closed.Load() {
			if r := j.s.ackRequest(); r != nil {
				sc.batch = append(sc.batch, r)
			}
		}
		var b []byte
		switch len(sc.batch) {
		case 0: // the end of a stream with nothing more to say
		case 1:
			b = sc.batch[0]
		default:
			sc.buf = sc.buf[:0]
			for _, c := range sc.batch {
				sc.buf = append(sc.buf, c...)
			}
			b = sc.buf
		}
		clear(sc.batch)
		flushed, err := true, error(nil)
		if len(b) > 0 {
			flushed, err = j.t.tryWrite(b)
		}
		if cap(sc.buf) > maxFlushBuf {
			sc.buf = nil
		}
		if err != nil {
			j.s.writeFailed(j.q, j.t, j.done, err)
			return
		}
		if !flushed {
			// The client reads slower than we write: a goroutine waits
			// for its socket, as every writer did before polling.
			go j.s.writeLoop(j.q, j.t, j.done, true, chunks, closing)
			return
		}
		j.q.wrote(chunks)
		if closing {
			j.s.closeWrite(j.t, j.done)
			return
		}
	}
}
