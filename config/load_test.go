package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "parley.toml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFileOverrides(t *testing.T) {
	clearEnv(t)
	p := writeFile(t, `
hosts = ["Example.COM", "example.com", "b.example"]
data_dir = "/srv/parley"
[c2s]
listen = "127.0.0.1:15222"
tls_listen = ""
allow_plaintext = true
ping_interval = "2m"
[storage]
driver = "memory"
[limits]
max_stanza_bytes = 65536
stanzas_per_second = 2.5
[log]
level = "DEBUG"
format = "json"
`)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Hosts = []string{"example.com", "b.example"}
	want.DataDir = "/srv/parley"
	want.C2S.Listen = "127.0.0.1:15222"
	want.C2S.TLSListen = ""
	want.C2S.AllowPlaintext = true
	want.C2S.PingInterval = Duration{2 * time.Minute}
	want.Storage.Driver = "memory"
	want.Limits.MaxStanzaBytes = 65536
	want.Limits.StanzasPerSecond = 2.5
	want.Log = Log{Level: "debug", Format: "json"}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("file not applied:\n got %+v\nwant %+v", c, want)
	}
}

// Precedence: defaults < file < environment.
func TestLoadEnvOverridesFile(t *testing.T) {
	clearEnv(t)
	p := writeFile(t, "[c2s]\nlisten = \"127.0.0.1:1\"\ntls_listen = \"127.0.0.1:2\"\n")
	t.Setenv("PARLEY_C2S_LISTEN", "127.0.0.1:3")
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.C2S.Listen != "127.0.0.1:3" || c.C2S.TLSListen != "127.0.0.1:2" || c.HTTP.Listen != ":5280" {
		t.Fatalf("precedence: %+v %+v", c.C2S, c.HTTP)
	}
}

func TestLoadUnknownKeys(t *testing.T) {
	clearEnv(t)
	p := writeFile(t, "hots = [\"a\"]\n[c2s]\nlisten_typo = \":1\"\n[nosuch]\nx = 1\ny = 2\n")
	_, err := Load(p)
	if !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("want ErrUnknownKey, got %v", err)
	}
	msg := err.Error()
	for _, k := range []string{`"hots"`, `"c2s.listen_typo"`, `"nosuch"`, p} {
		if !strings.Contains(msg, k) {
			t.Errorf("error does not name %s: %s", k, msg)
		}
	}
	if strings.Contains(msg, "nosuch.x") {
		t.Errorf("keys inside an unknown table are listed: %s", msg)
	}
}

func TestLoadErrors(t *testing.T) {
	clearEnv(t)
	cases := map[string]string{ // file -> text the error must contain
		"hosts = \"a.example\"\n":                   "hosts",
		"[c2s]\nping_interval = 60\n":               "c2s.ping_interval",
		"[c2s]\nping_interval = \"soon\"\n":         "c2s.ping_interval",
		"[limits]\nmax_depth = \"deep\"\n":          "limits.max_depth",
		"[limits]\nmax_depth = 2\n":                 "limits.max_depth", // Validate
		"hosts = [\n":                               "line",
		"[storage]\ndriver = \"mysql\"\n":           "storage.driver",
		"[c2s]\nhandshake_timeout = \"-1s\"\n":      "c2s.handshake_timeout",
		"[limits]\nauth_failures_per_minute = -1\n": "limits.auth_failures_per_minute",
	}
	for content, want := range cases {
		if _, err := Load(writeFile(t, content)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: want an error containing %q, got %v", content, want, err)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.toml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestLoadBadEnv(t *testing.T) {
	clearEnv(t)
	t.Setenv("PARLEY_LIMITS_MAX_DEPTH", "deep")
	_, err := Load("")
	var e *Error
	if !errors.As(err, &e) || e.Key != "PARLEY_LIMITS_MAX_DEPTH" {
		t.Fatalf("want an *Error for PARLEY_LIMITS_MAX_DEPTH, got %v", err)
	}
}
