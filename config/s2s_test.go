package config

import (
	"reflect"
	"strings"
	"testing"
)

// The federation settings external checks rely on: their keys, defaults
// and environment forms (lists comma-separated, as PARLEY_HOSTS).
func TestS2SContract(t *testing.T) {
	c := Default()
	if c.S2S.Listen != ":5269" || !c.S2S.Enabled || c.S2S.AllowPlaintext {
		t.Fatalf("defaults: %+v", c.S2S)
	}
	keys := map[string]string{}
	for _, s := range settings(&c) {
		keys[s.key] = s.env
	}
	for key, env := range map[string]string{
		"s2s.listen":          "PARLEY_S2S_LISTEN",
		"s2s.static_hosts":    "PARLEY_S2S_STATIC_HOSTS",
		"s2s.trusted_domains": "PARLEY_S2S_TRUSTED_DOMAINS",
	} {
		if keys[key] != env {
			t.Errorf("%s: environment variable %q, want %q", key, keys[key], env)
		}
	}
	err := c.ApplyEnv(envOf(map[string]string{
		"PARLEY_S2S_LISTEN":          "127.0.0.1:15269",
		"PARLEY_S2S_STATIC_HOSTS":    "Prosody.Test=127.0.0.1:15270, ejabberd.test=[::1]:15271",
		"PARLEY_S2S_TRUSTED_DOMAINS": "prosody.test,ejabberd.test",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.S2S.Listen != "127.0.0.1:15269" {
		t.Errorf("listen = %q", c.S2S.Listen)
	}
	want := map[string]string{"prosody.test": "127.0.0.1:15270", "ejabberd.test": "[::1]:15271"}
	if got := c.S2S.S2SStaticHosts(); !reflect.DeepEqual(got, want) {
		t.Errorf("static hosts = %v, want %v", got, want)
	}
	if !reflect.DeepEqual(c.S2S.TrustedDomains, []string{"prosody.test", "ejabberd.test"}) {
		t.Errorf("trusted domains = %v", c.S2S.TrustedDomains)
	}
}

func TestS2SValidate(t *testing.T) {
	for _, tc := range []struct {
		mutate func(*S2S)
		want   string
	}{
		{func(s *S2S) { s.Listen = "5269" }, "s2s.listen"},
		{func(s *S2S) { s.TLSListen = ":5222" }, "s2s.tls_listen"}, // c2s.listen's address
		{func(s *S2S) { s.StaticHosts = []string{"example.net"} }, "not domain=host:port"},
		{func(s *S2S) { s.StaticHosts = []string{"example.net=10.0.0.1"} }, "not host:port"},
		{func(s *S2S) { s.StaticHosts = []string{"example.net=10.0.0.1:0"} }, "not host:port"},
		{func(s *S2S) { s.StaticHosts = []string{"bad domain=10.0.0.1:5269"} }, "not a domain"},
		{func(s *S2S) { s.StaticHosts = []string{"localhost=10.0.0.1:5269"} }, "served here"},
		{func(s *S2S) { s.StaticHosts = []string{"a.example=h:1", "A.example=h:2"} }, "twice"},
		{func(s *S2S) { s.TrustedDomains = []string{"a@b"} }, "s2s.trusted_domains"},
		{func(s *S2S) { s.Deny = []string{""} }, "s2s.deny"},
		{func(s *S2S) { s.QueueTimeout.Duration = 0 }, "s2s.queue_timeout"},
		{func(s *S2S) { s.QueueBytes = 100 }, "s2s.queue_bytes"},
		{func(s *S2S) { s.QueueStanzas = 0 }, "s2s.queue_stanzas"},
		{func(s *S2S) { s.StanzaBurst = 0 }, "s2s.stanza_burst"},
	} {
		c := Default()
		tc.mutate(&c.S2S)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error saying %q", c.S2S, err, tc.want)
		}
	}
	c := Default()
	c.S2S.Allow = []string{"Partner.Example"}
	if err := c.Validate(); err != nil || c.S2S.Allow[0] != "partner.example" {
		t.Fatalf("allow list not normalised: %v %v", c.S2S.Allow, err)
	}
}
