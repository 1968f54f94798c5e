// Package bus is Parley's message bus: an embedded NATS server, or a
// connection to an external NATS (cluster), and the one client
// connection the rest of the server shares.
//
// A Bus owns both: Start starts the embedded server (when configured)
// and connects; Stop drains the connection and shuts the server down.
// Modules take the connection from Conn and subscribe on it (the
// calendar agent does); clustering is meant to add NATS cluster routes
// to the embedded server's options in serverOptions, and to route
// between nodes over the same connection.
//
// The embedded server never installs signal handlers and logs through
// slog (component=nats). Port 0 in the listen address picks a free port
// (nats-server itself would take 0 as its default, 4222); Addr tells
// which.
//
// Concurrency: Start and Stop are called once each, in that order, by
// the server; every other method may be called from any goroutine (the
// connection and the server are safe for concurrent use, and mu guards
// the fields Start sets).
package bus

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Config says which bus to run.
type Config struct {
	// Listen is the embedded server's client listener (host:port, port 0
	// for a free one); "" runs no listener, only the in-process
	// connection. Ignored when URLs is set.
	Listen string
	// URLs are an external NATS's servers; set, no server is embedded.
	URLs []string
	// User and Password: required from clients of the embedded server,
	// presented to an external one.
	User, Password string
	// TLS, when set, is the embedded server's TLS configuration (clients
	// must use TLS) or, with URLs, the client's (RootCAs for the server).
	TLS *tls.Config
	// CredsFile is a NATS credentials file for an external NATS.
	CredsFile string
	// Name names the connection (visible in the server's monitoring)
	// and the embedded server (unique in a NATS cluster).
	Name string
	// ClusterListen is the embedded server's route listener (host:port,
	// port 0 for a free one) for the embedded servers of the other
	// nodes of a Parley cluster; "" for none. ClusterName names the NATS
	// cluster; Routes are the other servers' route URLs
	// (nats-route://host:port), authenticated with User and Password
	// when set.
	ClusterListen string
	ClusterName   string
	Routes        []string
	Logger        *slog.Logger
}

// Bus is the running message bus.
type Bus struct {
	cfg Config
	log *slog.Logger

	mu   sync.Mutex
	srv  *natsserver.Server // nil with an external NATS
	conn *nats.Conn
}

// New returns a Bus for cfg; nothing runs before Start.
func New(cfg Config) *Bus {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Name == "" {
		cfg.Name = "parley"
	}
	return &Bus{cfg: cfg, log: cfg.Logger.With("component", "nats")}
}

// Embedded reports whether the bus runs its own server.
func (b *Bus) Embedded() bool { return len(b.cfg.URLs) == 0 }

// Start starts the embedded server (if any) and connects. An external
// NATS that does not answer yet is retried in the background, as a lost
// connection is (Health reports it meanwhile).
func (b *Bus) Start(ctx context.Context) error {
	var opts []nats.Option
	if b.Embedded() {
		srv, err := b.startServer(ctx)
		if err != nil {
			return err
		}
		b.mu.Lock()
		b.srv = srv
		b.mu.Unlock()
		opts = append(opts, nats.InProcessServer(srv))
	}
	conn, err := b.connect(ctx, opts...)
	if err != nil {
		b.shutdownServer()
		return err
	}
	b.mu.Lock()
	b.conn = conn
	b.mu.Unlock()
	if b.Embedded() {
		where := "in-process only"
		if a := b.Addr(); a != nil {
			where = a.String()
		}
		b.log.Info("embedded NATS server ready", "listen", where, "tls", b.cfg.TLS != nil, "auth", b.cfg.User != "")
	} else if conn.IsConnected() {
		b.log.Info("connected to NATS", "url", conn.ConnectedUrlRedacted())
	} else {
		b.log.Warn("NATS not reachable; retrying", "url", redactedURLs(b.cfg.URLs))
	}
	return nil
}

// serverOptions are the embedded server's options. Clustering adds its
// routes here.
func (b *Bus) serverOptions() (*natsserver.Options, error) {
	o := &natsserver.Options{
		ServerName: serverName(b.cfg.Name),
		NoSigs:     true,
		MaxPayload: natsserver.MAX_PAYLOAD_SIZE,
		// Clients' connections (calendar servers) are few; a dead one
		// is noticed within a couple of minutes.
		PingInterval: 30 * time.Second,
		MaxPingsOut:  4,
	}
	if b.cfg.Listen == "" {
		o.DontListen = true
	} else {
		host, port, err := net.SplitHostPort(b.cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("%w: listen %q: %v", ErrConfig, b.cfg.Listen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			return nil, fmt.Errorf("%w: listen %q: bad port", ErrConfig, b.cfg.Listen)
		}
		if p == 0 {
			p = natsserver.RANDOM_PORT // nats-server reads 0 as "the default port"
		}
		if host == "" {
			host = "0.0.0.0"
		}
		o.Host, o.Port = host, p
	}
	if b.cfg.User != "" {
		o.Username, o.Password = b.cfg.User, b.cfg.Password
	}
	if b.cfg.TLS != nil {
		o.TLSConfig = b.cfg.TLS.Clone()
		o.TLS = true
		o.TLSTimeout = 5
	}
	if err := b.clusterOptions(o); err != nil {
		return nil, err
	}
	return o, nil
}

// clusterOptions joins the embedded server to the other nodes' servers
// with routes: one NATS cluster, so that every node's connection reaches
// every other.
func (b *Bus) clusterOptions(o *natsserver.Options) error {
	if b.cfg.ClusterListen == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(b.cfg.ClusterListen)
	if err != nil {
		return fmt.Errorf("%w: cluster listen %q: %v", ErrConfig, b.cfg.ClusterListen, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%w: cluster listen %q: bad port", ErrConfig, b.cfg.ClusterListen)
	}
	if p == 0 {
		p = natsserver.RANDOM_PORT
	}
	if host == "" {
		host = "0.0.0.0"
	}
	o.Cluster.Name = serverName(b.cfg.ClusterName)
	o.Cluster.Host, o.Cluster.Port = host, p
	if b.cfg.User != "" {
		o.Cluster.Username, o.Cluster.Password = b.cfg.User, b.cfg.Password
	}
	for _, r := range b.cfg.Routes {
		u, err := url.Parse(r)
		if err != nil || u.Host == "" {
			return fmt.Errorf("%w: route %q is not a URL", ErrConfig, r)
		}
		u.Scheme = "nats-route"
		if b.cfg.User != "" {
			u.User = url.UserPassword(b.cfg.User, b.cfg.Password)
		}
		o.Routes = append(o.Routes, u)
	}
	return nil
}

// ClusterAddr is the embedded server's bound route address, nil without
// one.
func (b *Bus) ClusterAddr() net.Addr {
	srv := b.Server()
	if srv == nil {
		return nil
	}
	if a := srv.ClusterAddr(); a != nil {
		return a
	}
	return nil
}

func (b *Bus) startServer(ctx context.Context) (*natsserver.Server, error) {
	opts, err := b.serverOptions()
	if err != nil {
		return nil, err
	}
	srv, err := natsserver.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStart, err)
	}
	srv.SetLoggerV2(slogAdapter{b.log}, b.log.Enabled(ctx, slog.LevelDebug), false, false)
	srv.Start()
	wait := 10 * time.Second
	if d, ok := ctx.Deadline(); ok {
		wait = time.Until(d)
	}
	if !srv.ReadyForConnections(wait) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("%w: listen %s: not ready (is the address taken? set nats.listen, or \"\" to run without a bus)", ErrStart, b.cfg.Listen)
	}
	return srv, nil
}

func (b *Bus) connect(ctx context.Context, extra ...nats.Option) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name(b.cfg.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				b.log.Warn("disconnected from NATS", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { b.log.Info("reconnected to NATS", "url", c.ConnectedUrlRedacted()) }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			b.log.Warn("NATS error", "subject", subject, "err", err)
		}),
	}
	if b.cfg.User != "" {
		opts = append(opts, nats.UserInfo(b.cfg.User, b.cfg.Password))
	}
	url := natsserver.DEFAULT_HOST // unused with an in-process server
	if !b.Embedded() {
		url = strings.Join(b.cfg.URLs, ",")
		// An external NATS that is away at start is retried like a lost
		// connection: the XMPP service does not wait for the bus.
		opts = append(opts, nats.RetryOnFailedConnect(true))
		if b.cfg.TLS != nil {
			opts = append(opts, nats.Secure(b.cfg.TLS.Clone()))
		}
		if b.cfg.CredsFile != "" {
			opts = append(opts, nats.UserCredentials(b.cfg.CredsFile))
		}
	}
	opts = append(opts, extra...)
	if d, ok := ctx.Deadline(); ok {
		opts = append(opts, nats.Timeout(time.Until(d)))
	}
	conn, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrConnect, redactedURLs(b.cfg.URLs), err)
	}
	return conn, nil
}

// Stop drains the connection (subscribers finish the messages they
// hold, bounded by ctx) and shuts the embedded server down.
func (b *Bus) Stop(ctx context.Context) error {
	b.mu.Lock()
	conn := b.conn
	b.mu.Unlock()
	if conn != nil {
		done := make(chan struct{})
		conn.SetClosedHandler(func(*nats.Conn) { close(done) })
		if err := conn.Drain(); err != nil {
			conn.Close()
		}
		select {
		case <-done:
		case <-ctx.Done():
			conn.Close()
		}
	}
	b.shutdownServer()
	return nil
}

func (b *Bus) shutdownServer() {
	b.mu.Lock()
	srv := b.srv
	b.srv = nil
	b.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// Conn is the shared client connection (nil before Start).
func (b *Bus) Conn() *nats.Conn {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.conn
}

// Server is the embedded NATS server, nil with an external NATS.
func (b *Bus) Server() *natsserver.Server {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.srv
}

// Addr is the embedded server's bound client address, nil if it has no
// listener (or the bus is external).
func (b *Bus) Addr() net.Addr {
	srv := b.Server()
	if srv == nil {
		return nil
	}
	return srv.Addr()
}

// ClientURL is a URL other processes reach the embedded server with
// ("" if it has no listener or the bus is external).
func (b *Bus) ClientURL() string {
	a := b.Addr()
	if a == nil {
		return ""
	}
	scheme := "nats"
	if b.cfg.TLS != nil {
		scheme = "tls"
	}
	return scheme + "://" + a.String()
}

// Health reports the bus's state: nil when the embedded server (if any)
// runs and the connection is up. The text is a one-line description for
// /healthz.
func (b *Bus) Health() (string, error) {
	srv, conn := b.Server(), b.Conn()
	where := ""
	if b.Embedded() {
		if srv == nil || !srv.Running() {
			return "embedded server not running", ErrDown
		}
		where = "embedded"
		if a := srv.Addr(); a != nil {
			where += " " + a.String()
		}
	} else {
		where = "external"
	}
	if conn == nil {
		return where + ", not connected", ErrDown
	}
	switch st := conn.Status(); st {
	case nats.CONNECTED:
		if !b.Embedded() {
			where += " " + conn.ConnectedUrlRedacted()
		}
		return where + ", connected", nil
	default:
		return where + ", " + strings.ToLower(st.String()), ErrDown
	}
}

// serverName makes a NATS server name of name: no spaces (nats-server
// refuses them), only letters, digits and ".-_".
func serverName(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, name)
}

// redactedURLs lists urls without credentials, for errors and logs.
func redactedURLs(urls []string) string {
	out := make([]string, len(urls))
	for i, u := range urls {
		if at := strings.LastIndex(u, "@"); at >= 0 {
			if s := strings.Index(u, "://"); s >= 0 && s < at {
				u = u[:s+3] + "…" + u[at:]
			}
		}
		out[i] = u
	}
	return strings.Join(out, ",")
}

// ClientTLS builds the client TLS configuration for an external NATS:
// the CA certificates of caPEM, or the system's roots when it is empty.
func ClientTLS(caPEM []byte) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(caPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, errors.New("bus: no certificate in the CA file")
		}
		c.RootCAs = pool
	}
	return c, nil
}
