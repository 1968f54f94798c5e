// Package s2s connects Parley to other XMPP servers: RFC 6120
// server-to-server streams, in and out.
//
// Outgoing: stanzas for a remote domain wait in that domain's bounded
// queue while the package finds its server (s2s.static_hosts, else DNS
// SRV _xmpps-server._tcp and _xmpp-server._tcp, else the domain's A and
// AAAA records on port 5269), connects with TLS (STARTTLS or XEP-0368
// direct TLS), checks the server's certificate and authenticates with
// SASL EXTERNAL on Parley's certificate (XEP-0178), falling back to
// Server Dialback (XEP-0220). One stream per pair of local and remote
// domain is kept open and reused until it is idle; a failed connection
// is retried with a doubling pause; a stanza that cannot be delivered in
// time bounces with <remote-server-timeout/> (<remote-server-not-found/>
// when the domain has no server at all).
//
// Incoming: other servers connect to the listeners, must use TLS (by
// default) and authenticate their domain with a certificate Parley
// trusts or with dialback, verified by connecting back to the domain's
// own server (which must in turn present a valid certificate). A
// stream's stanzas must come from the domain it authenticated and go to
// the domain it addressed; anything else ends the stream. Streams are
// bidirectional when both sides agree (XEP-0288).
//
// The package knows nothing of users: what arrives goes to
// Config.Deliver, and what the router decides is remote arrives through
// Receive (a router.Component). Connections are per node: in a cluster,
// each node keeps its own.
//
// Locking: Service.mu guards the peer table and the incoming stream
// set; peer.mu guards a remote domain's queues and streams; a stream's
// write mutex serializes its writes. Order: Service.mu, then peer.mu,
// then a write mutex. No lock is held while connecting, and only a write
// mutex while writing.
package s2s

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// Config configures federation.
type Config struct {
	// Local reports whether a domain is served here and reachable from
	// other servers (hosts, conference services, external components):
	// outgoing streams are opened from such domains only, incoming ones
	// must address one.
	Local func(domain string) bool
	// DefaultDomain names this server in a stream error sent before the
	// peer said which domain it wants.
	DefaultDomain string
	// Certificates are the server's own, shown to other servers both as
	// server and as client certificate (SASL EXTERNAL).
	Certificates []tls.Certificate
	// RootCAs verify other servers' certificates; nil: the system roots.
	RootCAs *x509.CertPool
	// TrustedDomains are domains whose self-signed or private-CA
	// certificates are accepted; the certificate must still name them.
	TrustedDomains []string
	// AllowPlaintext permits streams without TLS when the other side
	// offers none; otherwise TLS is required both ways.
	AllowPlaintext bool
	// Dialback permits Server Dialback when SASL EXTERNAL is not
	// possible.
	Dialback bool
	// DialbackSecret keys the dialback keys (XEP-0185) this server
	// makes and checks. The nodes of a cluster share it: another server
	// verifies a key with whichever node its connection reaches. nil: a
	// random secret of this process.
	DialbackSecret []byte
	// StaticHosts maps domains to host:port, instead of DNS.
	StaticHosts map[string]string
	// Allow, when not empty, lists the only domains to talk to; Deny
	// lists domains never to talk to.
	Allow, Deny []string
	// Resolver finds servers in DNS; nil: net.DefaultResolver.
	Resolver Resolver

	XMLLimits        xml.Limits
	ConnectTimeout   time.Duration
	HandshakeTimeout time.Duration
	IdleTimeout      time.Duration
	WriteTimeout     time.Duration
	// QueueTimeout is how long a stanza waits for its server before it
	// bounces with <remote-server-timeout/>.
	QueueTimeout time.Duration
	// RetryMax caps the pause between connection attempts (doubling
	// from RetryMin, one second by default).
	RetryMin, RetryMax time.Duration
	// QueueStanzas and QueueBytes bound what waits for one domain.
	QueueStanzas, QueueBytes int
	// StanzasPerSecond and StanzaBurst limit what one domain sends us.
	StanzasPerSecond float64
	StanzaBurst      int
	// MaxConnections and MaxConnectionsPerIP cap incoming streams.
	MaxConnections, MaxConnectionsPerIP int
	// MaxVerifications caps the dialback verifications in progress.
	MaxVerifications int

	// Deliver routes a stanza from another server into local delivery:
	// in jabber:client, its from and to checked. Bounces for stanzas
	// that could not reach their server arrive here too, as errors from
	// the remote address. It runs on a stream's reading goroutine (or the
	// bouncer's), never under this package's locks.
	Deliver func(ctx context.Context, el *xml.Element)

	Logger  *slog.Logger
	Metrics Metrics
}

// Metrics are the events the server counts; nil funcs are skipped.
type Metrics struct {
	// Streams reports a stream opened (+1) or closed (-1); direction is
	// "in" or "out".
	Streams func(direction string, delta int)
	// Auth reports an authentication outcome: direction "in" or "out",
	// method "external" or "dialback", result "success" or a reason.
	Auth func(direction, method, result string)
	// Stanzas counts stanzas: direction "in" (from other servers) or
	// "out" (written to them).
	Stanzas func(direction string)
	// Bounced counts stanzas bounced, by condition.
	Bounced func(condition string)
	// Queued reports a change of the stanzas waiting for remote servers.
	Queued func(delta int)
}

// Service is this node's federation: its listeners' streams, its
// outgoing streams and queues.
type Service struct {
	cfg      Config
	log      *slog.Logger
	secret   []byte // dialback key secret (XEP-0185), per process
	tlsIn    *tls.Config
	trusted  map[string]bool
	allow    map[string]bool
	deny     map[string]bool
	verifies chan struct{} // semaphore of dialback verifications
	bounces  chan *xml.Element

	ctx    context.Context // ends at Stop
	cancel context.CancelFunc

	// wgMu guards closed and the additions to wg, so that no goroutine
	// is added once Stop waits (innermost lock: taken under the others).
	wgMu   sync.Mutex
	closed bool

	mu        sync.Mutex
	peers     map[string]*peer // by remote domain
	listeners []net.Listener
	incoming  map[*inStream]struct{}
	perIP     map[string]int
	stopping  bool
	wg        sync.WaitGroup
}

// New returns a Service; after Start, Serve accepts incoming streams
// and Receive sends.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = 30 * time.Second
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 10 * time.Minute
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	if cfg.QueueTimeout <= 0 {
		cfg.QueueTimeout = time.Minute
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = time.Second
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = max(cfg.RetryMin, time.Minute)
	}
	if cfg.QueueStanzas <= 0 {
		cfg.QueueStanzas = 10000
	}
	if cfg.QueueBytes <= 0 {
		cfg.QueueBytes = 4 << 20
	}
	if cfg.MaxVerifications <= 0 {
		cfg.MaxVerifications = 100
	}
	s := &Service{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "s2s"),
		secret:   make([]byte, 32),
		trusted:  set(cfg.TrustedDomains),
		allow:    set(cfg.Allow),
		deny:     set(cfg.Deny),
		verifies: make(chan struct{}, cfg.MaxVerifications),
		bounces:  make(chan *xml.Element, 4096),
		peers:    make(map[string]*peer),
		incoming: make(map[*inStream]struct{}),
		perIP:    make(map[string]int),
	}
	if len(cfg.DialbackSecret) > 0 {
		s.secret = cfg.DialbackSecret
	} else {
		rand.Read(s.secret)
	}
	s.tlsIn = &tls.Config{
		Certificates: cfg.Certificates,
		MinVersion:   tls.VersionTLS12,
		// A client certificate is asked for, not required: a server
		// without one authenticates with dialback. It is verified by
		// verifyPeer, against the domain the stream claims.
		ClientAuth: tls.RequestClientCert,
		NextProtos: []string{"xmpp-server"},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Start runs the bouncer, which hands errors for stanzas that could not
// reach their server back to local delivery. Serve and Receive work
// from then on; Stop ends everything.
func (s *Service) Start(context.Context) error {
	if s.track() {
		go s.bouncer()
	}
	return nil
}

// track counts a goroutine about to start in wg and reports true, or
// false once the service has stopped (it must not start then).
func (s *Service) track() bool {
	s.wgMu.Lock()
	defer s.wgMu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

func set(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, d := range list {
		m[d] = true
	}
	return m
}

// Permitted reports whether the allow and deny lists let Parley talk
// to domain.
func (s *Service) Permitted(domain string) bool {
	if s.deny[domain] {
		return false
	}
	return len(s.allow) == 0 || s.allow[domain]
}

// Receive sends a stanza (in jabber:client, from a local domain) to the
// server of its 'to' domain: router.Component for every remote domain.
// It never blocks and never calls back into the caller: what cannot be
// sent bounces later, from another goroutine.
func (s *Service) Receive(_ context.Context, el *xml.Element) {
	from, err1 := jid.Parse(el.Attr("from"))
	to, err2 := jid.Parse(el.Attr("to"))
	if err1 != nil || err2 != nil || from.IsZero() || to.IsZero() {
		return // package im stamps both; nothing to answer
	}
	switch {
	case !s.cfg.Local(from.Domain()):
		s.log.Warn("stanza for a remote server from a domain not served here: dropped", "from", from.String(), "to", to.String())
		return
	case !s.Permitted(to.Domain()):
		s.bounce(el, stanza.PolicyViolation, "this server does not federate with "+to.Domain())
		return
	}
	p := s.peer(to.Domain())
	if p == nil {
		s.bounce(el, stanza.RemoteServerNotFound, "")
		return
	}
	p.send(from.Domain(), el)
}

// peer returns the state of a remote domain, creating it; nil once the
// service stops.
func (s *Service) peer(domain string) *peer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return nil
	}
	p := s.peers[domain]
	if p == nil {
		p = newPeer(s, domain)
		s.peers[domain] = p
	}
	return p
}

// forget drops an idle peer from the table.
func (s *Service) forget(p *peer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.peers[p.domain] == p && p.retire() {
		delete(s.peers, p.domain)
	}
}

// bounce answers a stanza that cannot reach its server with an error
// from the remote address, delivered locally by the bouncer goroutine
// (never on the sender's: it may hold a room's lock).
func (s *Service) bounce(el *xml.Element, cond stanza.Condition, text string) {
	if !stanza.CanReplyWithError(el) {
		return
	}
	if m := s.cfg.Metrics.Bounced; m != nil {
		m(cond.Name)
	}
	select {
	case s.bounces <- stanza.Error(el, cond, text):
	default:
		s.log.Warn("bounce queue full: error dropped", "to", el.Attr("from"), "condition", cond.Name)
	}
}

func (s *Service) bouncer() {
	defer s.wg.Done()
	for {
		select {
		case el := <-s.bounces:
			s.cfg.Deliver(s.ctx, el)
		case <-s.ctx.Done():
			return
		}
	}
}

// Stop closes the listeners, gives the queues a moment to drain (the
// unavailable presence of users logging out at shutdown), then ends
// every stream with <system-shutdown/> and waits for them (bounded by
// ctx). What still waits is dropped.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	s.stopping = true
	for _, l := range s.listeners {
		l.Close()
	}
	peers := make([]*peer, 0, len(s.peers))
	for _, p := range s.peers {
		peers = append(peers, p)
	}
	s.mu.Unlock()
	drain, cancel := context.WithTimeout(ctx, 2*time.Second)
	for _, p := range peers {
		p.waitDrained(drain)
	}
	cancel()
	s.cancel()
	s.mu.Lock()
	in := make([]*inStream, 0, len(s.incoming))
	for st := range s.incoming {
		in = append(in, st)
	}
	s.mu.Unlock()
	for _, st := range in {
		st.shutdown(stream.Errorf(stream.SystemShutdown, ""))
	}
	for _, p := range peers {
		p.shutdown()
	}
	s.wgMu.Lock()
	s.closed = true
	s.wgMu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Peers lists the remote domains with queued stanzas or open streams
// (for tests and admin tooling), sorted.
func (s *Service) Peers() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.peers))
	for d := range s.peers {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// header builds our stream header on a server stream.
func header(from, to, id string) []byte {
	var b bytes.Buffer
	stream.AppendHeader(&b, stream.Header{From: from, To: to, ID: id, Content: ns.Server, Dialback: true})
	return b.Bytes()
}

// Connected reports whether stanzas from local to remote have an
// authenticated stream to go on now (for tests and admin tooling).
func (s *Service) Connected(local, remote string) bool {
	s.mu.Lock()
	p := s.peers[remote]
	s.mu.Unlock()
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.routes[local]
	return r != nil && r.writerLocked() != nil
}

// Failures is the number of failed connection attempts in a row from
// local to remote (for tests and admin tooling).
func (s *Service) Failures(local, remote string) int {
	s.mu.Lock()
	p := s.peers[remote]
	s.mu.Unlock()
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := p.routes[local]; r != nil {
		return r.failures
	}
	return 0
}
