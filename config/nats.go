package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// NATS configures the message bus: Parley's embedded NATS server, or an
// external NATS (cluster) that Parley connects to instead. The calendar
// agent subscribes to it; clustering reuses the same server and client.
type NATS struct {
	// Listen is the embedded NATS server's client listener (host:port);
	// port 0 picks a free port. "" disables the embedded server (and so
	// the bus, unless url is set).
	Listen string `toml:"listen"`
	// URL points Parley at an external NATS server or cluster instead
	// (comma-separated nats:// or tls:// URLs); the embedded server is not
	// started then.
	URL string `toml:"url"`
	// User and Password are the credentials clients need for the
	// embedded server, and the ones Parley presents to an external one.
	// Required when the embedded server listens beyond loopback.
	User     string `toml:"user"`
	Password string `toml:"password"`
	// TLS makes the embedded server require TLS, with the server's
	// certificate (tls.cert_file or the generated one).
	TLS bool `toml:"tls"`
	// CAFile holds the CA certificates that an external NATS server's
	// certificate is verified with ("" uses the system's roots).
	CAFile string `toml:"ca_file"`
	// CredsFile is a NATS credentials file (JWT and nkey seed) for an
	// external NATS in operator mode; "" uses user/password, if any.
	CredsFile string `toml:"creds_file"`
}

func defaultNATS() NATS { return NATS{Listen: "127.0.0.1:4222"} }

// BusEnabled reports whether Parley has a bus: an embedded server or an
// external URL.
func (n NATS) BusEnabled() bool { return n.URL != "" || n.Listen != "" }

// Embedded reports whether Parley runs its own NATS server.
func (n NATS) Embedded() bool { return n.URL == "" && n.Listen != "" }

// URLs returns nats.url split into its URLs.
func (n NATS) URLs() []string {
	var out []string
	for u := range strings.SplitSeq(n.URL, ",") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	return out
}

func (n *NATS) validate(v *validator) {
	v.listener("nats.listen", n.Listen)
	if (n.User == "") != (n.Password == "") {
		v.add("nats", "set both user and password, or neither")
	}
	for _, u := range n.URLs() {
		p, err := url.Parse(u)
		if err != nil || p.Host == "" {
			v.add("nats.url", fmt.Sprintf("%q is not a URL (e.g. nats://nats.example.com:4222)", u))
			continue
		}
		switch p.Scheme {
		case "nats", "tls", "ws", "wss":
		default:
			v.add("nats.url", fmt.Sprintf("%q: scheme must be nats, tls, ws or wss", u))
		}
		if p.User != nil {
			v.add("nats.url", "put credentials in nats.user and nats.password, not in the URL")
		}
	}
	if n.URL != "" && len(n.URLs()) == 0 {
		v.add("nats.url", "no URL given")
	}
	if n.Embedded() {
		if n.CredsFile != "" {
			v.add("nats.creds_file", "only for an external NATS (nats.url)")
		}
		if n.User == "" && !loopbackListener(n.Listen) {
			v.add("nats.listen", fmt.Sprintf("%q listens beyond loopback: set nats.user and nats.password", n.Listen))
		}
	}
	if n.CredsFile != "" && n.User != "" {
		v.add("nats.creds_file", "use either creds_file or user/password")
	}
}

// loopbackListener reports whether a listen address binds loopback
// only: an IP address that is loopback, or "localhost". An empty host
// binds every interface.
func loopbackListener(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
