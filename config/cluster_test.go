package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func pg(c *Config) { c.Storage.Driver, c.Storage.DSN = "postgres", "postgres://parley@db/parley" }

func TestClusterValidation(t *testing.T) {
	bad := []struct {
		key    string
		mutate func(*Config)
	}{
		{"cluster.node", func(c *Config) { pg(c); c.Cluster.Node = "node 1" }},
		{"cluster.node", func(c *Config) { c.Cluster.Node = "n1" }}, // SQLite
		{"cluster.node", func(c *Config) { pg(c); c.Cluster.Node, c.NATS.Listen = "n1", "" }},
		{"cluster.name", func(c *Config) { c.Cluster.Name = "" }},
		{"cluster.name", func(c *Config) { c.Cluster.Name = "a.b" }},
		{"cluster.peer_timeout", func(c *Config) { c.Cluster.PeerTimeout.Duration = c.Cluster.Heartbeat.Duration }},
		{"cluster.heartbeat", func(c *Config) { c.Cluster.Heartbeat.Duration = 0 }},
		{"cluster.drain_timeout", func(c *Config) { c.Cluster.DrainTimeout.Duration = 0 }},
		{"cluster.drain_timeout", func(c *Config) { c.Cluster.DrainTimeout.Duration = time.Minute }},
		{"cluster.listen", func(c *Config) { c.Cluster.Listen = "6222" }},
		{"cluster.listen", func(c *Config) { c.Cluster.Listen = ":6222" }}, // beyond loopback, no credentials
		{"cluster.listen", func(c *Config) { c.Cluster.Listen = "127.0.0.1:4222" }},
		{"cluster.listen", func(c *Config) { c.Cluster.Routes = []string{"nats-route://n2:6222"} }},
		{"cluster.listen", func(c *Config) { c.Cluster.Listen, c.NATS.URL = "127.0.0.1:6222", "nats://nats:4222" }},
		{"cluster.routes", func(c *Config) {
			c.Cluster.Listen, c.Cluster.Routes = "127.0.0.1:6222", []string{"http://n2:6222"}
		}},
		{"cluster.routes", func(c *Config) {
			c.Cluster.Listen, c.Cluster.Routes = "127.0.0.1:6222", []string{"nats-route://u:p@n2:6222"}
		}},
		{"cluster.advertise", func(c *Config) { c.Cluster.Advertise = "xmpp.example.com" }},
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
		func(c *Config) { pg(c); c.Cluster.Node, c.NATS.URL = "node-1", "nats://nats1:4222,nats://nats2:4222" },
		func(c *Config) {
			pg(c)
			c.Cluster.Node, c.NATS.Listen, c.NATS.User, c.NATS.Password = "n1", ":4222", "parley", "secret"
			c.Cluster.Listen, c.Cluster.Routes = "0.0.0.0:6222", []string{"nats-route://n1:6222", "nats://n2:6222"}
			c.Cluster.Advertise = "n1.example.com:5222"
		},
	}
	for i, mutate := range good {
		c := Default()
		mutate(&c)
		if err := c.Validate(); err != nil {
			t.Errorf("good %d: %v", i, err)
		}
	}
}

// The names external checks start nodes with.
func TestClusterEnvironment(t *testing.T) {
	c := Default()
	env := map[string]string{
		"PARLEY_STORAGE_DRIVER": "postgres", "PARLEY_STORAGE_DSN": "postgres://parley@127.0.0.1:5432/parley",
		"PARLEY_CLUSTER_NODE": "n2", "PARLEY_NATS_URL": "nats://127.0.0.1:4222",
		"PARLEY_CLUSTER_ROUTES": "nats-route://a:6222, nats-route://b:6222",
	}
	if err := c.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if c.Cluster.Node != "n2" || c.NATS.URL != "nats://127.0.0.1:4222" || len(c.Cluster.Routes) != 2 || !c.Cluster.Enabled() {
		t.Fatalf("%+v %+v", c.Cluster, c.NATS)
	}
	c.Cluster.Routes = nil
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}
