package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/parley-im/parley/store"
)

// CreateUser implements store.Users.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO users (jid, sha1_salt, sha1_iter, sha1_stored, sha1_server,
		sha256_salt, sha256_iter, sha256_stored, sha256_server, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		u.JID, blob(u.SHA1.Salt), u.SHA1.Iterations, blob(u.SHA1.StoredKey), blob(u.SHA1.ServerKey),
		blob(u.SHA256.Salt), u.SHA256.Iterations, blob(u.SHA256.StoredKey), blob(u.SHA256.ServerKey), ms(u.CreatedAt))
	return wrap(err, "create user %s", u.JID)
}

// User implements store.Users.
func (s *Store) User(ctx context.Context, jid string) (store.User, error) {
	ctx, err := uncancelled(ctx)
	if err != nil {
		return store.User{}, wrap(err, "user %s", jid)
	}
	u := store.User{JID: jid}
	var created int64
	err = s.rq.QueryRowContext(ctx, `SELECT sha1_salt, sha1_iter, sha1_stored, sha1_server,
		sha256_salt, sha256_iter, sha256_stored, sha256_server, created_at FROM users WHERE jid = ?`, jid).
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
	res, err := s.w.ExecContext(ctx, `UPDATE users SET sha1_salt=?, sha1_iter=?, sha1_stored=?, sha1_server=?,
		sha256_salt=?, sha256_iter=?, sha256_stored=?, sha256_server=? WHERE jid=?`,
		blob(sha1.Salt), sha1.Iterations, blob(sha1.StoredKey), blob(sha1.ServerKey),
		blob(sha256.Salt), sha256.Iterations, blob(sha256.StoredKey), blob(sha256.ServerKey), jid)
	return affected(res, err, "set credentials of %s", jid)
}

// ownedTables are the tables holding a user's data, keyed by owner.
var ownedTables = []string{"roster_items", "roster_versions", "offline_messages", "subscription_requests", "last_presence", "vcards",
	"archive", "archive_prefs", "push_registrations", "support_group_members", "calendar_prefs", "calendar_alarms", "calendar_delivered",
	"pep_items", "pep_nodes", "blocklist", "private_xml", "uploads", "network_presence", "web_sessions",
	"offline_usage", "archive_usage"}

// DeleteUser implements store.Users. The owned rows are deleted
// explicitly, in the same transaction, rather than left to ON DELETE
// CASCADE alone: the result then does not depend on foreign_keys being
// on for the connection (another tool may open the file).
func (s *Store) DeleteUser(ctx context.Context, jid string) error {
	if err := s.flushArchiveUsage(ctx); err != nil { // the trigger counts only stored usage
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE jid = ?`, jid)
		if err := affected(res, err, "delete user %s", jid); err != nil {
			return err
		}
		for _, table := range ownedTables {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE owner = ?`, jid); err != nil {
				return wrap(err, "delete user %s: %s", jid, table)
			}
		}
		return nil
	})
}

// ListUsers implements store.Users. LIKE narrows the scan; since LIKE
// ignores ASCII case in SQLite, the suffix is checked again exactly.
func (s *Store) ListUsers(ctx context.Context, domain string) ([]string, error) {
	query, args := `SELECT jid FROM users ORDER BY jid`, []any{}
	if domain != "" {
		query, args = `SELECT jid FROM users WHERE jid LIKE ? ESCAPE '\' ORDER BY jid`, []any{"%@" + escapeLike(domain)}
	}
	rows, err := s.rq.QueryContext(ctx, query, args...)
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
		if domain == "" || strings.HasSuffix(j, "@"+domain) {
			out = append(out, j)
		}
	}
	return out, wrap(rows.Err(), "list users of %q", domain)
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// blob keeps an absent credential field from becoming SQL NULL (the
// columns are NOT NULL).
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
