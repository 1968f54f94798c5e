package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

// migrationFiles holds the schema history: one file per version of
// store/sqlite/migrations, with the same number (TestMigrationsMirrorSQLite).
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate brings the schema that cfg's search_path names (normally
// public) up to the newest embedded migration.
//
// goose reads which versions are applied outside any lock, so two
// processes starting at once on a new or outdated database (the nodes of
// a cluster, or a server and `parley user add`) would both run the same
// migration. migrationLocker makes them take turns: the first applies
// what is pending, the next finds nothing left to do. Each migration
// runs in its own transaction (PostgreSQL's DDL is transactional), so a
// failed one leaves the schema at the previous version.
func migrate(ctx context.Context, cfg *pgx.ConnConfig) error {
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	// Out-of-order migrations are allowed, as for SQLite: features
	// developed in parallel own disjoint version ranges.
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithAllowOutofOrder(true),
		goose.WithSessionLocker(migrationLocker{}))
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}

// migrationLocker is a goose SessionLocker holding a session-level
// advisory lock for the migrations of one schema. Unlike goose's own
// PostgreSQL locker, which retries pg_try_advisory_lock every five
// seconds, it waits in pg_advisory_lock, so the second process goes on
// the moment the first is done (and the wait ends with ctx).
type migrationLocker struct{}

// lockKey is the advisory lock of the current schema's migrations.
const lockKey = `hashtextextended('parley migrations ' || current_schema(), 0)`

func (migrationLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+lockKey+`)`); err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	return nil
}

func (migrationLocker) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock(`+lockKey+`)`); err != nil {
		return fmt.Errorf("unlock migrations: %w", err)
	}
	return nil
}
