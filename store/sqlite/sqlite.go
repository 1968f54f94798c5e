// Package sqlite is the embedded default store.Store: one SQLite file on
// the pure-Go modernc.org/sqlite driver (no cgo, one static binary),
// its schema kept by goose migrations embedded from migrations/.
//
// # Concurrency
//
// A Store is safe for concurrent use, and several Stores (in this process
// or in others, such as `parley user add` run while the server is up) may
// use the same file at the same time. The database runs in WAL mode, so
// readers never block the writer nor it them; SQLite still admits one
// writer at a time per file. Each Store has two database/sql pools:
//
//   - w, a single connection whose transactions begin IMMEDIATE: every
//     write and every read-then-write (StoreOffline's count and insert,
//     the roster version bump). One connection makes this process's
//     writers queue in database/sql, in order and honouring their
//     contexts, instead of all spinning in SQLite's busy handler, and
//     taking the write lock at BEGIN means a transaction never has to
//     upgrade a read lock, which in WAL mode fails at once with
//     SQLITE_BUSY whatever the busy timeout.
//   - r, up to readConns connections opened query_only: plain reads.
//
// Between processes the only contention is the write lock; busy_timeout
// makes the other process wait for it (writes here take milliseconds)
// instead of failing. The one Go lock in this package guards the archive
// usage counted in memory (usage.go); it is taken before the database's
// write lock, never after.
//
// # Durability and time
//
// synchronous=NORMAL: in WAL mode a committed transaction survives a
// crash of the process; a power loss may lose the last transactions but
// never corrupts the file. Times are stored as INTEGER UTC Unix
// milliseconds and come back in UTC, truncated to the millisecond;
// archive times (archive.go) likewise, in microseconds.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/parley-im/parley/store"
)

const (
	// busyTimeout is how long a connection waits for a lock another
	// connection (often another process) holds before giving up.
	busyTimeout = 5 * time.Second
	// readConns bounds the read pool.
	readConns = 4
)

// Store is a SQLite-backed store.Store.
type Store struct {
	w  *sql.DB // exactly one connection, BEGIN IMMEDIATE: all writes
	r  *sql.DB // query_only connections: reads (transactions)
	rq *stmts  // single read queries, prepared once

	// The archive writer's insert, prepared once on w (its only
	// connection, so every transaction reuses it): a batch is one
	// transaction that runs it thousands of times.
	archiveInsert *sql.Stmt
	au            archiveUsage // archive inserts not yet in archive_usage (usage.go)
}

var _ store.Store = (*Store)(nil)

// Open opens the database at path, creating it and its parent directory
// if missing (mode 0600 / 0700: it holds credentials), and applies the
// embedded migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: create directory of %s: %w", path, err)
	}
	// Create the file ourselves so it gets 0600; SQLite gives its -wal
	// and -shm files the mode of the database file.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	f.Close()

	if err := migrate(ctx, dsn(path, false)); err != nil {
		return nil, fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}
	w, err := sql.Open("sqlite", dsn(path, false)+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(readConns)
	r.SetMaxIdleConns(readConns)
	s := &Store{w: w, r: r, rq: newStmts(r)}
	if err := errors.Join(w.PingContext(ctx), r.PingContext(ctx), s.prepare(ctx)); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, nil
}

// dsn returns the modernc DSN for path. busy_timeout comes first in the
// _pragma list: the pragmas run in order, and journal_mode may itself
// have to wait for a lock.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	// A 32 MiB page cache per connection (the default is 2 MiB) and
	// in-memory statement journals: with the archive's indexes, a busy
	// server otherwise spends most of its archiving time in pread/pwrite
	// of evicted pages and temp files (profiled: 35% syscalls).
	q.Add("_pragma", "cache_size(-32768)")
	q.Add("_pragma", "temp_store(MEMORY)")
	// Checkpoint every 16k pages (64 MiB of WAL) instead of 1k: index
	// pages that every archived message touches are then copied into
	// the database once per many commits, not once per few.
	q.Add("_pragma", "wal_autocheckpoint(16384)")
	q.Add("_pragma", "journal_size_limit(67108864)")
	if readOnly {
		q.Set("_query_only", "1")
	}
	return "file:" + uriPath(path) + "?" + q.Encode()
}

// uriPath turns a file path into the path of a SQLite "file:" URI:
// forward slashes, and '%', '?' and '#' escaped so a directory named
// "a?b" is not read as a query.
func uriPath(path string) string {
	p := filepath.ToSlash(path)
	if filepath.VolumeName(path) != "" {
		p = "/" + p // file:/C:/dir/parley.db
	}
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// Close closes both pools. When the last connection to the file closes,
// SQLite checkpoints the WAL into the database and removes it.
func (s *Store) Close() error {
	errs := []error{s.flushArchiveUsage(context.Background())}
	if s.archiveInsert != nil {
		errs = append(errs, s.archiveInsert.Close())
	}
	if err := errors.Join(append(errs, s.rq.Close(), s.r.Close(), s.w.Close())...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// tx runs fn in a write transaction (BEGIN IMMEDIATE on w), committing
// if fn returns nil. fn's error is returned as is: fn wraps its own.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// ms is the stored form of t: UTC Unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS is the inverse of ms; the zero time round-trips.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// code is the SQLite (extended) result code of err, or 0.
func code(err error) int {
	var e *msqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

func isUnique(err error) bool {
	c := code(err)
	return c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || c == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// isForeignKey reports a write for an owner that has no account.
func isForeignKey(err error) bool { return code(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY }

// wrap adds context to err and maps constraint violations to the store
// sentinels: a foreign-key violation means the owner has no account
// (ErrNotFound), a unique one a duplicate (ErrExists).
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf(format, args...)
	switch {
	case isForeignKey(err):
		return fmt.Errorf("sqlite: %s: no such user: %w (%w)", msg, store.ErrNotFound, err)
	case isUnique(err):
		return fmt.Errorf("sqlite: %s: %w (%w)", msg, store.ErrExists, err)
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlite: %s: %w", msg, store.ErrNotFound)
	}
	return fmt.Errorf("sqlite: %s: %w", msg, err)
}

// affected turns "no row changed" into ErrNotFound.
func affected(res sql.Result, err error, format string, args ...any) error {
	if err != nil {
		return wrap(err, format, args...)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(err, format, args...)
	}
	if n == 0 {
		return wrap(sql.ErrNoRows, format, args...)
	}
	return nil
}

// Snapshot runs fn in one read-only transaction: everything fn reads is
// one consistent state of the database, whatever writers (this process
// or another) do meanwhile. For maintenance tools (parley migrate).
func (s *Store) Snapshot(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin snapshot: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}
