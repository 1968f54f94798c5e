package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ExternalServices configures external service discovery (XEP-0215):
// the STUN and TURN servers clients use to set up calls.
type ExternalServices struct {
	// URIs lists the services as STUN/TURN URIs (RFC 7064, RFC 7065):
	// "stun:stun.example.com:3478", "turn:turn.example.com:3478?transport=udp",
	// "turns:turn.example.com:5349?transport=tcp".
	URIs []string `toml:"uris"`
	// TURNSecret is the secret shared with the TURN server (coturn's
	// static-auth-secret): clients get time-limited credentials derived
	// from it (the TURN REST convention). "" offers TURN without credentials.
	TURNSecret string `toml:"turn_secret"`
	// CredentialLifetime is how long TURN credentials stay valid.
	CredentialLifetime Duration `toml:"credential_lifetime"`
}

func defaultExternalServices() ExternalServices {
	return ExternalServices{URIs: []string{}, CredentialLifetime: Duration{24 * time.Hour}}
}

// ExternalService is one parsed entry of external_services.uris.
type ExternalService struct {
	Type      string // stun, stuns, turn or turns
	Host      string
	Port      int    // 0: the scheme's default
	Transport string // udp, tcp or ""
}

// ParseExternalService parses a STUN or TURN URI.
func ParseExternalService(s string) (ExternalService, error) {
	u, err := url.Parse(s)
	if err != nil || u.Opaque == "" {
		return ExternalService{}, fmt.Errorf("not a STUN or TURN URI (e.g. \"turn:turn.example.com:3478?transport=udp\")")
	}
	svc := ExternalService{Type: strings.ToLower(u.Scheme)}
	switch svc.Type {
	case "stun", "stuns", "turn", "turns":
	default:
		return ExternalService{}, fmt.Errorf("scheme %q is not stun, stuns, turn or turns", u.Scheme)
	}
	host, port, err := net.SplitHostPort(u.Opaque)
	if err != nil {
		host, port = u.Opaque, ""
	}
	if host == "" || strings.ContainsAny(host, "/@ ") {
		return ExternalService{}, fmt.Errorf("no host in %q", s)
	}
	svc.Host = host
	if port != "" {
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 {
			return ExternalService{}, fmt.Errorf("port %q is not a port number", port)
		}
		svc.Port = p
	}
	for k, vals := range u.Query() {
		if k != "transport" || len(vals) != 1 || (vals[0] != "udp" && vals[0] != "tcp") {
			return ExternalService{}, fmt.Errorf("only ?transport=udp or ?transport=tcp may follow the address")
		}
		svc.Transport = vals[0]
	}
	if strings.HasPrefix(svc.Type, "stun") && svc.Transport != "" {
		return ExternalService{}, fmt.Errorf("a STUN URI takes no transport")
	}
	return svc, nil
}

func (c *Config) validateExternalServices(v *validator) {
	e := &c.ExternalServices
	for _, s := range e.URIs {
		if _, err := ParseExternalService(s); err != nil {
			v.add("external_services.uris", fmt.Sprintf("%q: %v", s, err))
		}
	}
	v.positiveDuration("external_services.credential_lifetime", e.CredentialLifetime)
	if e.TURNSecret != "" && len(e.TURNSecret) < 16 {
		v.add("external_services.turn_secret", "must be at least 16 characters (or empty)")
	}
}
