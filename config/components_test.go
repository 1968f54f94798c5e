package config

import (
	"strings"
	"testing"
)

func TestComponentSecrets(t *testing.T) {
	c := Default()
	c.Components.Secrets = []string{"Push.Example.com=0123456789abcdef=x"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := c.Components.ComponentSecrets(); got["push.example.com"] != "0123456789abcdef=x" || len(got) != 1 {
		t.Fatalf("ComponentSecrets = %v", got)
	}
	for entry, want := range map[string]string{
		"push.example.com":                      "not domain=secret",
		"push.example.com=":                     "not domain=secret",
		"push.example.com=short":                "shorter than 16",
		"localhost=0123456789abcdef":            "served host",
		"conference.localhost=0123456789abcdef": "conference service",
		"bad domain!.example=0123456789abcdef":  "not a domain",
	} {
		c := Default()
		c.Components.Secrets = []string{entry}
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "components.secrets") {
			t.Errorf("secret %q: %v, want an error on components.secrets saying %q", entry, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "0123456789abcdef") {
			t.Errorf("secret %q: the error shows the secret: %v", entry, err)
		}
	}
	c = Default()
	c.Components.Secrets = []string{"a.example=0123456789abcdef", "A.example=fedcba9876543210"}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate component domain: %v", err)
	}
}
