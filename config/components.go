package config

import (
	"fmt"
	"strings"
)

// Components configures external components (XEP-0114): trusted
// services, such as a push app server, that connect to the server and
// serve a domain of their own.
type Components struct {
	// Listen is the component listener (host:port), e.g.
	// "127.0.0.1:5347"; "" (the default) disables it. It speaks plain
	// TCP, as XEP-0114 does: keep it on loopback or a private network.
	Listen string `toml:"listen"`
	// Secrets lists "domain=secret" for each component allowed to
	// connect; a component authenticates with its domain's secret.
	Secrets []string `toml:"secrets"`
}

func defaultComponents() Components {
	return Components{Listen: "", Secrets: []string{}}
}

// ComponentSecrets returns components.secrets as domain -> secret
// (valid after Validate).
func (c Components) ComponentSecrets() map[string]string {
	out := make(map[string]string, len(c.Secrets))
	for _, s := range c.Secrets {
		domain, secret, _ := strings.Cut(s, "=")
		out[strings.ToLower(strings.TrimSpace(domain))] = secret
	}
	return out
}

func (c *Config) validateComponents(v *validator) {
	v.listener("components.listen", c.Components.Listen)
	seen := map[string]bool{}
	for _, s := range c.Components.Secrets {
		domain, secret, ok := strings.Cut(s, "=")
		d, err := normalizeDomain(strings.TrimSpace(domain))
		switch {
		case !ok || secret == "":
			v.add("components.secrets", fmt.Sprintf("%q is not domain=secret", redact(s)))
		case err != nil:
			v.add("components.secrets", fmt.Sprintf("%q is not a domain", domain))
		case c.HasHost(d):
			v.add("components.secrets", fmt.Sprintf("%s is a served host, not a component domain", d))
		case c.MUC.Enabled && strings.HasPrefix(d, c.MUC.Subdomain+".") && c.HasHost(strings.TrimPrefix(d, c.MUC.Subdomain+".")):
			v.add("components.secrets", fmt.Sprintf("%s is the conference service", d))
		case c.Calendar.Enabled && strings.HasPrefix(d, c.Calendar.Subdomain+".") && c.HasHost(strings.TrimPrefix(d, c.Calendar.Subdomain+".")):
			v.add("components.secrets", fmt.Sprintf("%s is the calendar agent", d))
		case seen[d]:
			v.add("components.secrets", fmt.Sprintf("%s is listed twice", d))
		case len(secret) < 16:
			v.add("components.secrets", fmt.Sprintf("the secret of %s is shorter than 16 characters", d))
		}
		seen[d] = true
	}
}

// redact hides the secret of a "domain=secret" entry in messages.
func redact(s string) string {
	if d, _, ok := strings.Cut(s, "="); ok {
		return d + "=…"
	}
	return s
}
