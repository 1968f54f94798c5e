package config

import (
	"errors"
	"strings"
	"testing"
)

// External checks start nodes with PARLEY_STORAGE_DRIVER=postgres and
// PARLEY_STORAGE_DSN=postgres://...: these names are a contract.
func TestStorageFromEnvironment(t *testing.T) {
	c := Default()
	dsn := "postgres://parley:pw@db.example.com:5432/parley?sslmode=disable"
	if err := c.ApplyEnv(envOf(map[string]string{
		"PARLEY_STORAGE_DRIVER":          "postgres",
		"PARLEY_STORAGE_DSN":             dsn,
		"PARLEY_STORAGE_MAX_CONNECTIONS": "7",
	})); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Storage.Driver != "postgres" || c.Storage.DSN != dsn || c.Storage.MaxConnections != 7 {
		t.Fatalf("storage = %+v", c.Storage)
	}
}

func TestStorageValidation(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(*Storage)
		key  string
	}{
		{"postgres without dsn", func(s *Storage) { s.Driver = "postgres" }, "storage.dsn"},
		{"postgres with a blank dsn", func(s *Storage) { s.Driver, s.DSN = "postgres", "  " }, "storage.dsn"},
		{"unknown driver", func(s *Storage) { s.Driver = "mysql" }, "storage.driver"},
		{"negative pool", func(s *Storage) { s.MaxConnections = -1 }, "storage.max_connections"},
	} {
		cfg := Default()
		c.set(&cfg.Storage)
		err := cfg.Validate()
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%s: Validate = %v, want an error about %s", c.name, err, c.key)
		}
	}
	cfg := Default()
	cfg.Storage.MaxConnections = 0 // the DSN's or pgx's default
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}
