package config

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
}

func defaultPresence() Presence {
	return Presence{PublicDomains: []string{}, ImageHosts: []string{}}
}

func (p *Presence) validate(v *validator) {}
