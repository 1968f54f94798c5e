// Package config holds Parley's configuration: one TOML file
// (parley.toml), every key with a default, overridden by PARLEY_*
// environment variables and then by command-line flags.
package config

import "time"

// Config is the whole server configuration. The toml tags are the file
// keys; the environment variable for a key is PARLEY_ followed by the
// upper-cased key path joined with '_' (e.g. c2s.listen -> PARLEY_C2S_LISTEN).
type Config struct {
	// Hosts are the XMPP domains this server serves (virtual hosts).
	Hosts []string `toml:"hosts"`
	// DataDir holds the SQLite database and the generated certificate.
	DataDir string `toml:"data_dir"`

	C2S     C2S     `toml:"c2s"`
	HTTP    HTTP    `toml:"http"`
	TLS     TLS     `toml:"tls"`
	Storage Storage `toml:"storage"`
	Offline Offline `toml:"offline"`
	Limits  Limits  `toml:"limits"`
	Log     Log     `toml:"log"`
}

// C2S configures client-to-server listeners and sessions.
type C2S struct {
	Listen           string   `toml:"listen"`            // STARTTLS listener; "" disables
	TLSListen        string   `toml:"tls_listen"`        // direct TLS listener (XEP-0368); "" disables
	AllowPlaintext   bool     `toml:"allow_plaintext"`   // permit c2s without TLS (loopback tests, benchmarks)
	PingInterval     Duration `toml:"ping_interval"`     // idle time before the server pings a client
	PingTimeout      Duration `toml:"ping_timeout"`      // time to wait for any data after that ping
	HandshakeTimeout Duration `toml:"handshake_timeout"` // time allowed from connect to bound resource
}

// HTTP configures the HTTP listener (health, metrics; later web transports and services).
type HTTP struct {
	Listen string `toml:"listen"` // "" disables
}

// TLS configures certificates. With both files empty a self-signed
// certificate for all hosts is generated into the data directory.
type TLS struct {
	CertFile string `toml:"cert_file"`
	KeyFile  string `toml:"key_file"`
}

// Storage selects the store.
type Storage struct {
	Driver string `toml:"driver"` // "sqlite" (default) or "memory"
	Path   string `toml:"path"`   // sqlite file; "" means <data_dir>/parley.db
}

// Offline configures XEP-0160 offline message storage.
type Offline struct {
	MaxMessages int `toml:"max_messages"` // per user; 0 disables the cap
}

// Limits protect the server from abusive or broken peers.
type Limits struct {
	MaxStanzaBytes        int     `toml:"max_stanza_bytes"`       // -> <policy-violation/>
	MaxDepth              int     `toml:"max_depth"`              // XML nesting depth inside a stanza
	MaxConnections        int     `toml:"max_connections"`        // concurrent c2s connections; 0 = no limit
	MaxConnectionsPerIP   int     `toml:"max_connections_per_ip"` // 0 = no limit
	StanzasPerSecond      float64 `toml:"stanzas_per_second"`     // per session inbound rate; 0 = no limit
	StanzaBurst           int     `toml:"stanza_burst"`
	AuthFailuresPerMinute float64 `toml:"auth_failures_per_minute"` // per IP and per account; 0 = no limit
	OutboundQueueBytes    int     `toml:"outbound_queue_bytes"`     // per session; a slower reader is disconnected
	OutboundQueueStanzas  int     `toml:"outbound_queue_stanzas"`
}

// Log configures log/slog output.
type Log struct {
	Level  string `toml:"level"`  // debug, info, warn, error
	Format string `toml:"format"` // text or json
}

// Duration is a time.Duration written as a Go duration string ("30s", "5m").
type Duration struct{ time.Duration }
