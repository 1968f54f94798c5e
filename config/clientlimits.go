package config

import (
	"fmt"
	"time"
)

// ClientLimits are the [limits] keys that protect the server from
// hostile or careless clients before and after they log in; they are
// embedded in Limits, so their keys sit in [limits] beside the others.
// docs/security.md gives each one's reasoning.
type ClientLimits struct {
	// MaxPreloginConnections caps client connections that have not yet
	// authenticated, in total; 0 = no limit.
	MaxPreloginConnections int `toml:"max_prelogin_connections"`
	// MaxPreloginConnectionsPerIP caps them per address (IPv6: per /64);
	// 0 = no limit.
	MaxPreloginConnectionsPerIP int `toml:"max_prelogin_connections_per_ip"`
	// PreloginTimeout is how long a connection may take from connect to
	// successful authentication (c2s.handshake_timeout still bounds the
	// whole negotiation, up to a bound resource).
	PreloginTimeout Duration `toml:"prelogin_timeout"`
	// MaxPreloginStanzaBytes bounds each element a client sends before it
	// has authenticated.
	MaxPreloginStanzaBytes int `toml:"max_prelogin_stanza_bytes"`
	// MaxNamespaceDeclarations caps the prefixed namespace declarations
	// (xmlns:p='...') in scope inside one stanza.
	MaxNamespaceDeclarations int `toml:"max_namespace_declarations"`
	// MaxAuthAttempts is how many SASL exchanges one connection may start;
	// one more ends the stream with <policy-violation/>.
	MaxAuthAttempts int `toml:"max_auth_attempts"`
	// MaxSessionsPerAccount caps one account's sessions, those waiting for
	// a stream resumption included; 0 = no limit.
	MaxSessionsPerAccount int `toml:"max_sessions_per_account"`
	// UnackedQueueBytes caps what a stream-management session keeps for
	// its client until acknowledged (and while it waits to be resumed).
	UnackedQueueBytes int `toml:"unacked_queue_bytes"`
	// BytesPerSecond shapes what one session may send; 0 = no limit.
	BytesPerSecond int `toml:"bytes_per_second"`
	// ByteBurst is the bucket size for BytesPerSecond.
	ByteBurst int `toml:"byte_burst"`
}

func defaultClientLimits() ClientLimits {
	return ClientLimits{
		MaxPreloginConnections:      1000,
		MaxPreloginConnectionsPerIP: 10,
		PreloginTimeout:             Duration{10 * time.Second},
		MaxPreloginStanzaBytes:      16 << 10,
		MaxNamespaceDeclarations:    64,
		MaxAuthAttempts:             5,
		MaxSessionsPerAccount:       10,
		UnackedQueueBytes:           8 << 20,
		BytesPerSecond:              64 << 10,
		ByteBurst:                   1 << 20,
	}
}

func (l *Limits) validateClientLimits(v *validator) {
	c := &l.ClientLimits
	v.atLeast("limits.max_prelogin_connections", c.MaxPreloginConnections, 0)
	v.atLeast("limits.max_prelogin_connections_per_ip", c.MaxPreloginConnectionsPerIP, 0)
	v.positiveDuration("limits.prelogin_timeout", c.PreloginTimeout)
	// Above limits.max_stanza_bytes it changes nothing (the smaller wins).
	v.atLeast("limits.max_prelogin_stanza_bytes", c.MaxPreloginStanzaBytes, 4096)
	v.atLeast("limits.max_namespace_declarations", c.MaxNamespaceDeclarations, 8)
	// RFC 6120 §6.4.5: allow at least 2 retries, and no more than 5.
	if c.MaxAuthAttempts < 3 || c.MaxAuthAttempts > 6 {
		v.add("limits.max_auth_attempts", fmt.Sprintf("must be from 3 to 6 (RFC 6120 §6.4.5: 2 to 5 retries), got %d", c.MaxAuthAttempts))
	}
	v.atLeast("limits.max_sessions_per_account", c.MaxSessionsPerAccount, 0)
	// The queue must hold at least one stanza of the maximum size.
	if c.UnackedQueueBytes < l.MaxStanzaBytes {
		v.add("limits.unacked_queue_bytes", fmt.Sprintf("must be at least limits.max_stanza_bytes (%d), got %d", l.MaxStanzaBytes, c.UnackedQueueBytes))
	}
	v.atLeast("limits.bytes_per_second", c.BytesPerSecond, 0)
	if c.BytesPerSecond > 0 && c.ByteBurst < l.MaxStanzaBytes {
		v.add("limits.byte_burst", fmt.Sprintf("must be at least limits.max_stanza_bytes (%d) when bytes_per_second is set, got %d", l.MaxStanzaBytes, c.ByteBurst))
	}
}
