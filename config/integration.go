package config

import "fmt"

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
	// UserPolicies are the token policies a user (an XMPP account) may
	// obtain for themselves; sites get theirs from their own settings.
	UserPolicies []string `toml:"user_policies"`
	// AuthFailuresPerMinute limits failed createSession/requestToken
	// authentications per user or site ID; 0 means no limit.
	AuthFailuresPerMinute float64 `toml:"auth_failures_per_minute"`
	// EarlyJoinMinutes is rtc.application.early_join_minutes: how long
	// before its start a conference may be joined.
	EarlyJoinMinutes int `toml:"early_join_minutes"`
	// Download locations and versions published in the configuration
	// directory (rtc.clients.*); "" publishes none.
	ClientsMessengerURL     string `toml:"clients_messenger_url"`
	ClientsMessengerVersion string `toml:"clients_messenger_version"`
	ClientsAddinURL         string `toml:"clients_addin_url"`
	ClientsAddinVersion     string `toml:"clients_addin_version"`
}

func defaultIntegration() Integration {
	return Integration{Enabled: true, TokenLife: Duration{3600 * 1e9}, MaxRequestSize: 100, MaxResponseSize: 100,
		UserPolicies:          []string{"SESSION", "PRESENCE", "PRECONFERENCE", "POSTCONFERENCE", "REPORTING"},
		AuthFailuresPerMinute: 10, EarlyJoinMinutes: 15}
}

func (c *Integration) validate(v *validator) {
	v.positiveDuration("integration.token_life", c.TokenLife)
	v.atLeast("integration.max_request_size", c.MaxRequestSize, 1)
	v.atLeast("integration.max_response_size", c.MaxResponseSize, 1)
	v.atLeast("integration.early_join_minutes", c.EarlyJoinMinutes, 0)
	v.rate("integration.auth_failures_per_minute", c.AuthFailuresPerMinute)
	for _, p := range c.UserPolicies {
		switch p {
		case "SESSION", "PRESENCE", "PROXY", "REPORTING", "PRECONFERENCE", "POSTCONFERENCE", "GUESTCHAT":
		default:
			v.add("integration.user_policies", fmt.Sprintf("unknown policy %q (want SESSION, PRESENCE, PROXY, REPORTING, PRECONFERENCE, POSTCONFERENCE or GUESTCHAT)", p))
		}
	}
}
