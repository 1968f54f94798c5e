// Package c2s accepts client connections and runs their XMPP streams
// (RFC 6120): stream headers and features, STARTTLS or direct TLS
// (XEP-0368), SASL, resource binding, then the stanza loop of a bound
// session. What happens to stanzas is the Handler's business.
//
// Each session has two goroutines: the reader (negotiation, then one
// stanza at a time, in order) and the writer, which drains a bounded
// outbound queue in batches. A session whose queue overflows is a slow
// consumer and is disconnected with <policy-violation/>.
//
// Connection, pre-login, session and rate limits are in limits.go and
// shaper.go; failed logins are counted by package loginlimit.
//
// Locking: Server.mu guards the session set, the connection slots and
// per-address counts, the pre-login pool, the waiting sessions, the
// sessions per account and the resumption table; Session.mu guards what
// a resumption replaces and the stream management state; the outbound
// queue has its own mutex. Order: Session.mu, then Server.mu or the
// queue's mutex; never the other way round (sessions that must end
// because of a limit are closed or expired after Server.mu is released).
package c2s

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-im/parley/internal/netpoll"
	"github.com/parley-im/parley/loginlimit"
	"github.com/parley-im/parley/metrics"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/sasl"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// Config is what the c2s server needs from the configuration.
type Config struct {
	Hosts            []string
	TLS              *tls.Config // nil: no TLS at all (only with plaintext allowed)
	RequireTLS       bool
	XMLLimits        xml.Limits
	HandshakeTimeout time.Duration
	PingInterval     time.Duration
	PingTimeout      time.Duration
	WriteTimeout     time.Duration
	QueueBytes       int
	QueueStanzas     int
	StanzasPerSecond float64
	StanzaBurst      int
	BytesPerSecond   int // what a bound session may send (shaped); 0 = no limit
	ByteBurst        int // at least XMLLimits.MaxStanzaBytes
	MaxConnections   int
	MaxPerIP         int // per address: IPv4 address or IPv6 /64
	// MaxPrelogin and MaxPreloginPerIP cap connections that have not yet
	// authenticated, in total and per address; 0 = no limit.
	MaxPrelogin      int
	MaxPreloginPerIP int
	// PreloginTimeout bounds the time from connect to authentication
	// (HandshakeTimeout bounds it to a bound resource).
	PreloginTimeout time.Duration
	// PreloginStanzaBytes bounds each element before authentication
	// (XMLLimits.MaxStanzaBytes after); 0 = the same limit throughout.
	PreloginStanzaBytes int
	// MaxAuthAttempts is how many SASL exchanges one connection may
	// start (RFC 6120 §6.4.5); 0 = no limit.
	MaxAuthAttempts int
	// MaxSessionsPerAccount caps an account's bound sessions, waiting
	// ones included; 0 = no limit.
	MaxSessionsPerAccount int
	// UnackedBytes caps what a stream management session keeps until
	// its client acknowledges it (also while waiting to be resumed).
	UnackedBytes int
	// AuthFailuresPerMinute limits failed logins per IP and per account.
	AuthFailuresPerMinute float64
	// SASLSecret is the key of the fake SCRAM salts shown for unknown
	// users; kept across restarts so that they stay as fixed as a real
	// user's (nil: a random one per process).
	SASLSecret []byte
	// ResumeTimeout is how long a session whose connection was lost
	// waits for a stream resumption (XEP-0198); 0 disables resumption.
	ResumeTimeout time.Duration
	// OnHeld, if set, is called (on the sender's goroutine; it must not
	// block) for each message held for a session whose connection was
	// lost and that waits to be resumed, with the number of messages it
	// holds: push notifications (XEP-0357) hook in here.
	OnHeld func(ctx context.Context, to jid.JID, msg *xml.Element, pending int)
	// ProxyProtocol are the addresses of TCP load balancers that start
	// each connection with a PROXY protocol header (v1 or v2) naming the
	// client (proxyproto.go); a connection from them without one is
	// refused. Empty: no header is read.
	ProxyProtocol []netip.Prefix
	// Bearer, if set, serves more stream domains on which clients log in
	// only with a bearer ticket (SASL OAUTHBEARER), never a password.
	Bearer *BearerAuth
	// Tickets, if set, also offers OAUTHBEARER on the served hosts: a
	// signed-in user of Parley's pages logs in with a single-use ticket.
	Tickets *TicketAuth
	// Register, if set, answers in-band registration (XEP-0077) before
	// authentication, on streams that are encrypted or allowed not to
	// be, and the stream features offer it; it returns the reply.
	Register func(ctx context.Context, domain, remote string, iq *xml.Element) *xml.Element
	// NoPolling keeps a reading goroutine on every connection instead of
	// parking the idle ones in the poller (poll.go).
	NoPolling bool
	// Durable, if set, returns once everything the stanzas handled so
	// far wrote to storage is committed (or with ctx's error). The
	// server calls it before acknowledging a client's stanzas (XEP-0198
	// <a/> and <resumed/>), so an acknowledgement means stored.
	Durable func(ctx context.Context) error
}

// BearerAuth describes domains whose accounts log in with single-use
// bearer tickets: live help's guests, who have no password. Password
// mechanisms are not offered there; on the served hosts OAUTHBEARER is
// offered only for the tickets of Parley's pages (TicketAuth).
type BearerAuth struct {
	Domains []string
	// Verify checks a ticket for domain and returns the localpart it
	// authenticates; authzid is what the client asked to act as ("" for
	// none; checked against the result after success). It must not
	// block for long: it runs on the session's reading goroutine.
	Verify func(ctx context.Context, domain, authzid, ticket string) (local string, err error)
}

// Server accepts client connections on any number of listeners.
type Server struct {
	cfg     Config
	users   store.Users
	handler Handler
	metrics *metrics.Metrics
	log     *slog.Logger
	hosts   map[string]bool
	bearer  map[string]bool // domains of BearerAuth

	mu            sync.Mutex
	listeners     []net.Listener
	sessions      map[*Session]struct{}       // live connections
	conns         int                         // admitted connections, those held by waiting sessions included
	perAddr       map[string]int              // conns per address key (limits.go)
	waiting       map[*Session]waitingSession // sessions waiting for a resumption
	accounts      map[string][]*Session       // bound sessions per account, waiting ones included
	prelogin      map[string][]*Session       // connections not yet authenticated per address key, oldest first
	preloginCount int
	resumable     map[string]*Session // XEP-0198 resumption id -> session
	stopping      bool
	redirecting   bool // the node is drained (Redirect): no new stream
	wg            sync.WaitGroup

	logins *loginlimit.Limiter // failed logins per address, account and both

	// Polling of bound TCP sessions (poll.go); poller is nil where there
	// is no epoll or when Config.NoPolling is set.
	poller      *netpoll.Poller
	workers     *workerPool
	flushers    []*flusher
	nextFlush   atomic.Uint32
	stopPolling sync.Once
}

// New returns a Server.
func New(cfg Config, users store.Users, h Handler, m *metrics.Metrics, log *slog.Logger) *Server {
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	if cfg.PreloginTimeout <= 0 || cfg.PreloginTimeout > cfg.HandshakeTimeout {
		cfg.PreloginTimeout = cfg.HandshakeTimeout
	}
	if cfg.XMLLimits.MaxStanzaBytes <= 0 {
		cfg.XMLLimits.MaxStanzaBytes = xml.DefaultLimits.MaxStanzaBytes
	}
	if cfg.PreloginStanzaBytes <= 0 || cfg.PreloginStanzaBytes > cfg.XMLLimits.MaxStanzaBytes {
		cfg.PreloginStanzaBytes = cfg.XMLLimits.MaxStanzaBytes
	}
	hosts := make(map[string]bool, len(cfg.Hosts))
	for _, h := range cfg.Hosts {
		hosts[h] = true
	}
	bearer := make(map[string]bool)
	if cfg.Bearer != nil {
		for _, d := range cfg.Bearer.Domains {
			bearer[d] = true
		}
	}
	srv := &Server{cfg: cfg, users: users, handler: h, metrics: m, log: log.With("component", "c2s"),
		hosts: hosts, bearer: bearer, sessions: make(map[*Session]struct{}), perAddr: make(map[string]int), resumable: make(map[string]*Session),
		waiting: make(map[*Session]waitingSession), accounts: make(map[string][]*Session),
		prelogin: make(map[string][]*Session),
		logins:   loginlimit.New(loginlimit.Config{FailuresPerMinute: cfg.AuthFailuresPerMinute})}
	if !cfg.NoPolling {
		p, err := netpoll.New()
		if err != nil {
			srv.log.Info("idle connections keep a goroutine", "reason", err)
		} else {
			srv.poller = p
			srv.workers = newWorkerPool()
			srv.flushers = newFlushers(runtime.GOMAXPROCS(0))
		}
	}
	return srv
}

// nextFlusher spreads sessions over the flushers (nil without polling).
func (srv *Server) nextFlusher() *flusher {
	if len(srv.flushers) == 0 {
		return nil
	}
	return srv.flushers[int(srv.nextFlush.Add(1))%len(srv.flushers)]
}

// closePolling stops the poller, its workers and the flushers, once no
// session polls any more.
func (srv *Server) closePolling() {
	srv.stopPolling.Do(func() {
		if srv.poller == nil {
			return
		}
		srv.poller.Close()
		srv.workers.close()
		for _, f := range srv.flushers {
			f.stop()
		}
	})
}

func (srv *Server) isLocal(domain string) bool { return srv.hosts[domain] || srv.bearer[domain] }

// bearerOnly reports a domain whose clients log in with bearer tickets.
func (srv *Server) bearerOnly(domain string) bool { return srv.bearer[domain] }
func (srv *Server) defaultDomain() string         { return srv.cfg.Hosts[0] }

// Serve accepts connections on l until it is closed. directTLS makes it
// an XEP-0368 listener (TLS before the stream starts).
func (srv *Server) Serve(ctx context.Context, l net.Listener, directTLS bool) error {
	kind := "starttls"
	if directTLS {
		kind = "tls"
	}
	srv.mu.Lock()
	if srv.stopping {
		srv.mu.Unlock()
		return net.ErrClosed
	}
	srv.listeners = append(srv.listeners, l)
	srv.mu.Unlock()
	var tempDelay time.Duration
	for {
		conn, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			// Out of file descriptors and similar: back off, keep serving.
			tempDelay = min(max(2*tempDelay, 5*time.Millisecond), time.Second)
			srv.log.Warn("accept failed", "err", err, "retry_in", tempDelay)
			time.Sleep(tempDelay)
			continue
		}
		tempDelay = 0
		if srv.fromBalancer(conn.RemoteAddr()) {
			// The client's address comes in the balancer's PROXY header,
			// read on the connection's own goroutine.
			go func() {
				c, remote, err := srv.unwrapProxy(conn)
				if err != nil {
					srv.metrics.ConnRejected.WithLabelValues("proxy_header").Inc()
					srv.log.Warn("connection from a load balancer without a valid PROXY header", "balancer", conn.RemoteAddr().String(), "err", err)
					conn.Close()
					return
				}
				srv.start(ctx, c, remote, directTLS, kind)
			}()
			continue
		}
		srv.start(ctx, conn, remoteIP(conn.RemoteAddr()), directTLS, kind)
	}
}

// start admits a TCP connection from remote and serves it on a
// goroutine of its own.
func (srv *Server) start(ctx context.Context, conn net.Conn, remote string, directTLS bool, kind string) {
	s := newSession(srv, newTCPTransport(conn, srv.cfg.XMLLimits), remote, false)
	s.tlsFirst = directTLS
	if reason := srv.admit(s); reason != "" {
		srv.metrics.ConnRejected.WithLabelValues(reason).Inc()
		conn.Close()
		return
	}
	srv.metrics.Connections.WithLabelValues(kind).Inc()
	slot := s.slot
	go s.serve(ctx, func() {
		srv.connectionDone(s, slot)
		srv.metrics.Connections.WithLabelValues(kind).Dec()
		srv.wg.Done()
	})
}

// ServeTransport runs a client stream carried by t (a WebSocket or a
// BOSH session) in the calling goroutine until it ends. kind labels
// the metrics ("websocket", "bosh"), remote is the client's IP, and
// secure says whether the channel is encrypted or trusted to be (TLS,
// a trusted proxy's https, loopback). When a limit refuses the stream it
// returns ErrRejected and the caller answers and closes t.
func (srv *Server) ServeTransport(ctx context.Context, t Transport, kind, remote string, secure bool) error {
	s := newSession(srv, t, remote, secure)
	if reason := srv.admit(s); reason != "" {
		srv.metrics.ConnRejected.WithLabelValues(reason).Inc()
		return fmt.Errorf("%w: %s", ErrRejected, reason)
	}
	srv.metrics.Connections.WithLabelValues(kind).Inc()
	slot := s.slot
	// Only TCP connections poll: the session ends before serve returns.
	s.serve(ctx, func() {
		srv.connectionDone(s, slot)
		srv.metrics.Connections.WithLabelValues(kind).Dec()
		srv.wg.Done()
	})
	return nil
}

// closeListeners stops accepting connections, sets *mode (stopping or
// redirecting) and returns the sessions open at that moment.
func (srv *Server) closeListeners(mode *bool) []*Session {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	*mode = true
	for _, l := range srv.listeners {
		l.Close()
	}
	sessions := make([]*Session, 0, len(srv.sessions))
	for s := range srv.sessions {
		sessions = append(sessions, s)
	}
	return sessions
}

// Stop closes the listeners, ends every stream with <system-shutdown/>
// and waits for the sessions to finish (their unavailable presence and
// storage writes included) or for ctx to end.
func (srv *Server) Stop(ctx context.Context) error {
	sessions := srv.closeListeners(&srv.stopping)
	for _, s := range sessions {
		s.Close(stream.Errorf(stream.SystemShutdown, "the server is shutting down"))
	}
	done := make(chan struct{})
	go func() { srv.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		// The poller still serves the sessions that have not ended;
		// it stops once they have, rather than leak.
		go func() { <-done; srv.closePolling() }()
		return ctx.Err()
	}
	// Sessions waiting for a resumption end now, while storage is open
	// for what their clients never acknowledged.
	srv.mu.Lock()
	waiting := make([]*Session, 0, len(srv.waiting))
	for s := range srv.waiting {
		waiting = append(waiting, s)
	}
	srv.mu.Unlock()
	for _, s := range waiting {
		s.expire(ctx)
	}
	srv.closePolling()
	return nil
}

func (srv *Server) addResumable(id string, s *Session) {
	srv.mu.Lock()
	srv.resumable[id] = s
	srv.mu.Unlock()
}

func (srv *Server) removeResumable(id string, s *Session) {
	srv.mu.Lock()
	if srv.resumable[id] == s {
		delete(srv.resumable, id)
	}
	srv.mu.Unlock()
}

// resumableSession returns the session with resumption id that belongs
// to user, or nil.
func (srv *Server) resumableSession(id, user string) *Session {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if s := srv.resumable[id]; s != nil && s.user == user {
		return s
	}
	return nil
}

// credentialLookup resolves SASL usernames to stored SCRAM credentials
// for the domain of the stream.
func (srv *Server) credentialLookup(domain string) sasl.CredentialLookup {
	return func(ctx context.Context, username, mech string) (sasl.Credential, error) {
		j, err := jid.New(username, domain, "")
		if err != nil {
			return sasl.Credential{}, sasl.ErrUnknownUser
		}
		u, err := srv.users.User(ctx, j.String())
		if errors.Is(err, store.ErrNotFound) {
			return sasl.Credential{}, sasl.ErrUnknownUser
		}
		if err != nil {
			return sasl.Credential{}, err
		}
		c := u.SHA256
		if mech == "SCRAM-SHA-1" {
			c = u.SHA1
		}
		return sasl.Credential{Salt: c.Salt, Iterations: c.Iterations, StoredKey: c.StoredKey, ServerKey: c.ServerKey}, nil
	}
}

// accountKey is the account a login attempt names, as failures are
// counted: the bare JID the username makes in domain (normalized, so
// that "Alice" and "alice" are one account), whether or not it exists.
func accountKey(username, domain string) string {
	if username == "" {
		return ""
	}
	j, err := jid.New(username, domain, "")
	if err != nil {
		return "invalid:" + username + "@" + domain
	}
	return j.String()
}
