package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestValidateErrors(t *testing.T) {
	cases := []struct {
		key    string
		mutate func(*Config)
	}{
		{"hosts", func(c *Config) { c.Hosts = nil }},
		{"hosts", func(c *Config) { c.Hosts = []string{""} }},
		{"hosts", func(c *Config) { c.Hosts = []string{"bad host"} }},
		{"hosts", func(c *Config) { c.Hosts = []string{"alice@example.com"} }},
		{"hosts", func(c *Config) { c.Hosts = []string{"example.com/res"} }},
		{"hosts", func(c *Config) { c.Hosts = []string{"a..example"} }},
		{"hosts", func(c *Config) { c.Hosts = []string{"ok.example", "-bad.example"} }},
		{"data_dir", func(c *Config) { c.DataDir = "" }},
		{"c2s.listen", func(c *Config) { c.C2S.Listen = "5222" }},
		{"c2s.listen", func(c *Config) { c.C2S.Listen = ":99999" }},
		{"c2s.tls_listen", func(c *Config) { c.C2S.TLSListen = ":xmpp" }},
		{"http.listen", func(c *Config) { c.HTTP.Listen = "a b:80" }},
		{"http.listen", func(c *Config) { c.HTTP.Listen = ":5222" }}, // same as c2s.listen
		{"c2s.ping_interval", func(c *Config) { c.C2S.PingInterval.Duration = 0 }},
		{"c2s.ping_timeout", func(c *Config) { c.C2S.PingTimeout.Duration = -1 }},
		{"c2s.handshake_timeout", func(c *Config) { c.C2S.HandshakeTimeout.Duration = 0 }},
		{"tls", func(c *Config) { c.TLS.CertFile = "x.pem" }},
		{"tls", func(c *Config) { c.TLS.KeyFile = "x.key" }},
		{"storage.driver", func(c *Config) { c.Storage.Driver = "mysql" }},
		{"offline.max_messages", func(c *Config) { c.Offline.MaxMessages = -1 }},
		{"limits.max_stanza_bytes", func(c *Config) { c.Limits.MaxStanzaBytes = 4095 }},
		{"limits.max_depth", func(c *Config) { c.Limits.MaxDepth = 7 }},
		{"limits.max_connections", func(c *Config) { c.Limits.MaxConnections = -1 }},
		{"limits.max_connections_per_ip", func(c *Config) { c.Limits.MaxConnectionsPerIP = -1 }},
		{"limits.stanzas_per_second", func(c *Config) { c.Limits.StanzasPerSecond = -0.5 }},
		{"limits.stanza_burst", func(c *Config) { c.Limits.StanzaBurst = 0 }},
		{"limits.auth_failures_per_minute", func(c *Config) { c.Limits.AuthFailuresPerMinute = -1 }},
		{"limits.outbound_queue_bytes", func(c *Config) { c.Limits.OutboundQueueBytes = 1000 }},
		{"limits.outbound_queue_stanzas", func(c *Config) { c.Limits.OutboundQueueStanzas = 0 }},
		{"log.level", func(c *Config) { c.Log.Level = "loud" }},
		{"log.format", func(c *Config) { c.Log.Format = "xml" }},
	}
	for _, tc := range cases {
		c := Default()
		tc.mutate(&c)
		err := c.Validate()
		var e *Error
		if !errors.As(err, &e) || e.Key != tc.key || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: want an *Error naming it, got %v", tc.key, err)
		}
	}
}

// Several problems are reported together.
func TestValidateReportsAll(t *testing.T) {
	c := Default()
	c.Limits.MaxDepth = 1
	c.Log.Format = "xml"
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "limits.max_depth") || !strings.Contains(err.Error(), "log.format") {
		t.Fatalf("got %v", err)
	}
}

func TestValidateNormalises(t *testing.T) {
	c := Default()
	c.Hosts = []string{"Example.COM", "example.com.", "B.example", "example.com", "Bücher.Example", "127.0.0.1"}
	c.Log = Log{Level: "WARN", Format: "JSON"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := []string{"example.com", "b.example", "bücher.example", "127.0.0.1"}
	if !reflect.DeepEqual(c.Hosts, want) {
		t.Errorf("hosts = %q, want %q", c.Hosts, want)
	}
	if c.Log != (Log{Level: "warn", Format: "json"}) {
		t.Errorf("log = %+v", c.Log)
	}
	before := c
	before.Hosts = append([]string(nil), c.Hosts...)
	if err := c.Validate(); err != nil || !reflect.DeepEqual(c, before) {
		t.Errorf("Validate is not idempotent: %v %+v", err, c)
	}
}

func TestValidateAccepts(t *testing.T) {
	c := Default()
	c.C2S.Listen = "127.0.0.1:0"
	c.C2S.TLSListen = "[::1]:0"
	c.HTTP.Listen = "localhost:8080"
	c.TLS = TLS{CertFile: "c.pem", KeyFile: "k.pem"}
	c.Storage.Driver = "memory"
	c.Offline.MaxMessages = 0
	c.Limits.MaxStanzaBytes = 4096
	c.Limits.OutboundQueueBytes = 4096
	c.Limits.MaxDepth = 8
	c.Limits.MaxConnections = 0
	c.Limits.MaxConnectionsPerIP = 0
	c.Limits.StanzasPerSecond = 0
	c.Limits.StanzaBurst = 0
	c.Limits.AuthFailuresPerMinute = 0
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	// Listeners may all be disabled, and port 0 may repeat.
	c.C2S.Listen, c.C2S.TLSListen, c.HTTP.Listen = "", "", ""
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.C2S.Listen, c.C2S.TLSListen, c.HTTP.Listen = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}
