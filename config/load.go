package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Default returns the zero-configuration defaults: domain localhost,
// data in ./data, standard XMPP ports, TLS required.
func Default() Config {
	return Config{
		Hosts:   []string{"localhost"},
		DataDir: "./data",
		C2S: C2S{
			Listen:           ":5222",
			TLSListen:        ":5223",
			PingInterval:     Duration{60 * time.Second},
			PingTimeout:      Duration{30 * time.Second},
			HandshakeTimeout: Duration{30 * time.Second},
		},
		HTTP:    HTTP{Listen: ":5280"},
		Storage: Storage{Driver: "sqlite"},
		Offline: Offline{MaxMessages: 1000},
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
		},
		Log: Log{Level: "info", Format: "text"},
	}
}

// Load returns the defaults overridden by the TOML file at path (if
// path is not empty) and then by PARLEY_* environment variables. It
// does not validate: flags may still change the result (see Validate).
func Load(path string) (Config, error) {
	cfg := Default()
	if path != "" {
		md, err := toml.DecodeFile(path, &cfg)
		if err != nil {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			keys := make([]string, len(und))
			for i, k := range und {
				keys[i] = k.String()
			}
			return cfg, fmt.Errorf("config %s: unknown keys: %s", path, strings.Join(keys, ", "))
		}
	}
	if err := cfg.ApplyEnv(os.LookupEnv); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// ApplyEnv overrides fields from environment variables named after
// their TOML keys: PARLEY_ + the key path in upper case joined by '_'.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	return applyEnv(reflect.ValueOf(c).Elem(), "PARLEY", lookup)
}

var durationType = reflect.TypeOf(Duration{})

func applyEnv(v reflect.Value, prefix string, lookup func(string) (string, bool)) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key := f.Tag.Get("toml")
		if key == "" {
			continue
		}
		name := prefix + "_" + strings.ToUpper(key)
		fv := v.Field(i)
		if f.Type.Kind() == reflect.Struct && f.Type != durationType {
			if err := applyEnv(fv, name, lookup); err != nil {
				return err
			}
			continue
		}
		raw, ok := lookup(name)
		if !ok {
			continue
		}
		if err := setValue(fv, raw); err != nil {
			return fmt.Errorf("environment %s=%q: %w", name, raw, err)
		}
	}
	return nil
}

func setValue(fv reflect.Value, raw string) error {
	raw = strings.TrimSpace(raw)
	if fv.Type() == durationType {
		d, err := time.ParseDuration(raw)
		if err != nil {
			return err
		}
		fv.Set(reflect.ValueOf(Duration{d}))
		return nil
	}
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return err
		}
		fv.SetBool(b)
	case reflect.Int:
		n, err := strconv.Atoi(raw)
		if err != nil {
			return err
		}
		fv.SetInt(int64(n))
	case reflect.Float64:
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return err
		}
		fv.SetFloat(f)
	case reflect.Slice:
		var items []string
		for _, s := range strings.Split(raw, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
		fv.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("unsupported type %s", fv.Type())
	}
	return nil
}

// UnmarshalText parses a Go duration string ("30s", "5m").
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Validate checks the configuration and normalises hosts (lower case,
// no duplicates). Errors name the offending key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	seen := map[string]bool{}
	var hosts []string
	for _, h := range c.Hosts {
		h = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
		if h == "" || strings.ContainsAny(h, " @/\t") {
			bad("hosts", "invalid domain %q", h)
			continue
		}
		if !seen[h] {
			seen[h] = true
			hosts = append(hosts, h)
		}
	}
	if len(hosts) == 0 {
		bad("hosts", "at least one domain is required")
	}
	c.Hosts = hosts
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	for key, addr := range map[string]string{"c2s.listen": c.C2S.Listen, "c2s.tls_listen": c.C2S.TLSListen, "http.listen": c.HTTP.Listen} {
		if addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			bad(key, "%q is not host:port", addr)
		}
	}
	for key, d := range map[string]Duration{"c2s.ping_interval": c.C2S.PingInterval, "c2s.ping_timeout": c.C2S.PingTimeout, "c2s.handshake_timeout": c.C2S.HandshakeTimeout} {
		if d.Duration <= 0 {
			bad(key, "must be positive")
		}
	}
	if c.TLS.CertFile == "" != (c.TLS.KeyFile == "") {
		bad("tls", "cert_file and key_file go together")
	}
	switch c.Storage.Driver {
	case "sqlite", "memory":
	default:
		bad("storage.driver", "%q is not sqlite or memory", c.Storage.Driver)
	}
	l := c.Limits
	if l.MaxStanzaBytes < 4096 {
		bad("limits.max_stanza_bytes", "must be at least 4096")
	}
	if l.MaxDepth < 8 {
		bad("limits.max_depth", "must be at least 8")
	}
	for key, n := range map[string]int{"limits.max_connections": l.MaxConnections, "limits.max_connections_per_ip": l.MaxConnectionsPerIP,
		"limits.stanza_burst": l.StanzaBurst, "limits.outbound_queue_bytes": l.OutboundQueueBytes,
		"limits.outbound_queue_stanzas": l.OutboundQueueStanzas, "offline.max_messages": c.Offline.MaxMessages} {
		if n < 0 {
			bad(key, "must not be negative")
		}
	}
	if l.StanzasPerSecond < 0 || l.AuthFailuresPerMinute < 0 {
		bad("limits", "rates must not be negative")
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q is not debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", "%q is not text or json", c.Log.Format)
	}
	return errors.Join(errs...)
}

// DatabasePath is the SQLite file: storage.path or <data_dir>/parley.db.
func (c Config) DatabasePath() string {
	if c.Storage.Path != "" {
		return c.Storage.Path
	}
	return filepath.Join(c.DataDir, "parley.db")
}

// SlogLevel converts log.level.
func (c Config) SlogLevel() slog.Level {
	switch strings.ToLower(c.Log.Level) {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// HasHost reports whether domain is served.
func (c Config) HasHost(domain string) bool {
	for _, h := range c.Hosts {
		if h == domain {
			return true
		}
	}
	return false
}
