package config

import (
	"strings"
	"testing"
	"time"
)

func TestWebUIValidation(t *testing.T) {
	for _, tc := range []struct {
		mod func(*Config)
		key string
	}{
		{func(c *Config) { c.WebUI.SessionLifetime = Duration{} }, "webui.session_lifetime"},
		{func(c *Config) { c.WebUI.SessionIdle = Duration{-time.Second} }, "webui.session_idle"},
		{func(c *Config) { c.WebUI.MaxSessionsPerUser = 0 }, "webui.max_sessions_per_user"},
		{func(c *Config) { c.WebUI.WidgetMaxWatch = 0 }, "webui.widget_max_watch"},
		{func(c *Config) { c.WebUI.StatsInterval = Duration{time.Millisecond} }, "webui.stats_interval"},
		{func(c *Config) { c.WebUI.StatsInterval = Duration{time.Hour} }, "webui.stats_interval"},
		{func(c *Config) { c.WebUI.WidgetOrigins = []string{"https://www.example.org/"} }, "webui.widget_origins"},
		{func(c *Config) { c.WebUI.WidgetOrigins = []string{"[bad"} }, "webui.widget_origins"},
		{func(c *Config) { c.WebUI.WidgetOrigins = []string{" "} }, "webui.widget_origins"},
	} {
		c := Default()
		tc.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: %v", tc.key, err)
		}
	}
	c := Default()
	if err := c.ApplyEnv(func(k string) (string, bool) {
		v, ok := map[string]string{"PARLEY_WEBUI_WIDGET_ORIGINS": "Intranet.Example.org, *.example.net", "PARLEY_WEBUI_CONSOLE": "false"}[k]
		return v, ok
	}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.WebUI.Console || strings.Join(c.WebUI.WidgetOrigins, " ") != "intranet.example.org *.example.net" {
		t.Fatalf("from the environment: %+v", c.WebUI)
	}
}
