// Package postgres is the store.Store for installations that outgrow one
// SQLite file or run several Parley nodes: PostgreSQL through pgx's
// native connection pool (github.com/jackc/pgx/v5/pgxpool), its schema
// kept by goose migrations embedded from migrations/, which mirror
// SQLite's version by version (see migrations/00001_init.sql for how the
// types map).
//
// # Concurrency
//
// A Store is safe for concurrent use, and any number of Stores, in this
// process or in other processes and on other machines, may share one
// database: every invariant is kept by PostgreSQL, not by Go locks. A
// read-then-write is one statement where it can be (an upsert that bumps
// the roster version and returns it), and otherwise one transaction that
// serializes what must not interleave: StoreOffline takes a transaction
// advisory lock per owner before counting against the quota;
// AppendArchiveBatch takes one while it moves the archive's id sequence
// past the ids it stored. Reads that must agree (a roster and its version, an
// archive page and its count) run in one statement or in one REPEATABLE
// READ transaction. Several statements that need no answer in between go
// to the server as one pipelined batch: one round trip, one implicit
// transaction.
//
// There are no Go locks in this package.
//
// # Schemas
//
// Parley's tables live in the first schema of the connection's
// search_path (public by default); a DSN with search_path=parley keeps
// them in their own schema. The test suite gives each test a schema of
// its own this way.
//
// # Time
//
// Times are stored as BIGINT UTC Unix milliseconds, archive times in
// microseconds, exactly as in SQLite: both stores truncate alike.
package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parley-im/parley/store"
)

// Store is a PostgreSQL-backed store.Store.
type Store struct {
	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// Options tune Open.
type Options struct {
	// MaxConns bounds the connection pool; 0 leaves it to the DSN's
	// pool_max_conns, or pgx's default (4, or the number of CPUs if
	// greater).
	MaxConns int32
}

// Open connects to the database dsn names (a URL, postgres://..., or
// key=value pairs, as libpq takes them), applies the embedded
// migrations and returns a Store on a connection pool.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message shows the DSN with its password masked.
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	where := fmt.Sprintf("%s@%s:%d/%s", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	if err := migrate(ctx, cfg.ConnConfig); err != nil {
		return nil, fmt.Errorf("postgres: migrate %s: %w", where, err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect to %s: %w", where, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect to %s: %w", where, err)
	}
	return &Store{pool: pool}, nil
}

// Close closes the pool, waiting for the connections in use.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Pool is the store's connection pool, for maintenance tools (parley
// migrate) and tests.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// readTx runs fn in a read-only REPEATABLE READ transaction: every
// statement in it sees the same snapshot.
func (s *Store) readTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// SQLSTATE codes the store maps to its sentinels.
const (
	codeForeignKey = "23503"
	codeUnique     = "23505"
)

func sqlState(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// wrap adds context to err and maps it to the store sentinels: a
// foreign-key violation means the owner has no account (ErrNotFound), a
// unique one a duplicate (ErrExists), no rows ErrNotFound.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf(format, args...)
	switch {
	case sqlState(err) == codeForeignKey:
		return fmt.Errorf("postgres: %s: it refers to a missing row (no such account, room, site or parent): %w (%w)", msg, store.ErrNotFound, err)
	case sqlState(err) == codeUnique:
		return fmt.Errorf("postgres: %s: %w (%w)", msg, store.ErrExists, err)
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("postgres: %s: %w", msg, store.ErrNotFound)
	}
	return fmt.Errorf("postgres: %s: %w", msg, err)
}

// affected turns "no row changed" into ErrNotFound.
func affected(tag pgconn.CommandTag, err error, format string, args ...any) error {
	if err != nil {
		return wrap(err, format, args...)
	}
	if tag.RowsAffected() == 0 {
		return wrap(pgx.ErrNoRows, format, args...)
	}
	return nil
}

// blob keeps an absent byte slice from becoming SQL NULL (the columns
// are NOT NULL; pgx sends a nil slice as NULL).
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
