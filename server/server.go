// Package server wires Parley together: configuration → storage →
// modules → listeners, started in that order and stopped in reverse.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/parley-im/parley/c2s"
	"github.com/parley-im/parley/cluster"
	"github.com/parley-im/parley/component"
	"github.com/parley-im/parley/conference"
	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/datadir"
	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/im/carbons"
	"github.com/parley-im/parley/im/disco"
	"github.com/parley-im/parley/im/mam"
	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/im/netpresence"
	"github.com/parley-im/parley/im/offline"
	"github.com/parley-im/parley/im/ping"
	"github.com/parley-im/parley/im/roster"
	"github.com/parley-im/parley/im/version"
	"github.com/parley-im/parley/integration/conferencing"
	"github.com/parley-im/parley/livehelp"
	"github.com/parley-im/parley/mail"
	"github.com/parley-im/parley/metrics"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/s2s"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/web"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Version is the software version reported by XEP-0092 and `parley version`.
var Version = "0.1.0-dev"

// Server is one running Parley node.
type Server struct {
	cfg     config.Config
	log     *slog.Logger
	metrics *metrics.Metrics

	store      store.Store
	router     router.Router
	cluster    *cluster.Router // nil on a single server (cluster.go)
	c2s        *c2s.Server
	components *component.Server
	s2s        *s2s.Service // nil: federation off
	muc        *muc.Service
	pers       personal      // PEP, blocking and the other modules of personal.go
	secrets    sharedSecrets // secrets.go
	web        *web.Web
	http       *http.Server
	httpGuard  *httpGuard // limits in front of http (httpguard.go)
	ext        extensions // the bus, the control channel, the calendar agent (bus.go, control.go, calendar.go)

	mail         *mail.Sender        // mail.go: conference invitations, live help's left messages
	conferences  *conference.Manager // conference.go
	conferencing *conferencing.Service
	// netPresence tracks users' network presence (netpresence.go); nil
	// without federation.
	netPresence *netpresence.Service
	webui       *webUI // webui.go: sign-in, self-service, console, widget

	// Built on first use (by a binding, a page or the presence URL).
	integ        integrationServices // integration.go
	pagesLazy    pagesOnce           // pages.go
	presenceLazy presenceOnce        // presence.go
	// liveHelpSvc is live help while it runs (livehelp.go); HTTP
	// handlers read it concurrently with start and stop.
	liveHelpSvc atomic.Pointer[livehelp.Service]

	runCtx    context.Context // ends when the server stops: background work
	cancelRun context.CancelFunc

	mu       sync.Mutex
	addrs    map[string]net.Addr // listener name -> bound address
	ready    atomic.Bool
	wg       sync.WaitGroup
	stopOnce sync.Once
	stopErr  error
}

// New prepares a server from a validated configuration.
func New(cfg config.Config, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	return &Server{cfg: cfg, log: log, metrics: metrics.New(), addrs: make(map[string]net.Addr)}
}

// Start opens storage, wires the modules and starts every listener. It
// returns once all listeners accept connections; /healthz answers 200
// from then on.
func (s *Server) Start(ctx context.Context) error {
	s.runCtx, s.cancelRun = context.WithCancel(context.WithoutCancel(ctx))
	st, err := openStore(ctx, s.cfg)
	if err != nil {
		return err
	}
	s.store = st
	if err := datadir.WriteDomains(s.cfg.DataDir, s.cfg.Hosts); err != nil {
		// The server runs without it; only the data commands lose it.
		s.log.Warn("cannot record the served domains in the data directory", "err", err)
	}
	// And in the store: the commands of a cluster need no data directory.
	if err := st.SetServedDomains(ctx, s.cfg.Cluster.Node, s.cfg.Hosts); err != nil {
		s.log.Warn("cannot record the served domains in the store", "err", err)
	}
	if err := s.loadSecrets(ctx); err != nil {
		st.Close()
		return err
	}

	tlsConf, err := s.tlsConfig()
	if err != nil {
		st.Close()
		return err
	}

	if err := s.startMail(); err != nil {
		st.Close()
		return err
	}
	if err := errors.Join(s.startControl(ctx), s.startBus(ctx, tlsConf)); err != nil {
		s.Stop(context.Background())
		return err
	}
	if s.router, err = s.newRouter(); err != nil {
		s.Stop(context.Background())
		return err
	}
	s.router.SetHosts(s.cfg.Hosts)
	isLocal := s.cfg.HasHost
	exists := func(ctx context.Context, bare string) bool {
		_, err := st.User(ctx, bare)
		return err == nil
	}
	rc := roster.Config{Store: st, Router: s.router, IsLocal: isLocal, UserExists: exists,
		MaxItems: s.cfg.Roster.MaxItems, Logger: s.log, Blocks: s.blocks}
	if s.cluster != nil {
		rc.Changed = s.cluster.RosterChanged
	}
	engine := roster.New(rc)
	s.netPresence = s.newNetworkPresence(engine)
	mux := im.NewMux()
	mux.Handle(ns.Roster, "query", im.ToAccount, engine.HandleIQ)
	// RFC 3921 session establishment is a no-op kept for old clients.
	mux.Handle(ns.Session, "session", im.ToServer|im.ToAccount, func(_ context.Context, sess router.Session, iq *xml.Element) {
		sess.Deliver(stanza.Result(iq))
	})
	ping.Register(mux)
	cc := carbons.New(s.router)
	mux.Handle(ns.Carbons, "enable", im.ToAccount, cc.HandleIQ)
	mux.Handle(ns.Carbons, "disable", im.ToAccount, cc.HandleIQ)
	mux.AddFeature(im.ToServer, ns.Carbons)
	var archive *mam.Service
	if s.cfg.MAM.Enabled {
		slot, err := s.nodeSlot(ctx)
		if err != nil {
			s.Stop(context.Background())
			return err
		}
		archive = mam.New(mam.Config{
			NodeSlot: slot,
			Store:    st,
			InRoster: func(ctx context.Context, owner, contact string) bool {
				_, err := st.RosterItem(ctx, owner, contact)
				return err == nil
			},
			DefaultMode:  s.cfg.MAM.DefaultMode,
			Retention:    s.cfg.MAM.Retention.Duration,
			MaxBytes:     int64(s.cfg.MAM.MaxBytes),
			PageBytes:    s.cfg.MAM.PageBytes,
			Logger:       s.log,
			QuotaRefused: func() { s.metrics.QuotaRefused.WithLabelValues("archive").Inc() },
		})
		mux.Handle(ns.MAM, "query", im.ToAccount, archive.HandleQuery)
		mux.Handle(ns.MAM, "prefs", im.ToAccount, archive.HandlePrefs)
		mux.AddFeature(im.ToAccount, ns.MAMExt)
		mux.AddFeature(im.ToAccount, ns.StanzaID)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			archive.Run(s.runCtx)
		}()
	}
	version.Register(mux, "Parley", Version, false)
	var dispatcher *im.Dispatcher
	if err := s.startMUC(ctx, s.toConferenceGuests(func(ctx context.Context, el *xml.Element) { dispatcher.FromComponent(ctx, el) })); err != nil {
		s.Stop(context.Background())
		return err
	}
	if err := s.startCalendar(ctx, func(ctx context.Context, el *xml.Element) { dispatcher.FromComponent(ctx, el) }); err != nil {
		s.Stop(context.Background())
		return err
	}
	if err := s.startConferences(ctx); err != nil {
		s.Stop(context.Background())
		return err
	}
	discoSvc := disco.Register(mux, "Parley", s.discoItems)
	if err := s.startPersonal(ctx, mux, engine, discoSvc, func(ctx context.Context, el *xml.Element) { dispatcher.FromComponent(ctx, el) }); err != nil {
		s.Stop(context.Background())
		return err
	}
	pushes := s.newPush(mux)
	mux.AddFeature(im.ToServer, ns.Offline)
	mux.AddFeature(im.ToServer, ns.ChatStates)
	mux.AddFeature(im.ToAccount, ns.ChatStates)
	off := offline.New(st, store.OfflineLimits{Messages: s.cfg.Offline.MaxMessages, Bytes: int64(s.cfg.Offline.MaxBytes)}, s.log)
	dcfg := im.Config{
		Router: s.router, Roster: engine, Mux: mux, IsLocal: isLocal, UserExists: exists, Logger: s.log,
		Offline:          off,
		Carbons:          cc,
		Archive:          archive,
		Push:             pushes,
		OnRemotePresence: s.remotePresenceHook(),
		Metrics: im.Metrics{
			Stored:      s.metrics.OfflineStored.Inc,
			Bounced:     func(c string) { s.metrics.Bounced.WithLabelValues(c).Inc() },
			OfflineFull: func() { s.metrics.QuotaRefused.WithLabelValues("offline").Inc() },
		},
	}
	if s.cluster != nil {
		dcfg.OfflineStored = s.cluster.OfflineStored
	}
	s.personalHooks(&dcfg)
	dispatcher = im.New(dcfg)
	s.startWebUI()

	s.startS2S(tlsConf, dispatcher.FromRemote)
	s.startNetworkPresence()
	handler, bearer, err := s.startLiveHelp(ctx, dispatcher)
	if err != nil {
		s.Stop(context.Background())
		return err
	}
	handler, bearer = s.conferenceGuests(handler, bearer)
	lim := s.cfg.Limits
	s.c2s = c2s.New(c2s.Config{
		SASLSecret:            s.secrets.sasl,
		Hosts:                 s.cfg.Hosts,
		TLS:                   tlsConf,
		RequireTLS:            !s.cfg.C2S.AllowPlaintext,
		XMLLimits:             s.xmlLimits(),
		HandshakeTimeout:      s.cfg.C2S.HandshakeTimeout.Duration,
		PingInterval:          s.cfg.C2S.PingInterval.Duration,
		PingTimeout:           s.cfg.C2S.PingTimeout.Duration,
		QueueBytes:            lim.OutboundQueueBytes,
		QueueStanzas:          lim.OutboundQueueStanzas,
		StanzasPerSecond:      lim.StanzasPerSecond,
		StanzaBurst:           lim.StanzaBurst,
		BytesPerSecond:        lim.BytesPerSecond,
		ByteBurst:             lim.ByteBurst,
		MaxConnections:        lim.MaxConnections,
		MaxPerIP:              lim.MaxConnectionsPerIP,
		MaxSessionsPerAccount: lim.MaxSessionsPerAccount,
		MaxPrelogin:           lim.MaxPreloginConnections,
		MaxPreloginPerIP:      lim.MaxPreloginConnectionsPerIP,
		PreloginTimeout:       lim.PreloginTimeout.Duration,
		PreloginStanzaBytes:   lim.MaxPreloginStanzaBytes,
		MaxAuthAttempts:       lim.MaxAuthAttempts,
		UnackedBytes:          lim.UnackedQueueBytes,
		AuthFailuresPerMinute: lim.AuthFailuresPerMinute,
		ResumeTimeout:         s.cfg.C2S.ResumeTimeout.Duration,
		NoPolling:             !s.cfg.C2S.ParkIdle,
		OnHeld:                heldHook(pushes),
		ProxyProtocol:         prefixes(s.cfg.C2S.ProxyProtocol),
		Bearer:                bearer,
		Register:              s.preAuthRegister(),
		Tickets:               s.webTickets(),
		Durable:               durable(archive),
	}, st, handler, s.metrics, s.log)
	s.components = s.newComponents(dispatcher.FromExternal)

	proxies := prefixes(s.cfg.HTTP.TrustedProxies)
	s.web = web.New(ctx, web.Config{
		WebSocket:      s.cfg.HTTP.WebSocket,
		BOSH:           s.cfg.HTTP.BOSH,
		AllowedOrigins: s.cfg.HTTP.AllowedOrigins,
		TrustedProxies: proxies,
		XMLLimits:      s.xmlLimits(),
		BOSHMaxWait:    s.cfg.HTTP.BOSHMaxWait.Duration,
		BOSHInactivity: s.cfg.HTTP.BOSHInactivity.Duration,
		BOSHMaxPause:   s.cfg.HTTP.BOSHMaxPause.Duration,
		PublicURL:      s.cfg.HTTP.PublicURL,
		Hosts:          s.cfg.Hosts,
	}, s.c2s, s.log)

	if err := s.startCluster(ctx, dispatcher, engine, off); err != nil {
		s.Stop(context.Background())
		return err
	}
	if err := s.listen(ctx, tlsConf); err != nil {
		s.Stop(context.Background())
		return err
	}
	s.ready.Store(true)
	s.log.Info("parley started", "version", Version, "hosts", s.cfg.Hosts, "addrs", s.addrList())
	return nil
}

// xmlLimits are the limits of client streams' XML.
func (s *Server) xmlLimits() xml.Limits {
	lim := s.cfg.Limits
	return xml.Limits{MaxStanzaBytes: lim.MaxStanzaBytes, MaxDepth: lim.MaxDepth, MaxAttrs: xml.DefaultLimits.MaxAttrs,
		MaxNamespaces: lim.MaxNamespaceDeclarations}
}

// durable is what an acknowledgement (XEP-0198) waits for: the
// archive's group commit (offline storage writes synchronously).
func durable(archive *mam.Service) func(context.Context) error {
	if archive == nil {
		return nil
	}
	return archive.Sync
}

func (s *Server) listen(ctx context.Context, tlsConf *tls.Config) error {
	type lis struct {
		name, addr string
		serve      func(net.Listener)
	}
	var all []lis
	if a := s.cfg.C2S.Listen; a != "" {
		all = append(all, lis{"c2s", a, func(l net.Listener) { s.c2s.Serve(ctx, l, false) }})
	}
	if a := s.cfg.C2S.TLSListen; a != "" {
		all = append(all, lis{"c2s_tls", a, func(l net.Listener) { s.c2s.Serve(ctx, l, true) }})
	}
	if a := s.cfg.Components.Listen; a != "" {
		all = append(all, lis{"components", a, func(l net.Listener) { s.components.Serve(ctx, l) }})
	}
	if a := s.cfg.S2S.Listen; a != "" && s.s2s != nil {
		all = append(all, lis{"s2s", a, func(l net.Listener) { s.s2s.Serve(l, false) }})
	}
	if a := s.cfg.S2S.TLSListen; a != "" && s.s2s != nil {
		all = append(all, lis{"s2s_tls", a, func(l net.Listener) { s.s2s.Serve(l, true) }})
	}
	if s.cfg.HTTP.Listen != "" || s.cfg.HTTP.TLSListen != "" {
		// HTTP/1.1 only: WebSocket needs its upgrade, BOSH long polls gain
		// nothing from HTTP/2, and Chromium's HTTP/2 BOSH requests were
		// seen failing against Go's HTTP/2 server (test/browser TestTLS).
		//
		// No ReadTimeout nor WriteTimeout: BOSH holds requests for
		// bosh_max_wait and WebSocket connections live for hours. Idle
		// keep-alive connections end after idle_timeout; every request
		// body must arrive within body_timeout (httpGuard).
		idle := s.cfg.HTTP.IdleTimeout.Duration
		if idle <= 0 {
			idle = 2 * time.Minute
		}
		s.httpGuard = newHTTPGuard(s.cfg.HTTP)
		s.http = &http.Server{Handler: s.httpGuard.wrap(s.httpHandler()), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: idle,
			TLSConfig: tlsConf, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
			TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){}}
	}
	if a := s.cfg.HTTP.Listen; a != "" {
		all = append(all, lis{"http", a, func(l net.Listener) { s.http.Serve(s.httpGuard.listener(l, reject503)) }})
	}
	if a := s.cfg.HTTP.TLSListen; a != "" && tlsConf != nil {
		all = append(all, lis{"https", a, func(l net.Listener) { s.http.ServeTLS(s.httpGuard.listener(l, nil), "", "") }})
	}
	for _, l := range all {
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			return fmt.Errorf("listen %s on %s: %w", l.name, l.addr, err)
		}
		s.mu.Lock()
		s.addrs[l.name] = ln.Addr()
		s.mu.Unlock()
		s.wg.Add(1)
		go func(serve func(net.Listener)) {
			defer s.wg.Done()
			serve(ln)
		}(l.serve)
		if l.name == "c2s_tls" && tlsConf == nil {
			return errors.New("listen c2s_tls: no TLS certificate")
		}
	}
	return nil
}

func (s *Server) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", s.httpGuard.metrics(promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{})))
	s.web.Register(mux)
	s.registerPages(mux)
	s.registerLiveHelp(mux)
	s.registerUpload(mux)
	if s.cfg.Integration.Enabled {
		s.registerIntegration(mux)
	}
	s.registerPresence(mux)
	s.registerCalendar(mux)
	s.registerWebUI(mux)
	return mux
}

func (s *Server) tlsConfig() (*tls.Config, error) {
	cert, generated, err := loadOrCreateCertificate(s.cfg.TLS.CertFile, s.cfg.TLS.KeyFile, s.cfg.DataDir, s.cfg.Hosts)
	if err != nil {
		return nil, err
	}
	if generated {
		s.log.Warn("using a self-signed certificate; configure tls.cert_file and tls.key_file for production", "dir", s.cfg.DataDir)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// Stop ends every stream with <system-shutdown/>, waits for sessions to
// finish (bounded by ctx), stops the listeners and closes storage.
func (s *Server) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() { s.stopErr = s.stop(ctx) })
	return s.stopErr
}

func (s *Server) stop(ctx context.Context) error {
	s.ready.Store(false)
	errs := []error{s.stopControl(ctx), s.stopCalendar(ctx)}
	s.drainCluster(ctx) // rooms move to the other nodes of a cluster first
	s.stopMUC(ctx)
	s.stopConferences(ctx)
	if s.c2s != nil {
		errs = append(errs, s.c2s.Stop(ctx))
	}
	if s.components != nil {
		errs = append(errs, s.components.Stop(ctx))
	}
	errs = append(errs, s.stopCluster(ctx))
	errs = append(errs, s.stopS2S(ctx))
	if s.web != nil {
		s.web.Stop() // BOSH sessions still holding a terminate for their client
	}
	s.stopLiveHelp(ctx)
	if s.http != nil {
		errs = append(errs, s.http.Shutdown(ctx))
	}
	if s.cancelRun != nil {
		s.cancelRun()
	}
	s.wg.Wait()
	errs = append(errs, s.stopBus(ctx))
	if s.store != nil {
		errs = append(errs, s.store.Close())
	}
	s.log.Info("parley stopped")
	return errors.Join(errs...)
}

// prefixes parses validated IP prefixes (config.Validate checked them).
func prefixes(list []string) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(list))
	for _, p := range list {
		pfx, _ := config.ParsePrefix(p)
		out = append(out, pfx)
	}
	return out
}

// Addr returns the bound address of a listener ("c2s", "c2s_tls",
// "components", "s2s", "s2s_tls", "http", "https"), or nil. Useful with
// port 0.
func (s *Server) Addr(name string) net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addrs[name]
}

func (s *Server) addrList() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.addrs))
	for k, v := range s.addrs {
		out[k] = v.String()
	}
	return out
}

// Store returns the server's store (for tests and admin tooling).
func (s *Server) Store() store.Store { return s.store }

// Metrics returns the server's collectors (for tests and admin tooling).
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// Router returns the session table (for tests).
func (s *Server) Router() router.Router { return s.router }
