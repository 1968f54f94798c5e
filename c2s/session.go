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
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

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
}

// Session is one client connection and, once bound, one resource.
// Its reading goroutine runs negotiation and then handles the client's
// stanzas in order; a second goroutine writes the outbound queue.
type Session struct {
	srv    *Server
	conn   net.Conn // raw or TLS connection; replaced once by STARTTLS
	remote string   // remote IP
	secure bool     // TLS established
	dec    *xml.Decoder
	id     string // stream id
	lang   string
	domain string // the served domain the client addressed

	jid     jid.JID // full JID once bound; written before Bind, read-only after
	bound   bool
	authed  bool
	user    string // authenticated bare JID
	limiter *rate.Limiter

	out       *outQueue
	connMu    sync.Mutex // guards conn while STARTTLS may replace it
	wstart    sync.Once
	wdone     chan struct{} // closed when the writer goroutine has finished
	closeOnce sync.Once
	closed    atomic.Bool
	done      chan struct{} // closed when the reading goroutine has finished
	log       *slog.Logger
}

func newSession(srv *Server, conn net.Conn, secure bool) *Session {
	s := &Session{
		srv:    srv,
		conn:   conn,
		remote: remoteIP(conn.RemoteAddr()),
		secure: secure,
		id:     randomID(),
		wdone:  make(chan struct{}),
		done:   make(chan struct{}),
	}
	s.out = newOutQueue(srv.cfg.QueueBytes, srv.cfg.QueueStanzas, s.slowConsumer)
	s.log = srv.log.With("conn", s.id, "remote", s.remote)
	if srv.cfg.StanzasPerSecond > 0 {
		s.limiter = rate.NewLimiter(rate.Limit(srv.cfg.StanzasPerSecond), max(srv.cfg.StanzaBurst, 1))
	}
	return s
}

// JID returns the bound full JID.
func (s *Session) JID() jid.JID { return s.jid }

// Deliver queues a stanza for the client (router.Session).
func (s *Session) Deliver(el *xml.Element) {
	if s.out.push(el.Bytes(ns.Client)) {
		s.srv.metrics.StanzasOut.Inc()
	}
}

// Close ends the stream with err (router.Session). It never blocks.
func (s *Session) Close(err *stream.Error) {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		var b bytes.Buffer
		if err != nil {
			s.srv.metrics.StreamErrors.WithLabelValues(string(err.Condition)).Inc()
			stream.AppendElement(&b, err.Element(), ns.Client)
		}
		b.WriteString(stream.Close)
		s.out.pushFinal(b.Bytes())
		// Give the client a moment to answer with its own end tag, then
		// unblock the reader whatever it does.
		s.connMu.Lock()
		s.conn.SetReadDeadline(time.Now().Add(closeGrace))
		s.connMu.Unlock()
	})
}

// closeGrace is how long a closing stream waits for the peer's end tag.
const closeGrace = 2 * time.Second

func (s *Session) slowConsumer() {
	s.srv.metrics.SlowConsumers.Inc()
	s.log.Warn("slow consumer disconnected", "jid", s.jid.String())
	s.Close(stream.Errorf(stream.PolicyViolation, "too much data queued: the client does not read fast enough"))
	// A client that reads nothing would keep the writer blocked: it gets
	// a grace period to take the stream error, then the write fails.
	s.connMu.Lock()
	s.conn.SetWriteDeadline(time.Now().Add(closeGrace))
	s.connMu.Unlock()
}

// startWriter starts the writer goroutine. During negotiation the
// reading goroutine writes directly (STARTTLS swaps the connection);
// the writer starts once the session is bound, or when it ends.
func (s *Session) startWriter() {
	s.wstart.Do(func() { go s.writeLoop() })
}

// writeDirect writes negotiation data synchronously, before the writer
// goroutine exists.
func (s *Session) writeDirect(b []byte) error {
	return writeBatch(s.conn, [][]byte{b}, s.srv.cfg.WriteTimeout)
}

// writeLoop drains the outbound queue until the final bytes are
// written, then half-closes the connection.
func (s *Session) writeLoop() {
	defer close(s.wdone)
	var batch [][]byte
	for range s.out.signal {
		var closing bool
		batch, closing = s.out.take(batch)
		timeout := s.srv.cfg.WriteTimeout
		if s.closed.Load() {
			timeout = closeGrace
		}
		if err := writeBatch(s.conn, batch, timeout); err != nil {
			s.log.Debug("write failed", "err", err)
			s.conn.Close() // unblocks the reader
			return
		}
		clear(batch)
		if closing {
			if cw, ok := s.conn.(interface{ CloseWrite() error }); ok {
				cw.CloseWrite()
			}
			return
		}
	}
}

// serve runs the session to its end.
func (s *Session) serve(ctx context.Context) {
	defer close(s.done)
	err := s.runSafely(ctx)
	var se *stream.Error
	switch {
	case errors.As(err, &se):
		s.log.Debug("stream error", "condition", se.Condition, "text", se.Text)
		s.Close(se)
	case err == nil, errors.Is(err, xml.ErrStreamClosed), errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		s.Close(nil)
	default:
		if !s.closed.Load() {
			s.log.Debug("connection ended", "err", err)
		}
		s.Close(nil)
	}
	s.startWriter()
	// Wait for the writer to flush the end of stream, bounded by the
	// write timeout, then release the connection.
	select {
	case <-s.wdone:
	case <-time.After(s.srv.cfg.WriteTimeout + closeGrace):
	}
	s.conn.Close()
	if s.bound {
		s.srv.handler.SessionEnded(context.WithoutCancel(ctx), s)
		s.srv.metrics.Sessions.Dec()
		s.log.Info("session ended", "jid", s.jid.String())
	}
}

// runSafely runs the session and turns a panic (a bug) into an
// internal-server-error for this client only, as net/http does for a
// handler: one bad stanza must not take the server down.
func (s *Session) runSafely(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic in session", "panic", r, "stack", string(debug.Stack()))
			err = stream.Errorf(stream.InternalServerError, "")
		}
	}()
	return s.run(ctx)
}

// run negotiates the stream and then reads stanzas until the stream ends.
func (s *Session) run(ctx context.Context) error {
	if s.secure {
		if err := s.handshakeTLS(ctx); err != nil {
			return err
		}
	}
	reader := &connReader{s: s}
	s.dec = xml.NewDecoder(reader, s.srv.cfg.XMLLimits)
	deadline := time.Now().Add(s.srv.cfg.HandshakeTimeout)
	s.conn.SetReadDeadline(deadline)
	for !s.bound {
		restart, err := s.negotiate(ctx)
		if err != nil {
			return err
		}
		if restart {
			s.dec.Reset(reader)
		}
	}
	reader.keepalive = true
	s.startWriter()
	return s.stanzaLoop(ctx)
}

// stanzaLoop handles the stanzas of a bound session.
func (s *Session) stanzaLoop(ctx context.Context) error {
	for {
		el, err := s.dec.Next()
		if err != nil {
			return mapReadError(err)
		}
		if el.Space != ns.Client || (el.Name != stanza.Message && el.Name != stanza.Presence && el.Name != stanza.IQ) {
			return stream.Errorf(stream.UnsupportedStanzaType, "unsupported element <"+el.Name+">")
		}
		if from := el.Attr("from"); from != "" {
			f, err := jid.Parse(from)
			if err != nil || (f != s.jid && f != s.jid.Bare()) {
				return stream.Errorf(stream.InvalidFrom, "'from' is not this session's address")
			}
		}
		if s.limiter != nil {
			if err := s.limiter.Wait(ctx); err != nil {
				return stream.Errorf(stream.SystemShutdown, "")
			}
		}
		s.srv.metrics.StanzasIn.WithLabelValues(el.Name).Inc()
		if el.Name == stanza.IQ && s.isServerReply(el) {
			continue // answers to our keepalive pings
		}
		s.srv.handler.HandleStanza(ctx, s, el)
	}
}

// isServerReply reports an iq result or error addressed to the server
// itself: replies to server-initiated pings, which nothing else awaits.
func (s *Session) isServerReply(el *xml.Element) bool {
	t := el.Attr("type")
	if t != "result" && t != "error" {
		return false
	}
	to := el.Attr("to")
	return to == "" || to == s.domain
}

// connReader reads from the session's current connection. During
// negotiation the handshake deadline applies; once the session is bound
// (keepalive) it follows XEP-0199: after PingInterval of silence the
// server pings the client, and if nothing arrives within PingTimeout the
// stream ends with <connection-timeout/>.
type connReader struct {
	s         *Session
	keepalive bool
	pinged    bool
}

func (r *connReader) Read(p []byte) (int, error) {
	if !r.keepalive {
		return r.s.conn.Read(p)
	}
	cfg := r.s.srv.cfg
	for {
		wait := cfg.PingInterval
		if r.pinged {
			wait = cfg.PingTimeout
		}
		r.s.conn.SetReadDeadline(time.Now().Add(wait))
		if r.s.closed.Load() {
			// Close may have set its short grace deadline meanwhile.
			r.s.conn.SetReadDeadline(time.Now().Add(closeGrace))
		}
		n, err := r.s.conn.Read(p)
		if n > 0 {
			r.pinged = false
			return n, nil
		}
		if err == nil {
			continue
		}
		if !isTimeout(err) || r.s.closed.Load() {
			return 0, err
		}
		if r.pinged {
			return 0, stream.Errorf(stream.ConnectionTimeout, "no answer to ping")
		}
		r.pinged = true
		r.s.Deliver(stanza.NewIQ("get", "keepalive-"+randomID()[:8], r.s.domain, r.s.jid.String(),
			xml.NewElement(ns.Ping, "ping")))
	}
}

func (s *Session) handshakeTLS(ctx context.Context) error {
	tc := tls.Server(s.conn, s.srv.cfg.TLS)
	hctx, cancel := context.WithTimeout(ctx, s.srv.cfg.HandshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		return err
	}
	s.connMu.Lock()
	s.conn = tc
	s.connMu.Unlock()
	s.secure = true
	return nil
}

// mapReadError turns decoder errors into stream errors (RFC 6120 §4.9.3).
func mapReadError(err error) error {
	switch {
	case errors.Is(err, xml.ErrStreamClosed):
		return err
	case errors.Is(err, xml.ErrRestrictedXML):
		return stream.Errorf(stream.RestrictedXML, "")
	case errors.Is(err, xml.ErrTooLarge):
		return stream.Errorf(stream.PolicyViolation, "stanza too large")
	case errors.Is(err, xml.ErrTooDeep):
		return stream.Errorf(stream.PolicyViolation, "stanza too deeply nested or too many attributes")
	case errors.Is(err, xml.ErrNotWellFormed):
		return stream.Errorf(stream.NotWellFormed, "")
	case isTimeout(err):
		return stream.Errorf(stream.ConnectionTimeout, "")
	}
	return err
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
