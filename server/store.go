package server

import (
	"context"
	"fmt"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/store/postgres"
	"github.com/parley-im/parley/store/sqlite"
)

// OpenStore opens the store the configuration selects. The CLI uses it
// too, so `parley user add` works on the same database as the server.
func OpenStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	return openStore(ctx, cfg)
}

func openStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	switch cfg.Storage.Driver {
	case "memory":
		return memory.New(), nil
	case "sqlite", "":
		st, err := sqlite.Open(ctx, cfg.DatabasePath())
		if err != nil {
			return nil, fmt.Errorf("open sqlite store %s: %w", cfg.DatabasePath(), err)
		}
		return st, nil
	case "postgres":
		// The error names the server, never the DSN (it may hold a password).
		st, err := postgres.Open(ctx, cfg.Storage.DSN, postgres.Options{MaxConns: int32(cfg.Storage.MaxConnections)})
		if err != nil {
			return nil, fmt.Errorf("open postgres store: %w", err)
		}
		return st, nil
	}
	return nil, fmt.Errorf("unknown storage driver %q", cfg.Storage.Driver)
}
