package config

import (
	"errors"
	"testing"
)

// TestHTTPSettings: http.public_url is normalised to scheme://host[:port]
// and anything else is refused; the limits must be positive (0 for no
// connection cap).
func TestHTTPSettings(t *testing.T) {
	for in, want := range map[string]string{
		"https://im.example.com/":     "https://im.example.com",
		"http://im.example.com:8080":  "http://im.example.com:8080",
		"https://[2001:db8::1]:5281/": "https://[2001:db8::1]:5281",
	} {
		c := Default()
		c.HTTP.PublicURL = in
		if err := c.Validate(); err != nil || c.HTTP.PublicURL != want {
			t.Errorf("public_url %q: %q, %v; want %q", in, c.HTTP.PublicURL, err, want)
		}
	}
	bad := []func(*Config){
		func(c *Config) { c.HTTP.PublicURL = "im.example.com" },
		func(c *Config) { c.HTTP.PublicURL = "ftp://im.example.com" },
		func(c *Config) { c.HTTP.PublicURL = "https://im.example.com/parley" },
		func(c *Config) { c.HTTP.PublicURL = "https://user@im.example.com" },
		func(c *Config) { c.HTTP.PublicURL = "https://im.example.com/?x=1" },
		func(c *Config) { c.HTTP.PublicURL = "https://" },
		func(c *Config) { c.HTTP.PublicURL = "https://im.example.com\"><x" },
		func(c *Config) { c.HTTP.MaxConnections = -1 },
		func(c *Config) { c.HTTP.IdleTimeout.Duration = 0 },
		func(c *Config) { c.HTTP.BodyTimeout.Duration = -1 },
	}
	for i, mutate := range bad {
		c := Default()
		mutate(&c)
		var e *Error
		if err := c.Validate(); !errors.As(err, &e) || len(e.Key) < 5 || e.Key[:5] != "http." {
			t.Errorf("case %d: want an http.* error, got %v", i, err)
		}
	}
	c := Default()
	c.HTTP.MaxConnections = 0
	if err := c.Validate(); err != nil {
		t.Fatalf("max_connections 0 (no cap): %v", err)
	}
}
