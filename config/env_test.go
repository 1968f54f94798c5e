package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestApplyEnvTypes(t *testing.T) {
	c := Default()
	err := c.ApplyEnv(envOf(map[string]string{
		"PARLEY_HOSTS":                           " a.example , ,b.example,",
		"PARLEY_DATA_DIR":                        "/srv/parley",
		"PARLEY_C2S_LISTEN":                      "127.0.0.1:1",
		"PARLEY_C2S_TLS_LISTEN":                  "", // empty string clears: disables the listener
		"PARLEY_C2S_ALLOW_PLAINTEXT":             "true",
		"PARLEY_C2S_PING_TIMEOUT":                " 5s ",
		"PARLEY_STORAGE_DRIVER":                  "memory",
		"PARLEY_LIMITS_MAX_STANZA_BYTES":         "8192",
		"PARLEY_LIMITS_AUTH_FAILURES_PER_MINUTE": "2.5",
		"PARLEY_LIMITS_STANZAS_PER_SECOND":       "0",
		"PARLEY_OTHER":                           "ignored",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Hosts = []string{"a.example", "b.example"}
	want.DataDir = "/srv/parley"
	want.C2S.Listen = "127.0.0.1:1"
	want.C2S.TLSListen = ""
	want.C2S.AllowPlaintext = true
	want.C2S.PingTimeout = Duration{5 * time.Second}
	want.Storage.Driver = "memory"
	want.Limits.MaxStanzaBytes = 8192
	want.Limits.AuthFailuresPerMinute = 2.5
	want.Limits.StanzasPerSecond = 0
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("env not applied:\n got %+v\nwant %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// Every setting can be set from the environment: a new field of an
// unsupported type fails here.
func TestApplyEnvEverySetting(t *testing.T) {
	var c Config
	env := map[string]string{}
	for _, s := range settings(&c) {
		switch s.v.Interface().(type) {
		case string:
			env[s.env] = "x"
		case bool:
			env[s.env] = "1"
		case int:
			env[s.env] = "7"
		case float64:
			env[s.env] = "0.5"
		case []string:
			env[s.env] = "x,y"
		case Duration:
			env[s.env] = "7s"
		default:
			t.Errorf("%s: unsupported type %T", s.key, s.v.Interface())
		}
	}
	if err := c.ApplyEnv(envOf(env)); err != nil {
		t.Fatal(err)
	}
	for _, s := range settings(&c) {
		if s.v.IsZero() {
			t.Errorf("%s was not set from %s", s.key, s.env)
		}
	}
}

func TestApplyEnvBadValues(t *testing.T) {
	for k, v := range map[string]string{
		"PARLEY_C2S_ALLOW_PLAINTEXT":         "maybe",
		"PARLEY_LIMITS_MAX_DEPTH":            "deep",
		"PARLEY_LIMITS_MAX_CONNECTIONS":      "1e3",
		"PARLEY_OFFLINE_MAX_MESSAGES":        "99999999999999999999999",
		"PARLEY_LIMITS_STANZAS_PER_SECOND":   "fast",
		"PARLEY_C2S_PING_INTERVAL":           "60",
		"PARLEY_C2S_HANDSHAKE_TIMEOUT":       "",
		"PARLEY_LIMITS_OUTBOUND_QUEUE_BYTES": "4 MiB",
	} {
		c := Default()
		err := c.ApplyEnv(envOf(map[string]string{k: v}))
		var e *Error
		if !errors.As(err, &e) || e.Key != k || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%q: want an *Error naming the variable, got %v", k, v, err)
		}
		if !reflect.DeepEqual(c, Default()) {
			t.Errorf("%s=%q: bad value changed the config", k, v)
		}
	}
}

// All bad variables are reported, and the good ones still applied.
func TestApplyEnvReportsAll(t *testing.T) {
	c := Default()
	err := c.ApplyEnv(envOf(map[string]string{
		"PARLEY_LIMITS_MAX_DEPTH":  "x",
		"PARLEY_C2S_PING_INTERVAL": "y",
		"PARLEY_LOG_LEVEL":         "debug",
	}))
	if err == nil || !strings.Contains(err.Error(), "PARLEY_LIMITS_MAX_DEPTH") || !strings.Contains(err.Error(), "PARLEY_C2S_PING_INTERVAL") {
		t.Fatalf("want both variables named, got %v", err)
	}
	if c.Log.Level != "debug" {
		t.Errorf("good variable not applied")
	}
}
