package postgres

import (
	"context"
	"time"

	"github.com/parley-im/parley/store"
)

// ms is the stored form of t: UTC Unix milliseconds (floor).
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS is the inverse of ms; the zero time round-trips.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// CreateUser implements store.Users.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO users (jid, sha1_salt, sha1_iter, sha1_stored, sha1_server,
		sha256_salt, sha256_iter, sha256_stored, sha256_server, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
		u.JID, blob(u.SHA1.Salt), u.SHA1.Iterations, blob(u.SHA1.StoredKey), blob(u.SHA1.ServerKey),
		blob(u.SHA256.Salt), u.SHA256.Iterations, blob(u.SHA256.StoredKey), blob(u.SHA256.ServerKey), ms(u.CreatedAt))
	return wrap(err, "create user %s", u.JID)
}

// User implements store.Users.
func (s *Store) User(ctx context.Context, jid string) (store.User, error) {
	u := store.User{JID: jid}
	var created int64
	err := s.pool.QueryRow(ctx, `SELECT sha1_salt, sha1_iter, sha1_stored, sha1_server,
		sha256_salt, sha256_iter, sha256_stored, sha256_server, created_at FROM users WHERE jid = $1`, jid).
		Scan(&u.SHA1.Salt, &u.SHA1.Iterations, &u.SHA1.StoredKey, &u.SHA1.ServerKey,
			&u.SHA256.Salt, &u.SHA256.Iterations, &u.SHA256.StoredKey, &u.SHA256.ServerKey, &created)
	if err != nil {
		return store.User{}, wrap(err, "user %s", jid)
	}
	u.CreatedAt = fromMS(created)
	return u, nil
}

// SetCredentials implements store.Users.
func (s *Store) SetCredentials(ctx context.Context, jid string, sha1, sha256 store.SCRAMCredential) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET sha1_salt=$1, sha1_iter=$2, sha1_stored=$3, sha1_server=$4,
		sha256_salt=$5, sha256_iter=$6, sha256_stored=$7, sha256_server=$8 WHERE jid=$9`,
		blob(sha1.Salt), sha1.Iterations, blob(sha1.StoredKey), blob(sha1.ServerKey),
		blob(sha256.Salt), sha256.Iterations, blob(sha256.StoredKey), blob(sha256.ServerKey), jid)
	return affected(tag, err, "set credentials of %s", jid)
}

// DeleteUser implements store.Users. Everything the user owns goes by
// ON DELETE CASCADE, which PostgreSQL always enforces, in the same
// statement: roster, requests, offline messages, last presence, vCard,
// archive and its preferences, tokens, push registrations, presence
// sharing.
func (s *Store) DeleteUser(ctx context.Context, jid string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM users WHERE jid = $1`, jid)
	return affected(tag, err, "delete user %s", jid)
}

// ListUsers implements store.Users. The suffix is compared exactly
// (right() counts characters, like length()).
func (s *Store) ListUsers(ctx context.Context, domain string) ([]string, error) {
	query, args := `SELECT jid FROM users ORDER BY jid`, []any{}
	if domain != "" {
		query, args = `SELECT jid FROM users WHERE right(jid, length($1)) = $1 ORDER BY jid`, []any{"@" + domain}
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, wrap(err, "list users of %q", domain)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var j string
		if err := rows.Scan(&j); err != nil {
			return nil, wrap(err, "list users of %q", domain)
		}
		out = append(out, j)
	}
	return out, wrap(rows.Err(), "list users of %q", domain)
}
