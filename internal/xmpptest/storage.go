package xmpptest

import (
	"os"
	"sync"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/pgtest"
)

// StorageEnv, set to "postgres", runs every test server on PostgreSQL
// (internal/pgtest) instead of the store its test chose: `make
// test-postgres` runs the server's protocol tests this way, to prove the
// whole server works on PostgreSQL.
const StorageEnv = "PARLEY_TEST_STORAGE"

var (
	pgSchemasMu sync.Mutex
	pgSchemas   = map[string]string{} // data directory -> DSN of its schema
)

// useTestStorage switches cfg to PostgreSQL when StorageEnv asks for it.
// A test that chose the memory store gets a new, empty schema; one that
// chose SQLite gets the schema of its data directory, so a server
// restarted on the same directory finds its data again, as on SQLite.
func useTestStorage(t testing.TB, cfg *config.Config) {
	if os.Getenv(StorageEnv) != "postgres" {
		return
	}
	srv := pgtest.Shared(t)
	var dsn string
	switch cfg.Storage.Driver {
	case "sqlite":
		pgSchemasMu.Lock()
		defer pgSchemasMu.Unlock()
		dsn = pgSchemas[cfg.DataDir]
		if dsn == "" {
			dsn = srv.NewSchema(t)
			pgSchemas[cfg.DataDir] = dsn
		}
	case "memory":
		dsn = srv.NewSchema(t)
	default:
		return
	}
	cfg.Storage.Driver, cfg.Storage.DSN = "postgres", dsn
	cfg.Storage.MaxConnections = 4 // many test servers share one PostgreSQL
}
