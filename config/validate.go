package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/parley-im/parley/xmpp/jid"
)

// Validate checks every setting and normalises some in place: hosts are
// lower-cased (and otherwise normalised as JID domainparts) and
// deduplicated, log.level and log.format lower-cased. Each problem is an
// *Error naming its key; all problems are reported together. Validate is
// idempotent, so callers may apply flags and validate again.
func (c *Config) Validate() error {
	var v validator
	c.validateHosts(&v)
	if c.DataDir == "" {
		v.add("data_dir", "must not be empty")
	}

	v.listener("c2s.listen", c.C2S.Listen)
	v.listener("c2s.tls_listen", c.C2S.TLSListen)
	v.listener("http.listen", c.HTTP.Listen)
	v.listener("http.tls_listen", c.HTTP.TLSListen)
	v.distinctListeners(
		[2]string{"c2s.listen", c.C2S.Listen},
		[2]string{"c2s.tls_listen", c.C2S.TLSListen},
		[2]string{"http.listen", c.HTTP.Listen},
		[2]string{"http.tls_listen", c.HTTP.TLSListen},
		[2]string{"components.listen", c.Components.Listen},
		[2]string{"nats.listen", c.NATS.Listen},
		[2]string{"cluster.listen", c.Cluster.Listen},
		[2]string{"s2s.listen", c.S2S.Listen},
		[2]string{"s2s.tls_listen", c.S2S.TLSListen},
	)
	for _, p := range c.C2S.ProxyProtocol {
		if _, err := ParsePrefix(p); err != nil {
			v.add("c2s.proxy_protocol", fmt.Sprintf("%q is not an IP address or CIDR prefix", p))
		}
	}
	for _, p := range c.HTTP.TrustedProxies {
		if _, err := ParsePrefix(p); err != nil {
			v.add("http.trusted_proxies", fmt.Sprintf("%q is not an IP address or CIDR prefix", p))
		}
	}
	for _, o := range c.HTTP.AllowedOrigins {
		if _, err := path.Match(o, ""); err != nil || o == "" {
			v.add("http.allowed_origins", fmt.Sprintf("%q is not a host pattern (e.g. \"*.example.com\" or \"*\")", o))
		}
	}
	v.positiveDuration("http.bosh_max_wait", c.HTTP.BOSHMaxWait)
	v.positiveDuration("http.bosh_inactivity", c.HTTP.BOSHInactivity)
	v.positiveDuration("http.bosh_max_pause", c.HTTP.BOSHMaxPause)
	v.positiveDuration("http.idle_timeout", c.HTTP.IdleTimeout)
	v.positiveDuration("http.body_timeout", c.HTTP.BodyTimeout)
	v.atLeast("http.max_connections", c.HTTP.MaxConnections, 0)
	v.atLeast("http.max_connections_per_ip", c.HTTP.MaxConnectionsPerIP, 0)
	for _, p := range c.HTTP.MetricsAllow {
		if _, err := ParsePrefix(p); err != nil {
			v.add("http.metrics_allow", fmt.Sprintf("%q is not an IP address or CIDR prefix", p))
		}
	}
	if c.HTTP.PublicURL != "" {
		if u, err := normalizePublicURL(c.HTTP.PublicURL); err != nil {
			v.add("http.public_url", fmt.Sprintf("%q: %v", c.HTTP.PublicURL, err))
		} else {
			c.HTTP.PublicURL = u
		}
	}
	v.positiveDuration("c2s.ping_interval", c.C2S.PingInterval)
	v.positiveDuration("c2s.ping_timeout", c.C2S.PingTimeout)
	v.positiveDuration("c2s.handshake_timeout", c.C2S.HandshakeTimeout)
	if c.C2S.ResumeTimeout.Duration < 0 {
		v.add("c2s.resume_timeout", "must not be negative (0 disables stream resumption)")
	}

	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		v.add("tls", "set both cert_file and key_file, or neither (for a generated self-signed certificate)")
	}

	c.Storage.validate(&v)

	v.atLeast("offline.max_messages", c.Offline.MaxMessages, 0)
	v.atLeast("offline.max_bytes", c.Offline.MaxBytes, 0)
	v.atLeast("mam.max_bytes", c.MAM.MaxBytes, 0)
	v.atLeast("mam.page_bytes", c.MAM.PageBytes, 4096)
	switch c.MAM.DefaultMode {
	case "always", "roster", "never":
	default:
		v.add("mam.default_mode", fmt.Sprintf("%q is not a mode (use always, roster or never)", c.MAM.DefaultMode))
	}
	if c.MAM.Retention.Duration < 0 {
		v.add("mam.retention", "must not be negative (0 keeps messages forever)")
	}

	c.MUC.validate(&v)
	c.validateComponents(&v)
	c.validateS2S(&v)
	c.Integration.validate(&v)
	c.Presence.validate(&v)
	c.WebUI.validate(&v)
	c.Roster.validate(&v)
	c.LiveHelp.validate(&v, c)
	c.NATS.validate(&v)
	c.validateCalendar(&v)
	c.validateControl(&v)
	c.Conference.validate(&v, c)
	c.Mail.validate(&v)
	c.validateCluster(&v)
	c.validateAdmins(&v)
	c.validatePersonal(&v)
	c.validateUpload(&v)
	c.validateRegistration(&v)
	c.validateExternalServices(&v)

	l := &c.Limits
	v.atLeast("limits.max_stanza_bytes", l.MaxStanzaBytes, 4096)
	v.atLeast("limits.max_depth", l.MaxDepth, 8)
	v.atLeast("limits.max_connections", l.MaxConnections, 0)
	v.atLeast("limits.max_connections_per_ip", l.MaxConnectionsPerIP, 0)
	v.rate("limits.stanzas_per_second", l.StanzasPerSecond)
	if l.StanzasPerSecond > 0 {
		v.atLeast("limits.stanza_burst", l.StanzaBurst, 1)
	} else {
		v.atLeast("limits.stanza_burst", l.StanzaBurst, 0)
	}
	v.rate("limits.auth_failures_per_minute", l.AuthFailuresPerMinute)
	// The outbound queue is always bounded, and must hold at least one
	// stanza of the maximum size.
	if l.OutboundQueueBytes < l.MaxStanzaBytes {
		v.add("limits.outbound_queue_bytes", fmt.Sprintf("must be at least limits.max_stanza_bytes (%d), got %d", l.MaxStanzaBytes, l.OutboundQueueBytes))
	}
	v.atLeast("limits.outbound_queue_stanzas", l.OutboundQueueStanzas, 1)
	l.validateClientLimits(&v)

	c.Log.Level = strings.ToLower(c.Log.Level)
	if _, ok := logLevels[c.Log.Level]; !ok {
		v.add("log.level", fmt.Sprintf("%q is not a level (use debug, info, warn or error)", c.Log.Level))
	}
	c.Log.Format = strings.ToLower(c.Log.Format)
	if c.Log.Format != "text" && c.Log.Format != "json" {
		v.add("log.format", fmt.Sprintf("%q is not a format (use text or json)", c.Log.Format))
	}
	return errors.Join(v.errs...)
}

// validateHosts normalises c.Hosts (lower case, no trailing dot, IDNA
// U-labels), removes duplicates and reports invalid domains.
func (c *Config) validateHosts(v *validator) {
	if len(c.Hosts) == 0 {
		v.add("hosts", "at least one domain is required")
		return
	}
	hosts := make([]string, 0, len(c.Hosts))
	seen := make(map[string]bool, len(c.Hosts))
	for _, h := range c.Hosts {
		d, err := normalizeDomain(h)
		if err != nil {
			v.add("hosts", fmt.Sprintf("%q is not a valid domain: %v", h, err))
			continue
		}
		if !seen[d] {
			seen[d] = true
			hosts = append(hosts, d)
		}
	}
	c.Hosts = hosts
}

func normalizeDomain(h string) (string, error) {
	switch {
	case h == "":
		return "", errors.New("empty")
	case strings.ContainsFunc(h, isSpace):
		return "", errors.New("contains white space")
	case strings.ContainsAny(h, "@/"):
		return "", errors.New(`contains "@" or "/" (a domain, not a JID)`)
	}
	j, err := jid.New("", h, "")
	if err != nil {
		return "", err
	}
	return j.Domain(), nil
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
}

// validator collects the problems found.
type validator struct{ errs []error }

func (v *validator) add(key, msg string) { v.errs = append(v.errs, &Error{Key: key, Msg: msg}) }

func (v *validator) atLeast(key string, n, min int) {
	if n < min {
		v.add(key, fmt.Sprintf("must be at least %d, got %d", min, n))
	}
}

// rate checks a rate limit: 0 disables it, otherwise it is positive and finite.
func (v *validator) rate(key string, f float64) {
	if !(f >= 0) || math.IsInf(f, 0) {
		v.add(key, fmt.Sprintf("must be a finite number >= 0 (0 = no limit), got %v", f))
	}
}

func (v *validator) positiveDuration(key string, d Duration) {
	if d.Duration <= 0 {
		v.add(key, fmt.Sprintf("must be a positive duration, got %s", d.Duration))
	}
}

// listener checks a listen address: "" (disabled) or host:port with a
// numeric port (0 picks a free port).
func (v *validator) listener(key, addr string) {
	if addr == "" {
		return
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		v.add(key, fmt.Sprintf("%q is not host:port (e.g. \":5222\" or \"127.0.0.1:5222\"; \"\" disables)", addr))
		return
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || (len(port) > 1 && port[0] == '0') || p > math.MaxUint16 {
		v.add(key, fmt.Sprintf("%q: port must be a number from 0 to 65535", addr))
	}
	if strings.ContainsFunc(host, isSpace) || strings.ContainsAny(host, "/@") {
		v.add(key, fmt.Sprintf("%q: invalid host", addr))
	}
}

// distinctListeners reports two listeners on the same fixed address.
func (v *validator) distinctListeners(ls ...[2]string) {
	for i, a := range ls {
		if a[1] == "" || strings.HasSuffix(a[1], ":0") {
			continue
		}
		for _, b := range ls[:i] {
			if a[1] == b[1] {
				v.add(a[0], fmt.Sprintf("%q is also %s", a[1], b[0]))
			}
		}
	}
}

// ParsePrefix parses a trusted proxy entry: an IP address (a prefix of
// one address) or a CIDR prefix.
func ParsePrefix(s string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	return p.Masked(), err
}

// normalizePublicURL checks that u is scheme://host[:port] (http or
// https, an optional trailing slash dropped) and returns it so.
func normalizePublicURL(u string) (string, error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", errors.New("not a URL")
	}
	if p.Scheme != "http" && p.Scheme != "https" {
		return "", errors.New("must start with http:// or https://")
	}
	if p.Host == "" || p.User != nil || p.RawQuery != "" || p.Fragment != "" || p.Opaque != "" || (p.Path != "" && p.Path != "/") {
		return "", errors.New("must be scheme://host[:port] only, without path, user, query or fragment")
	}
	for _, c := range p.Host {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-:[]_", c)) {
			return "", fmt.Errorf("host %q has a character %q not allowed", p.Host, c)
		}
	}
	return p.Scheme + "://" + p.Host, nil
}
