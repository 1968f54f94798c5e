package config

import (
	"fmt"
	"net"
	"strings"
	"time"
)

// S2S configures server-to-server federation (RFC 6120 server streams):
// the listeners other servers connect to, how Parley finds and trusts
// them, and the limits it applies to each remote domain. See
// docs/federation.md.
type S2S struct {
	// Enabled turns federation on: stanzas for other domains go to their
	// servers and the listeners accept theirs. Off, such stanzas bounce
	// with <remote-server-not-found/> and nothing listens.
	Enabled bool `toml:"enabled"`
	// Listen is the server listener with STARTTLS; "" disables incoming
	// streams on it.
	Listen string `toml:"listen"`
	// TLSListen is the server listener with TLS from the first byte
	// (XEP-0368, advertised as _xmpps-server._tcp); "" disables it.
	TLSListen string `toml:"tls_listen"`
	// StaticHosts maps remote domains to addresses ("domain=host:port"),
	// used instead of DNS: private networks and tests.
	StaticHosts []string `toml:"static_hosts"`
	// TrustedDomains are remote domains whose self-signed or private-CA
	// certificates are accepted (the certificate must still name the
	// domain); every other domain needs a certificate a public CA signed.
	TrustedDomains []string `toml:"trusted_domains"`
	// AllowPlaintext accepts and opens server streams without TLS when
	// the other side offers none. Off (the default), TLS is required.
	AllowPlaintext bool `toml:"allow_plaintext"`
	// Dialback allows Server Dialback (XEP-0220) when certificate
	// authentication (SASL EXTERNAL, XEP-0178) is not possible.
	Dialback bool `toml:"dialback"`
	// Allow, when not empty, lists the only remote domains Parley talks
	// to; Deny lists domains it never talks to (it wins over Allow).
	Allow []string `toml:"allow"`
	Deny  []string `toml:"deny"`
	// ConnectTimeout bounds one TCP connection attempt.
	ConnectTimeout Duration `toml:"connect_timeout"`
	// HandshakeTimeout bounds a stream's negotiation (TLS,
	// authentication) in both directions.
	HandshakeTimeout Duration `toml:"handshake_timeout"`
	// IdleTimeout closes a server stream that carried nothing for this long.
	IdleTimeout Duration `toml:"idle_timeout"`
	// QueueTimeout is how long a stanza may wait for its remote server;
	// later it bounces with <remote-server-timeout/>.
	QueueTimeout Duration `toml:"queue_timeout"`
	// RetryMax caps the pause between connection attempts to a remote
	// server that failed (it doubles from one second).
	RetryMax Duration `toml:"retry_max"`
	// QueueStanzas and QueueBytes bound the stanzas waiting for one
	// remote domain; more bounce with <resource-constraint/>.
	QueueStanzas int `toml:"queue_stanzas"`
	QueueBytes   int `toml:"queue_bytes"`
	// StanzasPerSecond and StanzaBurst limit what one remote domain may
	// send (all its streams together); 0 means no limit. Over it Parley
	// reads more slowly.
	StanzasPerSecond float64 `toml:"stanzas_per_second"`
	StanzaBurst      int     `toml:"stanza_burst"`
	// MaxConnections caps incoming server streams; MaxConnectionsPerIP
	// caps those of one address. 0 means no cap.
	MaxConnections      int `toml:"max_connections"`
	MaxConnectionsPerIP int `toml:"max_connections_per_ip"`
}

func defaultS2S() S2S {
	return S2S{
		Enabled:             true,
		Listen:              ":5269",
		TLSListen:           ":5270",
		StaticHosts:         []string{},
		TrustedDomains:      []string{},
		AllowPlaintext:      false,
		Dialback:            true,
		Allow:               []string{},
		Deny:                []string{},
		ConnectTimeout:      Duration{10 * time.Second},
		HandshakeTimeout:    Duration{30 * time.Second},
		IdleTimeout:         Duration{10 * time.Minute},
		QueueTimeout:        Duration{60 * time.Second},
		RetryMax:            Duration{60 * time.Second},
		QueueStanzas:        10000,
		QueueBytes:          4 << 20,
		StanzasPerSecond:    500,
		StanzaBurst:         2000,
		MaxConnections:      1000,
		MaxConnectionsPerIP: 20,
	}
}

// S2SStaticHosts returns s2s.static_hosts as domain -> host:port
// (valid after Validate).
func (s S2S) S2SStaticHosts() map[string]string {
	out := make(map[string]string, len(s.StaticHosts))
	for _, e := range s.StaticHosts {
		domain, addr, _ := strings.Cut(e, "=")
		d, err := normalizeDomain(strings.TrimSpace(domain))
		if err != nil {
			continue
		}
		out[d] = strings.TrimSpace(addr)
	}
	return out
}

func (c *Config) validateS2S(v *validator) {
	s := &c.S2S
	v.listener("s2s.listen", s.Listen)
	v.listener("s2s.tls_listen", s.TLSListen)
	seen := map[string]bool{}
	for _, e := range s.StaticHosts {
		domain, addr, ok := strings.Cut(e, "=")
		d, err := normalizeDomain(strings.TrimSpace(domain))
		addr = strings.TrimSpace(addr)
		switch {
		case !ok:
			v.add("s2s.static_hosts", fmt.Sprintf("%q is not domain=host:port", e))
			continue
		case err != nil:
			v.add("s2s.static_hosts", fmt.Sprintf("%q: %q is not a domain: %v", e, domain, err))
			continue
		case c.HasHost(d):
			v.add("s2s.static_hosts", fmt.Sprintf("%q: %s is served here", e, d))
		case seen[d]:
			v.add("s2s.static_hosts", fmt.Sprintf("%s is listed twice", d))
		}
		seen[d] = true
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host == "" || port == "" || port == "0" {
			v.add("s2s.static_hosts", fmt.Sprintf("%q: %q is not host:port", e, addr))
			continue
		}
		v.listener("s2s.static_hosts", addr)
	}
	s.TrustedDomains = v.domains("s2s.trusted_domains", s.TrustedDomains)
	s.Allow = v.domains("s2s.allow", s.Allow)
	s.Deny = v.domains("s2s.deny", s.Deny)
	v.positiveDuration("s2s.connect_timeout", s.ConnectTimeout)
	v.positiveDuration("s2s.handshake_timeout", s.HandshakeTimeout)
	v.positiveDuration("s2s.idle_timeout", s.IdleTimeout)
	v.positiveDuration("s2s.queue_timeout", s.QueueTimeout)
	v.positiveDuration("s2s.retry_max", s.RetryMax)
	v.atLeast("s2s.queue_stanzas", s.QueueStanzas, 1)
	if s.QueueBytes < c.Limits.MaxStanzaBytes {
		v.add("s2s.queue_bytes", fmt.Sprintf("must be at least limits.max_stanza_bytes (%d), got %d", c.Limits.MaxStanzaBytes, s.QueueBytes))
	}
	v.rate("s2s.stanzas_per_second", s.StanzasPerSecond)
	if s.StanzasPerSecond > 0 {
		v.atLeast("s2s.stanza_burst", s.StanzaBurst, 1)
	} else {
		v.atLeast("s2s.stanza_burst", s.StanzaBurst, 0)
	}
	v.atLeast("s2s.max_connections", s.MaxConnections, 0)
	v.atLeast("s2s.max_connections_per_ip", s.MaxConnectionsPerIP, 0)
}

// domains checks and normalises a list of remote domains.
func (v *validator) domains(key string, list []string) []string {
	out := make([]string, 0, len(list))
	for _, d := range list {
		n, err := normalizeDomain(strings.TrimSpace(d))
		if err != nil {
			v.add(key, fmt.Sprintf("%q is not a domain: %v", d, err))
			continue
		}
		out = append(out, n)
	}
	return out
}
