// Package component accepts external components (XEP-0114, the Jabber
// Component Protocol): trusted services, such as a push app server or a
// gateway, that connect over TCP, prove they know their domain's shared
// secret, and then send and receive stanzas for that whole domain.
//
// A connected component is registered with the router for its domain,
// so stanzas that local users address to it reach it (Receive); what it
// sends is handed to the Deliver function the server gives, which routes
// it to local users. The component's stanzas are in the
// jabber:component:accept namespace on the wire and jabber:client inside
// the server.
//
// Locking: Server.mu guards the connection set; each conn's outbound
// queue is a buffered channel (no lock); neither is held while calling
// out.
package component

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/xml"
)

// Config configures the component listener.
type Config struct {
	// Secrets maps each component domain to its shared secret.
	Secrets map[string]string
	// XMLLimits bound what a component may send.
	XMLLimits xml.Limits
	// HandshakeTimeout bounds the time from connect to a successful
	// handshake.
	HandshakeTimeout time.Duration
	// WriteTimeout bounds one write to a component; a component that
	// does not read is disconnected.
	WriteTimeout time.Duration
	// QueueStanzas bounds the stanzas waiting to be written to one
	// component; past it the component is disconnected as too slow.
	QueueStanzas int
}

// Deliver routes a stanza a component sent (in jabber:client, from
// stamped and checked) to its local recipient; reply sends the component
// an answer (it never blocks).
type Deliver func(ctx context.Context, el *xml.Element, reply func(*xml.Element))

// Server accepts external component connections.
type Server struct {
	cfg     Config
	router  router.Router
	deliver Deliver
	log     *slog.Logger

	mu        sync.Mutex
	listeners []net.Listener
	conns     map[*conn]struct{}
	stopping  bool
	wg        sync.WaitGroup
}

// New returns a Server; Serve starts accepting.
func New(cfg Config, r router.Router, deliver Deliver, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = 10 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	if cfg.QueueStanzas <= 0 {
		cfg.QueueStanzas = 10000
	}
	return &Server{cfg: cfg, router: r, deliver: deliver, log: log.With("component", "component"),
		conns: make(map[*conn]struct{})}
}

// Serve accepts connections on l until Stop or ctx ends.
func (s *Server) Serve(ctx context.Context, l net.Listener) {
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		l.Close()
		return
	}
	s.listeners = append(s.listeners, l)
	s.mu.Unlock()
	for {
		nc, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("accept", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond): // e.g. out of file descriptors
			}
			continue
		}
		c := newConn(s, nc)
		s.mu.Lock()
		if s.stopping {
			s.mu.Unlock()
			nc.Close()
			continue
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			c.serve(ctx)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// Stop closes the listeners and every component stream with
// <system-shutdown/>, and waits for them (bounded by ctx).
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	s.stopping = true
	for _, l := range s.listeners {
		l.Close()
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.shutdown()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// handshakeDigest is what a component sends to authenticate
// (XEP-0114 §3): hex SHA-1 of the stream id followed by the secret.
func handshakeDigest(streamID, secret string) string {
	sum := sha1.Sum([]byte(streamID + secret))
	return hex.EncodeToString(sum[:])
}

// handshakeOK compares a received digest with the expected one in
// constant time; hex case does not matter.
func handshakeOK(got, streamID, secret string) bool {
	want := handshakeDigest(streamID, secret)
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(strings.TrimSpace(got))), []byte(want)) == 1
}

func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Deliver hands el to the external component connected for its 'to'
// domain and reports whether there is one. Unlike the router, it never
// reaches an internal component (the MUC service): a caller may hold an
// internal component's lock, and an external component's Receive never
// blocks.
func (s *Server) Deliver(ctx context.Context, el *xml.Element) bool {
	to, err := jid.Parse(el.Attr("to"))
	if err != nil {
		return false
	}
	c, ok := s.router.Component(to.Domain())
	if !ok {
		return false
	}
	ext, ok := c.(*conn)
	if ok {
		ext.Receive(ctx, el)
	}
	return ok
}
