package config

import (
	"errors"
	"testing"
)

// The settings of the modern-client features: each bad value is reported
// under its own key.
func TestValidateModernSettings(t *testing.T) {
	cases := []struct {
		key    string
		mutate func(*Config)
	}{
		{"admins", func(c *Config) { c.Admins = []string{"localhost"} }},
		{"admins", func(c *Config) { c.Admins = []string{"root@elsewhere.example"} }},
		{"admins", func(c *Config) { c.Admins = []string{"root@localhost/desk"} }},
		{"pep.max_nodes", func(c *Config) { c.PEP.MaxNodes = 0 }},
		{"pep.max_items", func(c *Config) { c.PEP.MaxItems = 0 }},
		{"pep.max_item_bytes", func(c *Config) { c.PEP.MaxItemBytes = 10 }},
		{"vcard.max_bytes", func(c *Config) { c.VCard.MaxBytes = 0 }},
		{"private_storage.max_namespaces", func(c *Config) { c.PrivateStorage.MaxNamespaces = 0 }},
		{"blocking.max_items", func(c *Config) { c.Blocking.MaxItems = -1 }},
		{"upload.subdomain", func(c *Config) { c.Upload.Subdomain = "conference" }},
		{"upload.subdomain", func(c *Config) { c.Upload.Subdomain = "bad label" }},
		{"upload.subdomain", func(c *Config) { c.Upload.Subdomain = "calendar" }},
		{"upload.subdomain", func(c *Config) { c.Upload.Subdomain = "guest" }},
		{"upload.max_file_size", func(c *Config) { c.Upload.MaxFileSize = 0 }},
		{"upload.quota", func(c *Config) { c.Upload.Quota = -1 }},
		{"upload.allowed_types", func(c *Config) { c.Upload.AllowedTypes = []string{"png"} }},
		{"upload.allowed_types", func(c *Config) { c.Upload.AllowedTypes = []string{"image/png; charset=x"} }},
		{"upload.slot_lifetime", func(c *Config) { c.Upload.SlotLifetime.Duration = 0 }},
		{"upload.public_url", func(c *Config) { c.Upload.PublicURL = "ftp://files.example" }},
		{"upload.secret", func(c *Config) { c.Upload.Secret = "short" }},
		{"registration.per_address", func(c *Config) { c.Registration.PerAddress = 0 }},
		{"registration.window", func(c *Config) { c.Registration.Window.Duration = 0 }},
		{"external_services.uris", func(c *Config) { c.ExternalServices.URIs = []string{"http://turn.example"} }},
		{"external_services.uris", func(c *Config) { c.ExternalServices.URIs = []string{"turn:turn.example:99999"} }},
		{"external_services.uris", func(c *Config) { c.ExternalServices.URIs = []string{"stun:stun.example?transport=udp"} }},
		{"external_services.uris", func(c *Config) { c.ExternalServices.URIs = []string{"turn:turn.example?transport=sctp"} }},
		{"external_services.turn_secret", func(c *Config) { c.ExternalServices.TURNSecret = "abc" }},
		{"external_services.credential_lifetime", func(c *Config) { c.ExternalServices.CredentialLifetime.Duration = 0 }},
	}
	for _, tc := range cases {
		c := Default()
		tc.mutate(&c)
		err := c.Validate()
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != tc.key {
			t.Errorf("%s: Validate() = %v, want an error for %s", tc.key, err, tc.key)
		}
	}
}

func TestModernSettingsNormalized(t *testing.T) {
	c := Default()
	c.Admins = []string{"Root@LocalHost"}
	c.Upload.AllowedTypes = []string{"Image/*", "application/PDF"}
	c.ExternalServices.URIs = []string{"stun:stun.example.com", "turns:turn.example.com:5349?transport=tcp"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if !c.IsAdmin("root@localhost") || c.IsAdmin("other@localhost") {
		t.Errorf("admins %v: root@localhost must be an admin, other@localhost not", c.Admins)
	}
	if c.Upload.AllowedTypes[0] != "image/*" || c.Upload.AllowedTypes[1] != "application/pdf" {
		t.Errorf("allowed types %v, want lower case", c.Upload.AllowedTypes)
	}
	s, err := ParseExternalService(c.ExternalServices.URIs[1])
	if err != nil || s.Type != "turns" || s.Host != "turn.example.com" || s.Port != 5349 || s.Transport != "tcp" {
		t.Errorf("ParseExternalService = %+v, %v", s, err)
	}
	s, err = ParseExternalService("stun:[2001:db8::1]:3478")
	if err != nil || s.Host != "2001:db8::1" || s.Port != 3478 {
		t.Errorf("IPv6 STUN URI: %+v, %v", s, err)
	}
}
