package config

import (
	"fmt"
	"strings"
)

// defaultStorage: SQLite in the data directory. For PostgreSQL, 20
// connections a node serve logins, roster and offline writes, archive
// queries and the archive writer with room to spare, and leave most of
// PostgreSQL's default 100 connections to other nodes (docs/postgres.md).
func defaultStorage() Storage {
	return Storage{Driver: "sqlite", Path: "", DSN: "", MaxConnections: 20}
}

// maxPool is far above what one node can use, and fits pgx's int32.
const maxPool = 10000

func (s *Storage) validate(v *validator) {
	switch s.Driver {
	case "sqlite", "memory":
	case "postgres":
		if strings.TrimSpace(s.DSN) == "" {
			v.add("storage.dsn", `required with driver "postgres" (e.g. postgres://parley@db.example.com/parley, or PARLEY_STORAGE_DSN)`)
		}
	default:
		v.add("storage.driver", fmt.Sprintf("%q is not a driver (use sqlite, postgres or memory)", s.Driver))
	}
	v.atLeast("storage.max_connections", s.MaxConnections, 0)
	if s.MaxConnections > maxPool {
		v.add("storage.max_connections", fmt.Sprintf("%d is more than %d", s.MaxConnections, maxPool))
	}
}
