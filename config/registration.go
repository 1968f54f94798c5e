package config

import "time"

// Registration configures in-band registration (XEP-0077): new accounts
// created by clients themselves. Changing one's password and removing
// one's account are always allowed to a logged-in user.
type Registration struct {
	// Enabled lets clients create accounts before logging in.
	Enabled bool `toml:"enabled"`
	// PerAddress is how many accounts one IP address (IPv6: one /64) may
	// create per Window.
	PerAddress int `toml:"per_address"`
	// Window is the period PerAddress counts over.
	Window Duration `toml:"window"`
	// MinPasswordLength is the shortest password accepted when an
	// account is created or its password changed in band.
	MinPasswordLength int `toml:"min_password_length"`
}

func defaultRegistration() Registration {
	return Registration{Enabled: false, PerAddress: 3, Window: Duration{time.Hour}, MinPasswordLength: 8}
}

func (c *Config) validateRegistration(v *validator) {
	r := &c.Registration
	v.atLeast("registration.per_address", r.PerAddress, 1)
	v.positiveDuration("registration.window", r.Window)
	v.atLeast("registration.min_password_length", r.MinPasswordLength, 1)
}
