package config

import "fmt"

// ClientLimits are the [limits] keys that protect the server from
// hostile or careless clients before and after they log in; they are
// embedded in Limits, so their keys sit in [limits] beside the others.
// docs/security.md gives each one's reasoning.
type ClientLimits struct {
	// MaxSessionsPerAccount caps one account's sessions, those waiting for
	// a stream resumption included; 0 = no limit.
	MaxSessionsPerAccount int `toml:"max_sessions_per_account"`
	// UnackedQueueBytes caps what a stream-management session keeps for
	// its client until acknowledged (and while it waits to be resumed).
	UnackedQueueBytes int `toml:"unacked_queue_bytes"`
}

func defaultClientLimits() ClientLimits {
	return ClientLimits{
		MaxSessionsPerAccount: 10,
		UnackedQueueBytes:     8 << 20,
	}
}

func (l *Limits) validateClientLimits(v *validator) {
	c := &l.ClientLimits
	v.atLeast("limits.max_sessions_per_account", c.MaxSessionsPerAccount, 0)
	// The queue must hold at least one stanza of the maximum size.
	if c.UnackedQueueBytes < l.MaxStanzaBytes {
		v.add("limits.unacked_queue_bytes", fmt.Sprintf("must be at least limits.max_stanza_bytes (%d), got %d", l.MaxStanzaBytes, c.UnackedQueueBytes))
	}
}
