package config

import (
	"fmt"
	"time"
)

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
	// authentications per user or site ID and client address (over it,
	// that address is refused for that ID); when an ID uses it up from
	// all addresses together it is under attack and is slowed by
	// AuthAttackDelay, never locked. 0 means no limit.
	AuthFailuresPerMinute float64 `toml:"auth_failures_per_minute"`
	// AuthAttackDelay is how long an authentication for an ID under
	// attack waits before its password or key is checked (addresses
	// that failed for it are refused instead); 0 means none.
	AuthAttackDelay Duration `toml:"auth_attack_delay"`
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
		AuthFailuresPerMinute: 10, AuthAttackDelay: Duration{2 * time.Second}, EarlyJoinMinutes: 15}
}

func (c *Integration) validate(v *validator) {
	v.positiveDuration("integration.token_life", c.TokenLife)
	v.atLeast("integration.max_request_size", c.MaxRequestSize, 1)
	v.atLeast("integration.max_response_size", c.MaxResponseSize, 1)
	v.atLeast("integration.early_join_minutes", c.EarlyJoinMinutes, 0)
	v.rate("integration.auth_failures_per_minute", c.AuthFailuresPerMinute)
	if d := c.AuthAttackDelay.Duration; d < 0 || d > 10*time.Second {
		// The bindings give a call 30 s; the delay must leave room.
		v.add("integration.auth_attack_delay", fmt.Sprintf("must be from 0s to 10s, got %s", d))
	}
	for _, p := range c.UserPolicies {
		switch p {
		case "SESSION", "PRESENCE", "PROXY", "REPORTING", "PRECONFERENCE", "POSTCONFERENCE", "GUESTCHAT":
		default:
			v.add("integration.user_policies", fmt.Sprintf("unknown policy %q (want SESSION, PRESENCE, PROXY, REPORTING, PRECONFERENCE, POSTCONFERENCE or GUESTCHAT)", p))
		}
	}
}
