package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefaultsAreValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.DatabasePath() != filepath.Join("data", "parley.db") && c.DatabasePath() != "data/parley.db" {
		t.Fatalf("database path %q", c.DatabasePath())
	}
}

// The example file documents every key with its default: it must parse
// to exactly Default(), so the reference cannot drift from the code.
func TestExampleFileIsTheDefaults(t *testing.T) {
	got, err := Load(filepath.Join("..", "parley.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := Default(); !reflect.DeepEqual(got, want) {
		t.Fatalf("parley.example.toml differs from Default():\n got %+v\nwant %+v", got, want)
	}
	raw, err := os.ReadFile(filepath.Join("..", "parley.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range keys(reflect.TypeOf(Config{}), "") {
		name := key[strings.LastIndex(key, ".")+1:]
		if !strings.Contains(string(raw), "\n"+name+" = ") {
			t.Errorf("parley.example.toml does not document %s", key)
		}
	}
}

func keys(t reflect.Type, prefix string) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		k := prefix + f.Tag.Get("toml")
		if f.Type.Kind() == reflect.Struct && f.Type != durationType {
			out = append(out, keys(f.Type, k+".")...)
			continue
		}
		out = append(out, k)
	}
	return out
}

func TestFileOverridesAndUnknownKeys(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.toml")
	os.WriteFile(good, []byte("hosts = ['Example.COM', 'example.com', 'b.example']\n[c2s]\nping_interval = '2m'\nallow_plaintext = true\n"), 0o600)
	c, err := Load(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Hosts, []string{"example.com", "b.example"}) || c.C2S.PingInterval.Duration != 2*time.Minute || !c.C2S.AllowPlaintext {
		t.Fatalf("file not applied: %+v", c)
	}
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[c2s]\nlisten_typo = ':1'\n"), 0o600)
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "c2s.listen_typo") {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestEnvOverrides(t *testing.T) {
	env := map[string]string{
		"PARLEY_HOSTS":                           " a.example , ,b.example",
		"PARLEY_C2S_LISTEN":                      "127.0.0.1:1",
		"PARLEY_C2S_ALLOW_PLAINTEXT":             "true",
		"PARLEY_C2S_PING_TIMEOUT":                "5s",
		"PARLEY_LIMITS_MAX_STANZA_BYTES":         "8192",
		"PARLEY_LIMITS_AUTH_FAILURES_PER_MINUTE": "2.5",
	}
	c := Default()
	if err := c.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Hosts, []string{"a.example", "b.example"}) || c.C2S.Listen != "127.0.0.1:1" ||
		!c.C2S.AllowPlaintext || c.C2S.PingTimeout.Duration != 5*time.Second ||
		c.Limits.MaxStanzaBytes != 8192 || c.Limits.AuthFailuresPerMinute != 2.5 {
		t.Fatalf("env not applied: %+v", c)
	}
	for k, v := range map[string]string{"PARLEY_C2S_ALLOW_PLAINTEXT": "maybe", "PARLEY_LIMITS_MAX_DEPTH": "deep", "PARLEY_C2S_PING_INTERVAL": "soon"} {
		c := Default()
		err := c.ApplyEnv(func(key string) (string, bool) {
			if key == k {
				return v, true
			}
			return "", false
		})
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: want an error naming the variable, got %v", k, v, err)
		}
	}
}

func TestValidate(t *testing.T) {
	cases := map[string]func(*Config){
		"hosts":                   func(c *Config) { c.Hosts = nil },
		"invalid domain":          func(c *Config) { c.Hosts = []string{"bad host"} },
		"c2s.listen":              func(c *Config) { c.C2S.Listen = "5222" },
		"c2s.ping_timeout":        func(c *Config) { c.C2S.PingTimeout.Duration = 0 },
		"storage.driver":          func(c *Config) { c.Storage.Driver = "mysql" },
		"limits.max_stanza_bytes": func(c *Config) { c.Limits.MaxStanzaBytes = 100 },
		"limits.max_depth":        func(c *Config) { c.Limits.MaxDepth = 2 },
		"log.level":               func(c *Config) { c.Log.Level = "loud" },
		"tls":                     func(c *Config) { c.TLS.CertFile = "x.pem" },
	}
	for want, mutate := range cases {
		c := Default()
		mutate(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want an error naming it, got %v", want, err)
		}
	}
}
