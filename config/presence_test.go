package config

import (
	"strings"
	"testing"
)

func TestPresenceValidate(t *testing.T) {
	c := Default()
	c.Presence.PublicDomains = []string{"Example.COM"}
	c.Presence.ImageHosts = []string{"IMG.example.net"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Presence.PublicDomains[0] != "example.com" || c.Presence.ImageHosts[0] != "img.example.net" {
		t.Fatalf("not normalized: %v %v", c.Presence.PublicDomains, c.Presence.ImageHosts)
	}
	for _, bad := range []string{"https://img.example.net", "img.example.net/icons", "img.example.net:8080", ""} {
		c := Default()
		c.Presence.ImageHosts = []string{bad}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "presence.image_hosts") {
			t.Errorf("image host %q: %v", bad, err)
		}
	}
	c = Default()
	c.Presence.PublicDomains = []string{"user@example.com"}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "presence.public_domains") {
		t.Errorf("public domain with @: %v", err)
	}
}
