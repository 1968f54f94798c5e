package config

// Integration configures the HTTP integration services (seed 001:
// authentication tokens, configuration, presence) under /imtapp and
// /api/v1.
type Integration struct {
	Enabled bool `toml:"enabled"` // serve the integration services
	// TokenLife is how long an authentication token lives
	// (rtc.application.token_life).
	TokenLife Duration `toml:"token_life"`
	// MaxRequestSize bounds the entries of one bulk request
	// (rtc.application.max_request_size).
	MaxRequestSize int `toml:"max_request_size"`
	// MaxResponseSize bounds the entries of one bulk response
	// (rtc.application.max_response_size).
	MaxResponseSize int `toml:"max_response_size"`
	// AdminEmail is rtc.application.admin_email.
	AdminEmail string `toml:"admin_email"`
}

func defaultIntegration() Integration {
	return Integration{Enabled: true, TokenLife: Duration{3600 * 1e9}, MaxRequestSize: 100, MaxResponseSize: 100}
}

func (c *Integration) validate(v *validator) {
	v.positiveDuration("integration.token_life", c.TokenLife)
	v.atLeast("integration.max_request_size", c.MaxRequestSize, 1)
	v.atLeast("integration.max_response_size", c.MaxResponseSize, 1)
}
