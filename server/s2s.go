package server

import (
	"context"
	"crypto/tls"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/parley-im/parley/s2s"
	"github.com/parley-im/parley/xmpp/xml"
)

// startS2S prepares federation (when s2s.enabled): the router sends
// every stanza for a domain it does not know to it, and deliver (the
// dispatcher's FromRemote) takes what other servers send. The
// listeners are opened by listen.
func (s *Server) startS2S(tlsConf *tls.Config, deliver func(context.Context, *xml.Element)) {
	c := s.cfg.S2S
	if !c.Enabled {
		return
	}
	var certs []tls.Certificate
	if tlsConf != nil {
		certs = tlsConf.Certificates
	}
	local := s.federated()
	s.s2s = s2s.New(s2s.Config{
		Local:               func(d string) bool { return local[d] },
		DefaultDomain:       s.cfg.Hosts[0],
		Certificates:        certs,
		TrustedDomains:      c.TrustedDomains,
		AllowPlaintext:      c.AllowPlaintext,
		Dialback:            c.Dialback,
		DialbackSecret:      s.secrets.dialback,
		StaticHosts:         c.S2SStaticHosts(),
		Allow:               c.Allow,
		Deny:                c.Deny,
		XMLLimits:           s.xmlLimits(), // as for clients
		ConnectTimeout:      c.ConnectTimeout.Duration,
		HandshakeTimeout:    c.HandshakeTimeout.Duration,
		IdleTimeout:         c.IdleTimeout.Duration,
		WriteTimeout:        30 * time.Second,
		QueueTimeout:        c.QueueTimeout.Duration,
		RetryMax:            c.RetryMax.Duration,
		QueueStanzas:        c.QueueStanzas,
		QueueBytes:          c.QueueBytes,
		StanzasPerSecond:    c.StanzasPerSecond,
		StanzaBurst:         c.StanzaBurst,
		MaxConnections:      c.MaxConnections,
		MaxConnectionsPerIP: c.MaxConnectionsPerIP,
		Deliver:             deliver,
		Logger:              s.log,
		Metrics:             s2sMetrics(s.metrics.Registry),
	})
	s.s2s.Start(s.runCtx)
	if s.conferences != nil && s.conferences.GuestDomain() != "" {
		// Conference guests' sessions are bound here but their domain is
		// no host: it must never be looked for on the network.
		s.router.SetInternal([]string{s.conferences.GuestDomain()})
	}
	s.router.SetRemote(s.s2s)
}

// federated lists the domains served here that other servers may reach:
// the hosts, the conference services and the external components'
// domains. Live help's groups and guests are not among them.
func (s *Server) federated() map[string]bool {
	out := make(map[string]bool)
	for _, h := range s.cfg.Hosts {
		out[h] = true
	}
	if s.muc != nil {
		for _, d := range s.muc.Domains() {
			out[d] = true
		}
	}
	for d := range s.cfg.Components.ComponentSecrets() {
		out[d] = true
	}
	return out
}

// stopS2S lets what waits for other servers go (the unavailable
// presence of the users logging out), then closes the server streams.
func (s *Server) stopS2S(ctx context.Context) error {
	if s.s2s == nil {
		return nil
	}
	return s.s2s.Stop(ctx)
}

// S2S returns the federation service, nil when disabled (for tests).
func (s *Server) S2S() *s2s.Service { return s.s2s }

// s2sMetrics registers federation's collectors on reg.
func s2sMetrics(reg *prometheus.Registry) s2s.Metrics {
	streams := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "parley_s2s_streams", Help: "Open server-to-server streams."}, []string{"direction"})
	auth := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_s2s_auth_total", Help: "Server-to-server authentication outcomes."}, []string{"direction", "method", "result"})
	stanzas := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_s2s_stanzas_total", Help: "Stanzas received from (in) and written to (out) other servers."}, []string{"direction"})
	bounced := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_s2s_bounced_total", Help: "Stanzas for other servers bounced, by condition."}, []string{"condition"})
	queued := prometheus.NewGauge(prometheus.GaugeOpts{Name: "parley_s2s_queued_stanzas", Help: "Stanzas waiting for other servers."})
	reg.MustRegister(streams, auth, stanzas, bounced, queued)
	return s2s.Metrics{
		Streams: func(d string, n int) { streams.WithLabelValues(d).Add(float64(n)) },
		Auth:    func(d, m, r string) { auth.WithLabelValues(d, m, r).Inc() },
		Stanzas: func(d string) { stanzas.WithLabelValues(d).Inc() },
		Bounced: func(c string) { bounced.WithLabelValues(c).Inc() },
		Queued:  func(n int) { queued.Add(float64(n)) },
	}
}
