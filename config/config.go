// Package config holds Parley's configuration: one TOML file
// (parley.toml) in which every key has a default, so no file is needed.
//
// Settings are applied in increasing precedence:
//
//  1. built-in defaults ([Default]);
//  2. the TOML file, if any ([Load]); unknown keys are an error;
//  3. PARLEY_* environment variables ([Config.ApplyEnv]); the variable for
//     a key is PARLEY_ followed by its upper-cased path joined with '_'
//     (hosts -> PARLEY_HOSTS, c2s.listen -> PARLEY_C2S_LISTEN);
//  4. command-line flags, which the caller applies to the loaded Config
//     before calling [Config.Validate] again.
//
// parley.example.toml at the repository root lists every key with its
// default; the tests keep it equal to [Default].
package config

import (
	"log/slog"
	"path/filepath"
	"strings"
	"time"
)

// Config is the whole server configuration. The toml tags are the file
// keys; the environment variable for a key is PARLEY_ followed by the
// upper-cased key path joined with '_' (e.g. c2s.listen -> PARLEY_C2S_LISTEN).
type Config struct {
	// Hosts are the XMPP domains this server serves (virtual hosts).
	Hosts []string `toml:"hosts"`
	// DataDir holds the SQLite database and the generated certificate.
	DataDir string `toml:"data_dir"`
	// Admins are the accounts (bare JIDs) allowed to run the server's
	// administration commands (XEP-0133 over XEP-0050).
	Admins []string `toml:"admins"`

	C2S     C2S     `toml:"c2s"`
	HTTP    HTTP    `toml:"http"`
	TLS     TLS     `toml:"tls"`
	Storage Storage `toml:"storage"`
	Offline Offline `toml:"offline"`
	MAM     MAM     `toml:"mam"`
	MUC     MUC     `toml:"muc"`
	Push    Push    `toml:"push"`

	NATS     NATS     `toml:"nats"`
	Calendar Calendar `toml:"calendar"`
	Control  Control  `toml:"control"`
	Cluster  Cluster  `toml:"cluster"`

	Components Components `toml:"components"`
	S2S        S2S        `toml:"s2s"`

	Integration Integration `toml:"integration"`
	Presence    Presence    `toml:"presence"`
	Roster      Roster      `toml:"roster"`
	LiveHelp    LiveHelp    `toml:"livehelp"`
	Conference  Conference  `toml:"conference"`
	Mail        Mail        `toml:"mail"`
	WebUI       WebUI       `toml:"webui"`

	PEP              PEP              `toml:"pep"`
	VCard            VCard            `toml:"vcard"`
	PrivateStorage   PrivateStorage   `toml:"private_storage"`
	Blocking         Blocking         `toml:"blocking"`
	Upload           Upload           `toml:"upload"`
	Registration     Registration     `toml:"registration"`
	ExternalServices ExternalServices `toml:"external_services"`

	Limits Limits `toml:"limits"`
	Log    Log    `toml:"log"`
}

// C2S configures client-to-server listeners and sessions.
type C2S struct {
	Listen           string   `toml:"listen"`            // STARTTLS listener; "" disables
	TLSListen        string   `toml:"tls_listen"`        // direct TLS listener (XEP-0368); "" disables
	AllowPlaintext   bool     `toml:"allow_plaintext"`   // permit c2s without TLS (loopback tests, benchmarks)
	PingInterval     Duration `toml:"ping_interval"`     // idle time before the server pings a client
	PingTimeout      Duration `toml:"ping_timeout"`      // time to wait for any data after that ping
	HandshakeTimeout Duration `toml:"handshake_timeout"` // time allowed from connect to bound resource
	ResumeTimeout    Duration `toml:"resume_timeout"`    // XEP-0198: how long a lost session waits to be resumed; 0 disables
	// ProxyProtocol lists the addresses (IPs or CIDRs) of TCP load
	// balancers that start every client connection with a PROXY protocol
	// header (v1 or v2) naming the client; connections from them must
	// send one. Empty: none is read (docs/cluster.md).
	ProxyProtocol []string `toml:"proxy_protocol"`
	// ParkIdle parks a bound TCP connection in the poller (epoll, Linux)
	// whenever its client is quiet, instead of keeping a goroutine on it:
	// less memory per idle connection and fewer system calls per message
	// (docs/performance.md). false keeps a reading goroutine on every
	// connection (as on systems without epoll).
	ParkIdle bool `toml:"park_idle"`
}

// HTTP configures the HTTP listeners: health, metrics and the browser
// transports (WebSocket, BOSH).
type HTTP struct {
	Listen         string   `toml:"listen"`          // plain HTTP; "" disables
	TLSListen      string   `toml:"tls_listen"`      // HTTPS with the server certificate; "" disables
	WebSocket      bool     `toml:"websocket"`       // XMPP over WebSocket (RFC 7395) at /xmpp-websocket
	BOSH           bool     `toml:"bosh"`            // BOSH (XEP-0206) at /http-bind
	AllowedOrigins []string `toml:"allowed_origins"` // Origin host patterns allowed to use WebSocket/BOSH
	TrustedProxies []string `toml:"trusted_proxies"` // IPs or CIDRs whose X-Forwarded-For/-Proto are believed
	BOSHMaxWait    Duration `toml:"bosh_max_wait"`   // longest a BOSH request is held
	BOSHInactivity Duration `toml:"bosh_inactivity"` // a BOSH client silent this long is disconnected
	BOSHMaxPause   Duration `toml:"bosh_max_pause"`  // longest pause a BOSH client may ask for
	// PublicURL is scheme://host[:port] under which clients reach the
	// server; when set, the integration services' generated URLs (WSDL
	// soap:address, service pages, OpenAPI server, the configuration
	// directory's service_home) use it instead of the request's Host
	// header. "" derives them from each request.
	PublicURL string `toml:"public_url"`
	// MaxConnections caps concurrent HTTP connections per listener
	// (http.listen and http.tls_listen each); over it a new connection is
	// answered 503 (plain HTTP) or closed at once (HTTPS). 0 means no cap.
	MaxConnections int `toml:"max_connections"`
	// MaxConnectionsPerIP caps the concurrent HTTP connections of one
	// client address (IPv6: one /64) per listener, so that one address
	// cannot take every slot of max_connections. Trusted proxies count
	// only against max_connections; the requests they forward are capped
	// per forwarded client address instead. 0 means no cap.
	MaxConnectionsPerIP int `toml:"max_connections_per_ip"`
	// IdleTimeout closes a keep-alive connection idle this long between
	// requests.
	IdleTimeout Duration `toml:"idle_timeout"`
	// BodyTimeout is how long any HTTP request may take to send its body
	// (BOSH, SOAP, JSON, and every other path).
	BodyTimeout Duration `toml:"body_timeout"`
	// MetricsAllow are the client addresses and prefixes that may read
	// /metrics; others get 403. Empty: nobody.
	MetricsAllow []string `toml:"metrics_allow"`
}

// TLS configures certificates. With both files empty a self-signed
// certificate for all hosts is generated into the data directory.
type TLS struct {
	CertFile string `toml:"cert_file"`
	KeyFile  string `toml:"key_file"`
}

// Storage selects the store (validated in storage.go).
type Storage struct {
	Driver string `toml:"driver"` // "sqlite" (default), "postgres" or "memory"
	Path   string `toml:"path"`   // sqlite file; "" means <data_dir>/parley.db
	// DSN is the PostgreSQL connection string (driver "postgres").
	DSN string `toml:"dsn"`
	// MaxConnections bounds the PostgreSQL connection pool of a node.
	MaxConnections int `toml:"max_connections"`
}

// Offline configures XEP-0160 offline message storage.
type Offline struct {
	MaxMessages int `toml:"max_messages"` // per user; 0 disables the cap
	MaxBytes    int `toml:"max_bytes"`    // per user, stored stanza bytes; 0 disables the cap
}

// MAM configures XEP-0313 message archives.
type MAM struct {
	Enabled     bool     `toml:"enabled"`      // archive one-to-one messages
	DefaultMode string   `toml:"default_mode"` // always, roster or never, for users who set no preference
	Retention   Duration `toml:"retention"`    // archived messages older than this are deleted; 0 keeps them
	MaxBytes    int      `toml:"max_bytes"`    // per user archive quota in stanza bytes; 0 disables it
	PageBytes   int      `toml:"page_bytes"`   // stanza bytes in one page of an archive query, at most
}

// Limits protect the server from abusive or broken peers.
type Limits struct {
	MaxStanzaBytes        int     `toml:"max_stanza_bytes"`         // -> <policy-violation/>
	MaxDepth              int     `toml:"max_depth"`                // XML nesting depth inside a stanza
	MaxConnections        int     `toml:"max_connections"`          // concurrent c2s connections, waiting sessions included; 0 = no limit
	MaxConnectionsPerIP   int     `toml:"max_connections_per_ip"`   // per address (IPv6: /64); 0 = no limit
	StanzasPerSecond      float64 `toml:"stanzas_per_second"`       // per session inbound rate; 0 = no limit
	StanzaBurst           int     `toml:"stanza_burst"`             // token bucket size for stanzas_per_second
	AuthFailuresPerMinute float64 `toml:"auth_failures_per_minute"` // per IP and per account; 0 = no limit
	OutboundQueueBytes    int     `toml:"outbound_queue_bytes"`     // per session; a slower reader is disconnected
	OutboundQueueStanzas  int     `toml:"outbound_queue_stanzas"`   // per session, like outbound_queue_bytes
	ClientLimits                  // clientlimits.go: before login, sessions, stream management, byte rate
}

// Log configures log/slog output.
type Log struct {
	Level  string `toml:"level"`  // debug, info, warn, error
	Format string `toml:"format"` // text or json
}

// Default returns the zero-configuration settings: domain localhost,
// data in ./data, SQLite, the standard XMPP ports.
func Default() Config {
	return Config{
		Hosts:   []string{"localhost"},
		DataDir: "./data",
		Admins:  []string{},
		C2S: C2S{
			Listen:           ":5222",
			TLSListen:        ":5223",
			AllowPlaintext:   false,
			PingInterval:     Duration{60 * time.Second},
			PingTimeout:      Duration{30 * time.Second},
			HandshakeTimeout: Duration{30 * time.Second},
			ResumeTimeout:    Duration{300 * time.Second},
			ProxyProtocol:    []string{},
			ParkIdle:         true,
		},
		HTTP: HTTP{
			Listen:         ":5280",
			TLSListen:      ":5281",
			WebSocket:      true,
			BOSH:           true,
			AllowedOrigins: []string{"*"},
			TrustedProxies: []string{},
			BOSHMaxWait:    Duration{60 * time.Second},
			BOSHInactivity: Duration{60 * time.Second},
			BOSHMaxPause:   Duration{120 * time.Second},
			PublicURL:      "",
			MaxConnections: 10000,
			// A BOSH client holds up to two connections, so the same 100
			// sessions per address as limits.max_connections_per_ip.
			MaxConnectionsPerIP: 200,
			IdleTimeout:         Duration{120 * time.Second},
			BodyTimeout:         Duration{10 * time.Second},
			MetricsAllow:        []string{"127.0.0.0/8", "::1"},
		},
		Storage:     defaultStorage(),
		Offline:     Offline{MaxMessages: 1000, MaxBytes: 10 << 20},
		MAM:         MAM{Enabled: true, DefaultMode: "always", Retention: Duration{365 * 24 * time.Hour}, MaxBytes: 256 << 20, PageBytes: 1 << 20},
		MUC:         defaultMUC(),
		Push:        defaultPush(),
		Components:  defaultComponents(),
		S2S:         defaultS2S(),
		Integration: defaultIntegration(),
		Presence:    defaultPresence(),
		Roster:      defaultRoster(),
		LiveHelp:    defaultLiveHelp(),
		NATS:        defaultNATS(),
		Calendar:    defaultCalendar(),
		Control:     defaultControl(),
		Conference:  defaultConference(),
		Mail:        defaultMail(),
		Cluster:     defaultCluster(),
		WebUI:       defaultWebUI(),

		PEP:              defaultPEP(),
		VCard:            VCard{MaxBytes: 128 << 10},
		PrivateStorage:   PrivateStorage{MaxBytes: 64 << 10, MaxNamespaces: 64},
		Blocking:         Blocking{MaxItems: 1000},
		Upload:           defaultUpload(),
		Registration:     defaultRegistration(),
		ExternalServices: defaultExternalServices(),
		Limits: Limits{
			MaxStanzaBytes:        256 << 10,
			MaxDepth:              32,
			MaxConnections:        10000,
			MaxConnectionsPerIP:   100,
			StanzasPerSecond:      100,
			StanzaBurst:           500,
			AuthFailuresPerMinute: 10,
			OutboundQueueBytes:    4 << 20,
			OutboundQueueStanzas:  10000,
			ClientLimits:          defaultClientLimits(),
		},
		Log: Log{Level: "info", Format: "text"},
	}
}

// DatabasePath is the SQLite database file: storage.path, or parley.db
// in the data directory.
func (c Config) DatabasePath() string {
	if c.Storage.Path != "" {
		return c.Storage.Path
	}
	return filepath.Join(c.DataDir, "parley.db")
}

// SlogLevel is log.level as a slog.Level (info if it is not valid).
func (c Config) SlogLevel() slog.Level {
	if l, ok := logLevels[strings.ToLower(c.Log.Level)]; ok {
		return l
	}
	return slog.LevelInfo
}

var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}

// HasHost reports whether domain is one of the served hosts. Hosts are
// normalised by Validate; domain is compared case-insensitively.
func (c Config) HasHost(domain string) bool {
	for _, h := range c.Hosts {
		if strings.EqualFold(h, domain) {
			return true
		}
	}
	return false
}

// Duration is a time.Duration written as a Go duration string ("30s", "5m").
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string such as "90s" or "1m30s".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(d.Duration.String()), nil
}
