package config

import (
	"bufio"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

const exampleFile = "../parley.example.toml"

func TestDefaultsAreValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Fatalf("Validate changed the defaults: %+v", c)
	}
	if got, want := c.DatabasePath(), filepath.Join("data", "parley.db"); got != want {
		t.Errorf("DatabasePath = %q, want %q", got, want)
	}
	if c.SlogLevel() != slog.LevelInfo {
		t.Errorf("SlogLevel = %v", c.SlogLevel())
	}
	if !c.HasHost("localhost") || c.HasHost("example.com") {
		t.Error("HasHost with the default hosts")
	}
}

// Load("") with no PARLEY_* variables is exactly the defaults.
func TestLoadNoFile(t *testing.T) {
	clearEnv(t)
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Fatalf("Load(\"\") = %+v", c)
	}
}

// The example file documents every key with its default: decoded into a
// zero Config it must give exactly Default(), so the reference cannot
// drift from the code.
func TestExampleFileIsTheDefaults(t *testing.T) {
	var got Config
	if err := got.decodeFile(exampleFile); err != nil {
		t.Fatal(err)
	}
	if want := Default(); !reflect.DeepEqual(got, want) {
		t.Fatalf("parley.example.toml differs from Default():\n got %+v\nwant %+v", got, want)
	}
}

// Every field of Config is a key in the example file, with a comment
// line right above it.
func TestExampleFileListsEveryKey(t *testing.T) {
	var c Config
	md, err := toml.DecodeFile(exampleFile, &c)
	if err != nil {
		t.Fatal(err)
	}
	ss := settings(&c)
	if len(ss) < 25 {
		t.Fatalf("only %d settings found by reflection", len(ss))
	}
	for _, s := range ss {
		if !md.IsDefined(strings.Split(s.key, ".")...) {
			t.Errorf("parley.example.toml does not list %s", s.key)
		}
	}

	f, err := os.Open(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	prev := ""
	for sc := bufio.NewScanner(f); sc.Scan(); prev = sc.Text() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "[") {
			continue
		}
		if !strings.HasPrefix(strings.TrimSpace(prev), "#") {
			t.Errorf("parley.example.toml: no comment above %q", line)
		}
	}
}

// Settings have distinct keys and environment variables, and every field
// has an explicit toml tag.
func TestSettingNames(t *testing.T) {
	var c Config
	keys, envs := map[string]bool{}, map[string]bool{}
	for _, s := range settings(&c) {
		if keys[s.key] || envs[s.env] {
			t.Errorf("duplicate setting %s / %s", s.key, s.env)
		}
		keys[s.key], envs[s.env] = true, true
	}
	var check func(reflect.Type)
	check = func(rt reflect.Type) {
		for i := range rt.NumField() {
			f := rt.Field(i)
			if f.Tag.Get("toml") == "" && !f.Anonymous { // embedded: keys of the enclosing table
				t.Errorf("%s.%s has no toml tag", rt.Name(), f.Name)
			}
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[Duration]() {
				check(f.Type)
			}
		}
	}
	check(reflect.TypeFor[Config]())
	for _, want := range []string{"PARLEY_HOSTS", "PARLEY_DATA_DIR", "PARLEY_C2S_LISTEN", "PARLEY_C2S_TLS_LISTEN", "PARLEY_LIMITS_MAX_STANZA_BYTES", "PARLEY_LOG_FORMAT"} {
		if !envs[want] {
			t.Errorf("no setting for %s", want)
		}
	}
}

func TestDuration(t *testing.T) {
	var d Duration
	if err := d.UnmarshalText([]byte("1m30s")); err != nil || d.Duration != 90*time.Second {
		t.Fatalf("UnmarshalText: %v %v", d, err)
	}
	b, _ := d.MarshalText()
	if string(b) != "1m30s" {
		t.Errorf("MarshalText = %q", b)
	}
	for _, bad := range []string{"", "60", "soon", "1x"} {
		if err := d.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("UnmarshalText(%q) accepted", bad)
		}
	}
}

func TestHelpers(t *testing.T) {
	c := Default()
	c.Storage.Path = "/var/lib/parley/x.db"
	if c.DatabasePath() != "/var/lib/parley/x.db" {
		t.Errorf("DatabasePath = %q", c.DatabasePath())
	}
	for level, want := range map[string]slog.Level{"debug": slog.LevelDebug, "INFO": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError, "": slog.LevelInfo} {
		c.Log.Level = level
		if got := c.SlogLevel(); got != want {
			t.Errorf("SlogLevel(%q) = %v, want %v", level, got, want)
		}
	}
	c.Hosts = []string{"a.example", "b.example"}
	if !c.HasHost("b.example") || !c.HasHost("A.Example") || c.HasHost("c.example") || c.HasHost("") {
		t.Error("HasHost")
	}
}

// clearEnv hides PARLEY_* variables of the test's environment for the
// duration of t.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, EnvPrefix) {
			t.Setenv(k, "") // restores the value at the end of t
			os.Unsetenv(k)
		}
	}
}

func TestConferenceAndMailValidation(t *testing.T) {
	for _, tc := range []struct {
		mod func(*Config)
		key string
	}{
		{func(c *Config) { c.Conference.MaxAttendees = 0 }, "conference.max_attendees"},
		{func(c *Config) { c.Conference.MaxParticipants = -1 }, "conference.max_participants"},
		{func(c *Config) { c.Conference.CheckInterval = Duration{} }, "conference.check_interval"},
		{func(c *Config) { c.Conference.InstantLength = Duration{48 * time.Hour} }, "conference.instant_length"},
		{func(c *Config) { c.Conference.GuestsSubdomain = "conference" }, "conference.guests_subdomain"},
		{func(c *Config) { c.Conference.GuestsSubdomain = "a.b" }, "conference.guests_subdomain"},
		{func(c *Config) { c.Conference.GuestsSubdomain = "guest" }, "conference.guests_subdomain"},
		{func(c *Config) { c.Conference.GuestsSubdomain = "calendar" }, "conference.guests_subdomain"},
		{func(c *Config) { c.Mail.Relay = "smtp.example.com" }, "mail.relay"},
		{func(c *Config) { c.Mail.Relay = "smtp.example.com:99999" }, "mail.relay"},
		{func(c *Config) { c.Mail.From = "not an address" }, "mail.from"},
		{func(c *Config) { c.Mail.TLS = "ssl" }, "mail.tls"},
		{func(c *Config) { c.Mail.Timeout = Duration{} }, "mail.timeout"},
	} {
		c := Default()
		tc.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: %v", tc.key, err)
		}
	}
	c := Default()
	c.Mail.Relay, c.Mail.From = "smtp.example.com:587", "Parley <chat@example.com>"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.MailFrom() != "Parley <chat@example.com>" || Default().MailFrom() != "Parley <parley@localhost>" {
		t.Fatalf("MailFrom: %q %q", c.MailFrom(), Default().MailFrom())
	}
	if err := c.ApplyEnv(func(k string) (string, bool) {
		v, ok := map[string]string{"PARLEY_MAIL_RELAY": "relay.example.com:25", "PARLEY_CONFERENCE_MAX_ATTENDEES": "7"}[k]
		return v, ok
	}); err != nil || c.Mail.Relay != "relay.example.com:25" || c.Conference.MaxAttendees != 7 {
		t.Fatalf("env: %v %+v %+v", err, c.Mail, c.Conference)
	}
}
