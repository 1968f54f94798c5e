package config

import (
	"errors"
	"strings"
	"testing"
)

func TestNATSAndCalendarValidation(t *testing.T) {
	bad := []struct {
		key    string
		mutate func(*Config)
	}{
		{"nats.listen", func(c *Config) { c.NATS.Listen = "4222" }},
		{"nats.listen", func(c *Config) { c.NATS.Listen = ":5222" }}, // c2s.listen's
		// Beyond loopback without credentials.
		{"nats.listen", func(c *Config) { c.NATS.Listen = ":4222" }},
		{"nats.listen", func(c *Config) { c.NATS.Listen = "0.0.0.0:4222" }},
		{"nats.listen", func(c *Config) { c.NATS.Listen = "192.0.2.7:4222" }},
		{"nats", func(c *Config) { c.NATS.User = "only-user" }},
		{"nats.url", func(c *Config) { c.NATS.URL = "http://nats.example:4222" }},
		{"nats.url", func(c *Config) { c.NATS.URL = "nats://u:p@nats.example:4222" }},
		{"nats.url", func(c *Config) { c.NATS.URL = ", ," }},
		{"nats.creds_file", func(c *Config) { c.NATS.CredsFile = "x.creds" }}, // embedded
		{"calendar.subdomain", func(c *Config) { c.Calendar.Subdomain = "a.b" }},
		{"calendar.subdomain", func(c *Config) { c.Calendar.Subdomain = "conference" }},
		{"calendar.subject", func(c *Config) { c.Calendar.Subject = "calendar notifications" }},
		{"calendar.subject", func(c *Config) { c.Calendar.Subject = "calendar..x" }},
		{"calendar.webhook_token", func(c *Config) { c.Calendar.WebhookToken = "short" }},
		{"calendar.owner_map", func(c *Config) { c.Calendar.OwnerMap = []string{"nonsense"} }},
		{"calendar.owner_map", func(c *Config) { c.Calendar.OwnerMap = []string{"a@mail.example=not a jid"} }},
		{"calendar.owner_map", func(c *Config) { c.Calendar.OwnerMap = []string{"@mail.example=bad domain"} }},
		{"calendar.timezone", func(c *Config) { c.Calendar.TimeZone = "Mars/Olympus" }},
		{"calendar.max_payload_bytes", func(c *Config) { c.Calendar.MaxPayloadBytes = 10 }},
		{"calendar.max_delay", func(c *Config) { c.Calendar.MaxDelay.Duration = -1 }},
		{"calendar.caldav.url", func(c *Config) { c.Calendar.CalDAV.URL = "https://u:p@cal.example/" }},
		{"calendar.caldav.url", func(c *Config) { c.Calendar.CalDAV.URL = "ftp://cal.example/" }},
		{"calendar.caldav.home", func(c *Config) { c.Calendar.CalDAV.Home = "/calendars/" }},
		{"calendar.caldav.users", func(c *Config) { c.Calendar.CalDAV.Users = []string{"example.com"} }},
		{"calendar.caldav.poll_interval", func(c *Config) { c.Calendar.CalDAV.PollInterval.Duration = 0 }},
		{"components.secrets", func(c *Config) { c.Components.Secrets = []string{"calendar.localhost=a-long-enough-secret"} }},
		{"control.socket", func(c *Config) { c.Control.Socket = "/" + strings.Repeat("x", 120) }},
	}
	for _, tc := range bad {
		c := Default()
		tc.mutate(&c)
		var e *Error
		err := c.Validate()
		if !errors.As(err, &e) || !strings.Contains(err.Error(), tc.key+":") {
			t.Errorf("%s: Validate = %v", tc.key, err)
		}
	}
	good := []func(*Config){
		func(c *Config) { c.NATS.Listen = "" }, // no bus
		func(c *Config) { c.NATS.Listen = "127.0.0.1:0" },
		func(c *Config) { c.NATS.Listen = "localhost:4222" },
		func(c *Config) { c.NATS.Listen = "[::1]:4222" },
		func(c *Config) { c.NATS.Listen, c.NATS.User, c.NATS.Password = ":4222", "parley", "secret" },
		// An external NATS: listen does not matter.
		func(c *Config) { c.NATS.URL, c.NATS.Listen = "nats://a:4222, tls://b:4222", ":4222" },
		func(c *Config) { c.NATS.URL, c.NATS.CredsFile = "tls://connect.example:4222", "user.creds" },
		func(c *Config) {
			c.Calendar.OwnerMap = []string{"Boss@Corp.example=alice@localhost", "@mail.example=localhost"}
			c.Calendar.WebhookToken = "sixteen-chars-ok"
			c.Calendar.TimeZone = "Europe/Berlin"
			c.Calendar.CalDAV.URL = "http://127.0.0.1:5232/"
			c.Calendar.CalDAV.Users = []string{"alice@localhost"}
		},
	}
	for i, mutate := range good {
		c := Default()
		mutate(&c)
		if err := c.Validate(); err != nil {
			t.Errorf("good %d: %v", i, err)
		}
	}
	c := Default()
	c.Calendar.OwnerMap = []string{"Boss@Corp.example = alice@localhost", "@Mail.example=localhost"}
	addrs, domains := c.Calendar.OwnerMapping()
	if addrs["boss@corp.example"] != "alice@localhost" || domains["mail.example"] != "localhost" {
		t.Fatalf("%v %v", addrs, domains)
	}
}

// PARLEY_NATS_LISTEN="" disables the bus; the defaults keep 4222.
func TestNATSEnv(t *testing.T) {
	c := Default()
	if c.NATS.Listen != "127.0.0.1:4222" || !c.NATS.Embedded() || !c.Calendar.Enabled || c.Calendar.RemindersDefault {
		t.Fatalf("defaults: %+v %+v", c.NATS, c.Calendar)
	}
	env := map[string]string{"PARLEY_NATS_LISTEN": "", "PARLEY_CALENDAR_REMINDERS_DEFAULT": "true",
		"PARLEY_CALENDAR_CALDAV_USERS": "alice@localhost, bob@localhost"}
	if err := c.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if c.NATS.BusEnabled() || !c.Calendar.RemindersDefault || len(c.Calendar.CalDAV.Users) != 2 {
		t.Fatalf("%+v %+v", c.NATS, c.Calendar)
	}
}
