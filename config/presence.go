package config

import (
	"fmt"
	"strings"
	"time"
)

// Presence configures presence over HTTP: the presence URL of seed 001
// (/imtapp/Presence) and the presence endpoint of seed 004
// (/plugins/presence/status).
type Presence struct {
	// PublicDomains lists served domains whose users' presence anyone may
	// read over HTTP; other users must opt in.
	PublicDomains []string `toml:"public_domains"`
	// ImageHosts are the hosts that custom image URLs (images=, per-state
	// overrides) may redirect to; empty allows none.
	ImageHosts []string `toml:"image_hosts"`
	// ErrorAsOffline makes the presence URL's error image the offline
	// image (seed 001: "Deployments can customize this image to be the
	// same as an Offline image").
	ErrorAsOffline bool `toml:"error_as_offline"`
	// NetworkRefresh is how often the users' network presence settings
	// (seed 000, `parley user network-presence`) are read again, so that
	// a change made while the server runs takes effect.
	NetworkRefresh Duration `toml:"network_refresh"`
}

func defaultPresence() Presence {
	return Presence{PublicDomains: []string{}, ImageHosts: []string{}, NetworkRefresh: Duration{30 * time.Second}}
}

// validate lower-cases the domains and hosts (they are compared with
// normalized JID domains and URL hosts) and refuses anything that is not
// a bare host name.
func (p *Presence) validate(v *validator) {
	v.positiveDuration("presence.network_refresh", p.NetworkRefresh)
	for i, d := range p.PublicDomains {
		n, err := normalizeDomain(d)
		if err != nil {
			v.add("presence.public_domains", fmt.Sprintf("%q: %v", d, err))
			continue
		}
		p.PublicDomains[i] = n
	}
	for i, h := range p.ImageHosts {
		if h == "" || strings.ContainsAny(h, "/:@?# \t") {
			v.add("presence.image_hosts", fmt.Sprintf("%q is not a host name (no scheme, port or path: e.g. \"img.example.com\")", h))
			continue
		}
		p.ImageHosts[i] = strings.ToLower(h)
	}
}
