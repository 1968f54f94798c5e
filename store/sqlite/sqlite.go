// Package sqlite is the embedded default store.Store, on the pure-Go
// modernc.org/sqlite driver (no cgo, one static binary).
//
// Concurrency: the database runs in WAL mode with a busy timeout, so the
// server and a CLI command (`parley user add`) can use the same file at
// once. Within a process, writes go through a single connection (SQLite
// allows one writer at a time; funnelling them avoids SQLITE_BUSY
// storms), while reads use a small pool of their own.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/parley-im/parley/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a SQLite-backed store.Store.
type Store struct {
	w *sql.DB // one connection: all writes
	r *sql.DB // reads
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and applies the
// embedded migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	dsn := "file:" + path + "?" + q.Encode()
	w, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	s := &Store{w: w, r: r}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	p, err := goose.NewProvider(goose.DialectSQLite3, s.w, mustSub(migrations, "migrations"))
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	return nil
}

// Close closes the database (WAL content is checkpointed by SQLite).
func (s *Store) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

func ms(t time.Time) int64 { return t.UTC().UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

func isForeignKey(err error) bool {
	return err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}

// tx runs fn in a write transaction.
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

// CreateUser implements store.Users.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO users (jid, sha1_salt, sha1_iter, sha1_stored, sha1_server,
		sha256_salt, sha256_iter, sha256_stored, sha256_server, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		u.JID, blob(u.SHA1.Salt), u.SHA1.Iterations, blob(u.SHA1.StoredKey), blob(u.SHA1.ServerKey),
		blob(u.SHA256.Salt), u.SHA256.Iterations, blob(u.SHA256.StoredKey), blob(u.SHA256.ServerKey), ms(u.CreatedAt))
	if isUnique(err) {
		return store.ErrExists
	}
	if err != nil {
		return fmt.Errorf("sqlite: create user %s: %w", u.JID, err)
	}
	return nil
}

// User implements store.Users.
func (s *Store) User(ctx context.Context, jid string) (store.User, error) {
	u := store.User{JID: jid}
	var created int64
	err := s.r.QueryRowContext(ctx, `SELECT sha1_salt, sha1_iter, sha1_stored, sha1_server,
		sha256_salt, sha256_iter, sha256_stored, sha256_server, created_at FROM users WHERE jid = ?`, jid).
		Scan(&u.SHA1.Salt, &u.SHA1.Iterations, &u.SHA1.StoredKey, &u.SHA1.ServerKey,
			&u.SHA256.Salt, &u.SHA256.Iterations, &u.SHA256.StoredKey, &u.SHA256.ServerKey, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, store.ErrNotFound
	}
	if err != nil {
		return store.User{}, fmt.Errorf("sqlite: user %s: %w", jid, err)
	}
	u.CreatedAt = fromMS(created)
	return u, nil
}

// SetCredentials implements store.Users.
func (s *Store) SetCredentials(ctx context.Context, jid string, sha1, sha256 store.SCRAMCredential) error {
	res, err := s.w.ExecContext(ctx, `UPDATE users SET sha1_salt=?, sha1_iter=?, sha1_stored=?, sha1_server=?,
		sha256_salt=?, sha256_iter=?, sha256_stored=?, sha256_server=? WHERE jid=?`,
		blob(sha1.Salt), sha1.Iterations, blob(sha1.StoredKey), blob(sha1.ServerKey),
		blob(sha256.Salt), sha256.Iterations, blob(sha256.StoredKey), blob(sha256.ServerKey), jid)
	return affected(res, err, "set credentials "+jid)
}

// DeleteUser implements store.Users; foreign keys cascade to
// everything the user owns.
func (s *Store) DeleteUser(ctx context.Context, jid string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM users WHERE jid = ?`, jid)
	return affected(res, err, "delete user "+jid)
}

func affected(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// ListUsers implements store.Users.
func (s *Store) ListUsers(ctx context.Context, domain string) ([]string, error) {
	query, args := `SELECT jid FROM users ORDER BY jid`, []any{}
	if domain != "" {
		query, args = `SELECT jid FROM users WHERE jid LIKE ? ESCAPE '\' ORDER BY jid`, []any{"%@" + escapeLike(domain)}
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list users: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var j string
		if err := rows.Scan(&j); err != nil {
			return nil, fmt.Errorf("sqlite: list users: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// blob keeps an empty credential field from becoming SQL NULL.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func encodeGroups(g []string) string {
	if len(g) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(g)
	return string(b)
}
