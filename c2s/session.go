package c2s

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/parley-im/parley/internal/netpoll"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// Handler receives the stanzas of bound sessions. It is implemented by
// package im; c2s only negotiates streams and moves bytes.
type Handler interface {
	// SessionStarted is called once a resource is bound, before any
	// stanza of the session is handled.
	SessionStarted(ctx context.Context, s router.Session) error
	// HandleStanza processes one stanza; from is already checked.
	HandleStanza(ctx context.Context, s router.Session, el *xml.Element)
	// SessionEnded is called once when a started session is gone.
	SessionEnded(ctx context.Context, s router.Session)
	// Unacknowledged is called after SessionEnded with the stanzas a
	// stream management client never acknowledged, in order; the
	// handler treats them as sent to an unavailable resource.
	Unacknowledged(ctx context.Context, s router.Session, stanzas []*xml.Element)
}

// Session is one client connection and, once bound, one resource.
// Its reading goroutine runs negotiation and then handles the client's
// stanzas in order; a second goroutine writes the outbound queue.
type Session struct {
	srv      *Server
	tr       Transport
	content  string // tr.ContentNamespace()
	remote   string // remote IP
	secure   bool   // TLS established (or, on the web, trusted to be)
	tlsFirst bool   // XEP-0368: TLS handshake before the stream
	id       string // connection id (logs)
	streamID string // id of the current stream: new at every restart (RFC 6120 §4.7.3)
	lang     string
	domain   string    // the served domain the client addressed
	started  time.Time // when the connection was accepted
	loginBy  time.Time // the pre-login deadline: authenticate before it

	slot         *connSlot // the connection's place in the limits; moves with a resumption (s.mu, Server.mu)
	preKey       string    // address key of its pre-login slot (Server.mu)
	jid          jid.JID   // full JID once bound; written before Bind, read-only after
	bound        bool
	authed       bool
	authAttempts int           // SASL exchanges started on this connection
	user         string        // authenticated bare JID
	limiter      *rate.Limiter // stanzas per second (shaper.go)
	bytes        *rate.Limiter // bytes per second (shaper.go)

	// mu guards what other goroutines (Deliver, Close) reach through
	// the session while a resumption (XEP-0198) may replace the
	// connection: tr, content, out, wdone, the closing state and sm.
	mu         sync.Mutex
	out        *outQueue
	wdone      chan struct{}               // closed once the final bytes are written (or writing failed)
	closing    bool                        // Close has run for the current connection
	headerSent bool                        // our header of the current stream is out (Close sends one if not)
	closed     atomic.Bool                 // mirrors closing for lock-free reads
	closeBy    atomic.Int64                // once closed: when the reader stops waiting for the client's end tag (UnixNano)
	draining   atomic.Bool                 // closed for a shutdown: what arrives within the grace is still handled
	stop       chan struct{}               // closed by Close: ends the reader's rate-limit waits
	sm         *streamMgmt                 // nil until the client enables stream management
	csi        clientState                 // XEP-0352: held stanzas while the client is inactive
	lg         atomic.Pointer[slog.Logger] // logger(): made on first use
	addr       string                      // remote as accepted (logs)

	// resumedInto is set on a connection that resumed an older session:
	// that session carries on over this connection.
	resumedInto atomic.Pointer[Session]

	// The stanza loop's own state, touched only by the goroutine running
	// the loop (its reader, or a worker of the pool while it polls).
	poll      *polled   // non-nil while the connection is polled (poll.go)
	pinged    bool      // a keepalive ping is out
	idleSince time.Time // when the client last sent an element (or was pinged)
	seen      int64     // input bytes already charged to the byte shaper
	connDone  func()    // called once the current connection has ended
	flush     *flusher  // writes the queue while the connection is polled
	// For HandedOver (flow.go): acks is closed (and replaced, under mu)
	// when the client acknowledges stanzas or a late hand-back finishes;
	// gone is closed once the session has ended for good (after
	// Unacknowledged); lateHandBacks (under mu) counts the stanzas
	// delivered after the end that are still on their way back to the
	// handler.
	acks          chan struct{}
	gone          chan struct{}
	goneOnce      sync.Once
	lateHandBacks int
}

func newSession(srv *Server, tr Transport, remote string, secure bool) *Session {
	s := &Session{
		srv:     srv,
		tr:      tr,
		content: tr.ContentNamespace(),
		remote:  remote,
		secure:  secure,
		id:      randomID(),
		wdone:   make(chan struct{}),
		stop:    make(chan struct{}),
		gone:    make(chan struct{}),
		acks:    make(chan struct{}),
	}
	s.flush = srv.nextFlusher()
	s.out = s.newQueue()
	s.addr = s.remote
	s.limiter, s.bytes = newRateLimiters(srv.cfg)
	return s
}

// logger returns the session's logger, which names the connection. It
// is made on first use: most sessions never log, and a logger with its
// attributes costs an idle connection hundreds of bytes.
func (s *Session) logger() *slog.Logger {
	if l := s.lg.Load(); l != nil {
		return l
	}
	l := s.srv.log.With("conn", s.id, "remote", s.addr)
	s.lg.Store(l)
	return l
}

// JID returns the bound full JID.
func (s *Session) JID() jid.JID { return s.jid }

// Deliver queues a stanza for the client (router.Session). With stream
// management on, the stanza is also kept until the client acknowledges
// it; while the session waits for resumption it is only kept.
func (s *Session) Deliver(el *xml.Element) {
	s.mu.Lock()
	if s.sm != nil && s.sm.ended {
		// The session ended after the sender looked it up: what it
		// would have kept goes where its unacknowledged stanzas went.
		s.lateHandBacks++
		s.mu.Unlock()
		go s.handBackLate(el)
		return
	}
	if s.csi.hold(el) {
		s.mu.Unlock()
		return // the client is inactive and this can wait (XEP-0352)
	}
	res := refused
	for _, held := range s.csi.drain() { // something urgent: all goes now
		res = worse(res, s.deliverLocked(held))
	}
	res = worse(res, s.deliverLocked(el))
	hibernating := s.sm != nil && s.sm.hibernating
	held := 0
	if hibernating && res == queued && el.Name == stanza.Message && s.srv.cfg.OnHeld != nil {
		for _, u := range s.sm.unacked {
			if u.el.Name == stanza.Message {
				held++
			}
		}
	}
	s.mu.Unlock()
	switch {
	case res == overflow && hibernating:
		go s.expire(context.Background())
	case res == overflow:
		s.slowConsumer()
	case held > 0:
		s.srv.cfg.OnHeld(context.Background(), s.jid, el, held)
	}
}

// deliverLocked counts (stream management) and queues one stanza, in
// that order under s.mu, so the order on the wire is the order counted.
func (s *Session) deliverLocked(el *xml.Element) pushResult {
	var b []byte
	if m := s.sm; m != nil {
		size := 0
		if m.hibernating {
			size = el.Size() // kept as a tree for the resumption
		} else {
			b = el.Bytes(s.content)
			size = len(b)
		}
		if m.keep(el, size, s.srv.cfg.QueueStanzas, s.srv.cfg.UnackedBytes) {
			return overflow // never acknowledged: as bad as never read
		}
		if m.hibernating {
			return queued // kept for the resumption
		}
	} else {
		b = el.Bytes(s.content)
	}
	res := s.out.push(b)
	if res == queued {
		s.srv.metrics.StanzasOut.Inc()
	}
	return res
}

// worse returns the push result that matters more: overflow, then
// queued, then refused.
func worse(a, b pushResult) pushResult {
	if a == overflow || b == overflow {
		return overflow
	}
	if a == queued || b == queued {
		return queued
	}
	return refused
}

// Close ends the stream with err (router.Session). It never blocks.
func (s *Session) Close(err *stream.Error) {
	if r := s.resumedInto.Load(); r != nil {
		r.Close(err) // this connection now carries that session
		return
	}
	s.mu.Lock()
	if s.sm != nil && s.sm.hibernating {
		s.mu.Unlock()
		go s.expire(context.Background()) // a hibernating session cannot be told; it ends
		return
	}
	if s.closing {
		s.mu.Unlock()
		return
	}
	s.closing = true
	// A shutdown drains: what the client sent before it saw the end is
	// still handled until the grace deadline (which nothing extends), so
	// that stopping the server loses no stanza already on its way. Any
	// other end (a conflict, a slow consumer, a stream error) stops
	// processing at once.
	s.draining.Store(err != nil && err.Condition == stream.SystemShutdown)
	close(s.stop)
	deadline := time.Now().Add(closeGrace)
	if s.out.isHeld() {
		// Still negotiating (the reader writes, the queue waits for it):
		// no grace to wait for, and the final bytes go once the reader
		// stops, which it does now.
		deadline = time.Now()
	}
	s.closeBy.Store(deadline.UnixNano())
	s.closed.Store(true)
	out, tr := s.out, s.tr
	var final [][]byte
	if err != nil && !s.headerSent {
		// A stream error needs our stream header before it (RFC 6120
		// §4.9.1.2), even when the client never finished sending its own.
		s.headerSent = true
		final = append(final, tr.Header(stream.Header{From: s.srv.defaultDomain(), ID: randomID(), Content: ns.Client, Lang: "en"}))
	}
	if err != nil {
		s.srv.metrics.StreamErrors.WithLabelValues(string(err.Condition)).Inc()
		final = append(final, s.streamElement(err.Element()))
	}
	s.mu.Unlock()
	out.pushFinal(append(final, tr.Trailer())...)
	// Give the client a moment to answer with its own end tag, then
	// unblock the reader whatever it does. Nothing it sends meanwhile is
	// processed (stanzaLoop).
	tr.SetReadDeadline(deadline)
}

// closeGrace is how long a closing stream waits for the peer's end tag.
const closeGrace = 2 * time.Second

func (s *Session) slowConsumer() {
	s.srv.metrics.SlowConsumers.Inc()
	s.logger().Warn("slow consumer disconnected", "jid", s.jid.String())
	s.Close(stream.Errorf(stream.PolicyViolation, "too much data queued: the client does not read fast enough"))
	// A client that reads nothing would keep the writer blocked: it gets
	// a grace period to take the stream error, then the write fails.
	s.mu.Lock()
	tr := s.tr
	s.mu.Unlock()
	tr.SetWriteDeadline(time.Now().Add(closeGrace))
}

// streamElement serializes a top-level element of the stream namespace
// (features, errors) for this transport.
func (s *Session) streamElement(el *xml.Element) []byte {
	var b bytes.Buffer
	stream.AppendElement(&b, el, s.content)
	return b.Bytes()
}

// newQueue returns an outbound queue for the current connection (s.mu
// held or s not yet shared). During negotiation the reading goroutine
// writes directly (STARTTLS swaps the connection); the queue is released
// to writers once the session is bound, or when it ends.
func (s *Session) newQueue() *outQueue {
	tr, done := s.tr, s.wdone
	var q *outQueue
	q = newOutQueue(s.srv.cfg.QueueBytes, s.srv.cfg.QueueStanzas, func() { s.startWriter(q, tr, done) })
	return q
}

// startWriter writes what was pushed to an idle queue: a polled
// connection's flusher does it without a goroutine of its own, any
// other gets a writer goroutine for as long as there is something to
// write.
func (s *Session) startWriter(q *outQueue, tr Transport, done chan struct{}) {
	if t, ok := tr.(*tcpTransport); ok && t.polling.Load() && s.flush != nil && s.flush.add(flushJob{s: s, q: q, t: t, done: done}) {
		return
	}
	go s.writeLoop(q, tr, done, false, 0, false)
}

// writeDirect writes negotiation data synchronously, before the writer
// goroutine exists.
func (s *Session) writeDirect(chunks ...[]byte) error {
	return writeTo(s.tr, chunks, s.srv.cfg.WriteTimeout)
}

func writeTo(tr Transport, chunks [][]byte, timeout time.Duration) error {
	if len(chunks) == 0 {
		return nil
	}
	if timeout > 0 {
		tr.SetWriteDeadline(time.Now().Add(timeout))
	}
	return tr.Write(chunks)
}

// writeLoop drains q to tr while there is something to write; it
// closes done after the final bytes (and half-closes the connection) or
// when a write fails. pending says a flusher left bytes on the
// transport that go first (closing: the stream's final bytes among
// them); pendingChunks of the queue's chunks are among those bytes
// (counted as written once they are, for Drain).
func (s *Session) writeLoop(q *outQueue, tr Transport, done chan struct{}, pending bool, pendingChunks int, closing bool) {
	if pending {
		timeout := s.srv.cfg.WriteTimeout
		if s.closed.Load() {
			timeout = closeGrace
		}
		tr.SetWriteDeadline(time.Now().Add(timeout))
		if err := tr.(*tcpTransport).finishWrite(); err != nil {
			s.writeFailed(q, tr, done, err)
			return
		}
		q.wrote(pendingChunks)
		if closing {
			s.closeWrite(tr, done)
			return
		}
	}
	var batch [][]byte
	for {
		var ok bool
		batch, closing, ok = q.next(batch)
		if !ok {
			return // idle: the next push starts a writer again
		}
		timeout := s.srv.cfg.WriteTimeout
		chunks := len(batch)
		if s.closed.Load() {
			timeout = closeGrace
		} else if r := s.ackRequest(); r != nil {
			batch = append(batch, r)
		}
		if err := writeTo(tr, batch, timeout); err != nil {
			s.writeFailed(q, tr, done, err)
			return
		}
		q.wrote(chunks)
		clear(batch)
		if closing {
			s.closeWrite(tr, done)
			return
		}
	}
}

// writeFailed ends the writing of a connection whose write failed.
func (s *Session) writeFailed(q *outQueue, tr Transport, done chan struct{}, err error) {
	s.logger().Debug("write failed", "err", err)
	q.fail()
	tr.Close() // unblocks (or wakes) the reader
	close(done)
}

// closeWrite half-closes the connection after the stream's final bytes.
func (s *Session) closeWrite(tr Transport, done chan struct{}) {
	if cw, ok := tr.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	close(done)
}

// serve runs the session; done is called once its connection has
// ended. A polled session's loop goes on (and ends) on the workers of
// the pool, after serve has returned.
func (s *Session) serve(ctx context.Context, done func()) {
	s.connDone = done
	err := s.runSafely(ctx, s.run)
	if old := s.resumedInto.Load(); old != nil {
		// This connection resumed an older session, which goes on here.
		old.connDone = done
		old.afterLoop(ctx, old.runSafely(ctx, old.stanzaLoop))
		return
	}
	s.afterLoop(ctx, err)
}

// afterLoop ends the connection once the stanza loop has stopped with
// err, unless it only parked in the poller.
func (s *Session) afterLoop(ctx context.Context, err error) {
	if err == errParked {
		return
	}
	// Taken before finish: a resumable session hibernates in finish, and
	// from then on a resumption may move it onto another connection and
	// set connDone for that one.
	done := s.connDone
	s.connDone = nil
	s.stopPolling()
	s.finish(ctx, err)
	if done != nil {
		done()
	}
}

// finish ends the current connection after its reader stopped with
// err: a resumable session whose connection was lost hibernates (waits
// for a resumption); otherwise the stream is closed and, if bound, the
// session ends.
func (s *Session) finish(ctx context.Context, err error) {
	var se *stream.Error
	switch {
	case s.bound && !s.closed.Load() && s.resumable() && connectionLost(err):
		s.logger().Debug("connection lost; session waits for resumption", "err", err)
		s.hibernate(ctx)
		return
	case errors.As(err, &se):
		s.logger().Debug("stream error", "condition", se.Condition, "text", se.Text)
		s.Close(se)
	case err == nil, errors.Is(err, xml.ErrStreamClosed), errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		s.Close(nil)
	default:
		if !s.closed.Load() {
			s.logger().Debug("connection ended", "err", err)
		}
		s.Close(nil)
	}
	s.mu.Lock()
	out := s.out
	s.mu.Unlock()
	out.release()
	// Wait for the writer to flush the end of stream, bounded by the
	// write timeout, then release the connection.
	select {
	case <-s.wdone:
	case <-time.After(s.srv.cfg.WriteTimeout + closeGrace):
	}
	s.tr.Close()
	if s.bound {
		s.end(ctx)
	}
}

// connectionLost reports a stream that ended without either side
// closing it: the end a resumable session survives.
func connectionLost(err error) bool {
	var se *stream.Error
	if errors.As(err, &se) {
		return se.Condition == stream.ConnectionTimeout
	}
	return err != nil && !errors.Is(err, xml.ErrStreamClosed)
}

// end unregisters a bound session for good.
func (s *Session) end(ctx context.Context) {
	s.srv.dropAccountSession(s)
	s.srv.handler.SessionEnded(context.WithoutCancel(ctx), s)
	s.srv.metrics.Sessions.Dec()
	s.logger().Info("session ended", "jid", s.jid.String())
	if unacked := s.takeUnacked(); len(unacked) > 0 {
		s.srv.handler.Unacknowledged(context.WithoutCancel(ctx), s, unacked)
	}
	s.goneOnce.Do(func() { close(s.gone) })
}

// runSafely runs the session and turns a panic (a bug) into an
// internal-server-error for this client only, as net/http does for a
// handler: one bad stanza must not take the server down.
func (s *Session) runSafely(ctx context.Context, run func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.logger().Error("panic in session", "panic", r, "stack", string(debug.Stack()))
			err = stream.Errorf(stream.InternalServerError, "")
		}
	}()
	return run(ctx)
}

// run negotiates the stream and then reads stanzas until the stream ends.
func (s *Session) run(ctx context.Context) error {
	s.started = time.Now()
	s.loginBy = s.started.Add(s.srv.cfg.PreloginTimeout)
	// Until it authenticates the client costs the attacker nothing:
	// small elements only (a parse costs CPU in proportion).
	s.tr.SetMaxStanzaBytes(s.srv.cfg.PreloginStanzaBytes)
	if s.tlsFirst {
		if err := s.directTLS(ctx); err != nil {
			return err
		}
		s.secure = true
	}
	// Until it authenticates the client has the shorter pre-login
	// deadline; then the handshake deadline bounds the rest.
	s.tr.SetReadDeadline(s.loginBy)
	for !s.bound {
		restart, err := s.negotiate(ctx)
		if err != nil || s.resumedInto.Load() != nil {
			return err
		}
		if s.authed {
			s.tr.SetReadDeadline(s.started.Add(s.srv.cfg.HandshakeTimeout))
		}
		if r, ok := s.tr.(interface{ Restart() }); ok && restart {
			r.Restart()
			s.restarted()
		}
	}
	s.mu.Lock()
	out := s.out
	s.mu.Unlock()
	out.release() // bound: stanzas are written by the queue's writer from now on
	return s.stanzaLoop(ctx)
}

// stanzaLoop handles the stanzas of a bound session. It also keeps the
// stream alive as XEP-0199 suggests: after PingInterval of silence the
// server pings the client, and if nothing arrives within PingTimeout
// the stream ends with <connection-timeout/>. A TCP session polls from
// here on (poll.go): the loop parks between bursts and a worker resumes
// it (readStanzas) when the client sends more.
func (s *Session) stanzaLoop(ctx context.Context) error {
	s.pinged = false
	s.seen = s.tr.BytesIn() // what negotiation read is not charged
	s.idleSince = time.Now()
	s.startPolling(ctx)
	return s.readStanzas(ctx)
}

// readDeadline is when the loop stops waiting for the client: the
// keepalive deadlines, or the grace of a closed stream.
func (s *Session) readDeadline() time.Time {
	switch {
	case s.closed.Load():
		// Close set a grace deadline: keep it, however much the client
		// keeps sending.
		return time.Unix(0, s.closeBy.Load())
	case s.pinged:
		return s.idleSince.Add(s.srv.cfg.PingTimeout)
	}
	return s.idleSince.Add(s.srv.cfg.PingInterval)
}

// next returns the client's next element; a polled session parks
// (errParked) when nothing complete is buffered and the socket is
// drained. A deadline that passed is a timeout error either way.
func (s *Session) next() (*xml.Element, error) {
	deadline := s.readDeadline()
	if s.poll == nil {
		s.tr.SetReadDeadline(deadline)
		return s.tr.Next()
	}
	for {
		el, err := s.tr.Next()
		switch {
		case errors.Is(err, netpoll.ErrWouldBlock):
			if !time.Now().Before(deadline) {
				return nil, os.ErrDeadlineExceeded
			}
			if s.poll.park(deadline) {
				return nil, errParked
			}
			continue // woken meanwhile: read again
		case err == nil && s.closed.Load() && !time.Now().Before(deadline):
			return nil, os.ErrDeadlineExceeded // a closed stream's grace is over
		}
		return el, err
	}
}

// readStanzas is the body of the stanza loop.
func (s *Session) readStanzas(ctx context.Context) error {
	for {
		el, err := s.next()
		if err == errParked {
			return err
		}
		if err == nil && s.closed.Load() && !s.draining.Load() {
			// The server has ended this stream (a conflict, a slow
			// consumer, a stream error): nothing more is processed, the
			// reader only waits for the client's end tag.
			continue
		}
		if isTimeout(err) && !s.pinged && !s.closed.Load() {
			s.pinged = true
			s.idleSince = time.Now()
			s.Deliver(stanza.NewIQ("get", "keepalive-"+randomID()[:8], s.domain, s.jid.String(),
				xml.NewElement(ns.Ping, "ping")))
			continue
		}
		if err != nil {
			return stream.ReadError(err)
		}
		s.pinged = false
		s.idleSince = time.Now()
		if el.Space == ns.SM {
			if el.Name == "r" {
				// What the <a/> acknowledges must be stored first.
				if err := s.durable(ctx); err != nil {
					return err
				}
			}
			if err := s.handleSM(el); err != nil {
				return err
			}
			continue
		}
		if el.Space == ns.CSI {
			s.setActive(el.Name == "active")
			continue
		}
		if el.Space != ns.Client || (el.Name != stanza.Message && el.Name != stanza.Presence && el.Name != stanza.IQ) {
			return stream.Errorf(stream.UnsupportedStanzaType, "unsupported element <"+el.Name+">")
		}
		if from := el.Attr("from"); from != "" {
			// RFC 6120 §8.1.2.1 lets a server check a client's 'from' or
			// override it. The handler stamps this session's full JID on
			// every stanza, so a wrong 'from' cannot spoof anyone; ending
			// the stream would punish clients that set it carelessly
			// (Converse.js: its occupant JID on private messages, an
			// earlier resource after a reload). Prosody overrides too.
			if f, err := jid.Parse(from); err != nil || (f != s.jid && f != s.jid.Bare()) {
				s.logger().Debug("client's 'from' replaced by the session's address", "from", from)
			}
		}
		in := s.tr.BytesIn()
		if err := s.throttle(ctx, int(in-s.seen)); err != nil {
			return err
		}
		s.seen = in
		s.srv.metrics.StanzasIn.WithLabelValues(el.Name).Inc()
		s.handled()
		if el.Name == stanza.IQ && s.isServerReply(el) {
			continue // answers to our keepalive pings
		}
		s.srv.handler.HandleStanza(ctx, s, el)
	}
}

// isServerReply reports an iq result or error answering one of the
// session's keepalive pings, which nothing else awaits. Answers to the
// server's other requests (such as capability queries) go on to the
// handler.
func (s *Session) isServerReply(el *xml.Element) bool {
	t := el.Attr("type")
	if t != "result" && t != "error" {
		return false
	}
	to := el.Attr("to")
	return (to == "" || to == s.domain) && strings.HasPrefix(el.Attr("id"), "keepalive-")
}

// tlsStarter is a transport that can switch to TLS in the middle of
// the stream (TCP).
type tlsStarter interface {
	StartTLS(ctx context.Context, cfg *tls.Config, timeout time.Duration) error
}

// directTLS handshakes before the stream starts (XEP-0368).
func (s *Session) directTLS(ctx context.Context) error {
	st, ok := s.tr.(tlsStarter)
	if !ok {
		return errors.New("direct TLS on a transport without TLS")
	}
	return st.StartTLS(ctx, s.srv.cfg.TLS, time.Until(s.loginBy))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func randomID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func remoteIP(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
