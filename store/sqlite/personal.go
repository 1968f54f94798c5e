package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/parley-im/parley/store"
)

// Blocklist implements store.Blocklists.
func (s *Store) Blocklist(ctx context.Context, owner string) ([]string, error) {
	rows, err := s.rq.QueryContext(ctx, `SELECT jid FROM blocklist WHERE owner = ? ORDER BY jid`, owner)
	if err != nil {
		return nil, wrap(err, "block list of %s", owner)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var j string
		if err := rows.Scan(&j); err != nil {
			return nil, wrap(err, "block list of %s", owner)
		}
		out = append(out, j)
	}
	return out, wrap(rows.Err(), "block list of %s", owner)
}

// AllBlocklists implements store.Blocklists.
func (s *Store) AllBlocklists(ctx context.Context) (map[string][]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT owner, jid FROM blocklist ORDER BY owner, jid`)
	if err != nil {
		return nil, wrap(err, "block lists")
	}
	defer rows.Close()
	out := make(map[string][]string)
	for rows.Next() {
		var o, j string
		if err := rows.Scan(&o, &j); err != nil {
			return nil, wrap(err, "block lists")
		}
		out[o] = append(out[o], j)
	}
	return out, wrap(rows.Err(), "block lists")
}

// Block implements store.Blocklists.
func (s *Store) Block(ctx context.Context, owner string, jids []string, max int) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var user int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE jid = ?`, owner).Scan(&user); err != nil {
			return wrap(err, "block for %s", owner)
		}
		for _, j := range jids {
			if _, err := tx.ExecContext(ctx, `INSERT INTO blocklist (owner, jid) VALUES (?,?) ON CONFLICT DO NOTHING`, owner, j); err != nil {
				return wrap(err, "block %s for %s", j, owner)
			}
		}
		if max > 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM blocklist WHERE owner = ?`, owner).Scan(&n); err != nil {
				return wrap(err, "count block list of %s", owner)
			}
			if n > max {
				return store.ErrQuotaExceeded // rolls the additions back
			}
		}
		return nil
	})
}

// Unblock implements store.Blocklists.
func (s *Store) Unblock(ctx context.Context, owner string, jids []string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, j := range jids {
			if _, err := tx.ExecContext(ctx, `DELETE FROM blocklist WHERE owner = ? AND jid = ?`, owner, j); err != nil {
				return wrap(err, "unblock %s for %s", j, owner)
			}
		}
		return nil
	})
}

// UnblockAll implements store.Blocklists.
func (s *Store) UnblockAll(ctx context.Context, owner string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM blocklist WHERE owner = ?`, owner)
	return wrap(err, "unblock all for %s", owner)
}

// PrivateXML implements store.PrivateXML.
func (s *Store) PrivateXML(ctx context.Context, owner, namespace string) ([]byte, error) {
	var data []byte
	err := s.rq.QueryRowContext(ctx, `SELECT data FROM private_xml WHERE owner = ? AND namespace = ?`, owner, namespace).Scan(&data)
	if err != nil {
		return nil, wrap(err, "private xml %s of %s", namespace, owner)
	}
	return data, nil
}

// PutPrivateXML implements store.PrivateXML.
func (s *Store) PutPrivateXML(ctx context.Context, owner, namespace string, data []byte, maxNamespaces int) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var user int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE jid = ?`, owner).Scan(&user); err != nil {
			return wrap(err, "private xml of %s", owner)
		}
		if len(data) == 0 {
			_, err := tx.ExecContext(ctx, `DELETE FROM private_xml WHERE owner = ? AND namespace = ?`, owner, namespace)
			return wrap(err, "delete private xml %s of %s", namespace, owner)
		}
		if maxNamespaces > 0 {
			var n, exists int
			err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN namespace = ? THEN 1 ELSE 0 END), 0) FROM private_xml WHERE owner = ?`,
				namespace, owner).Scan(&n, &exists)
			if err != nil {
				return wrap(err, "count private xml of %s", owner)
			}
			if exists == 0 && n >= maxNamespaces {
				return store.ErrQuotaExceeded
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO private_xml (owner, namespace, data) VALUES (?,?,?)
			ON CONFLICT (owner, namespace) DO UPDATE SET data = excluded.data`, owner, namespace, data)
		return wrap(err, "put private xml %s of %s", namespace, owner)
	})
}

const uploadColumns = `id, owner, filename, size, content_type, state, created_at, expires_at`

func scanUpload(sc interface{ Scan(...any) error }) (store.Upload, error) {
	var u store.Upload
	var created, expires int64
	if err := sc.Scan(&u.ID, &u.Owner, &u.Filename, &u.Size, &u.ContentType, &u.State, &created, &expires); err != nil {
		return store.Upload{}, err
	}
	u.Created = fromMS(created)
	if expires != 0 {
		u.Expires = fromMS(expires)
	}
	return u, nil
}

// expiryMS stores a zero expiry (never) as 0.
func expiryMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}

// CreateUpload implements store.Uploads: the sum and the insert share
// one write transaction, so concurrent slots cannot pass the quota.
func (s *Store) CreateUpload(ctx context.Context, u store.Upload, quota int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if quota > 0 {
			var used int64
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM uploads WHERE owner = ?`, u.Owner).Scan(&used); err != nil {
				return wrap(err, "upload usage of %s", u.Owner)
			}
			if used+u.Size > quota {
				return store.ErrQuotaExceeded
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO uploads (`+uploadColumns+`) VALUES (?,?,?,?,?,?,?,?)`,
			u.ID, u.Owner, u.Filename, u.Size, u.ContentType, u.State, ms(u.Created), expiryMS(u.Expires))
		return wrap(err, "create upload %s of %s", u.ID, u.Owner)
	})
}

// Upload implements store.Uploads.
func (s *Store) Upload(ctx context.Context, id string) (store.Upload, error) {
	u, err := scanUpload(s.rq.QueryRowContext(ctx, `SELECT `+uploadColumns+` FROM uploads WHERE id = ?`, id))
	if err != nil {
		return store.Upload{}, wrap(err, "upload %s", id)
	}
	return u, nil
}

// ClaimUpload implements store.Uploads: one UPDATE decides which of
// concurrent claims wins.
func (s *Store) ClaimUpload(ctx context.Context, id string, now time.Time) (store.Upload, error) {
	var u store.Upload
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE uploads SET state = ? WHERE id = ? AND state = ? AND (expires_at = 0 OR expires_at > ?)`,
			store.UploadReceiving, id, store.UploadPending, ms(now))
		if err := affected(res, err, "claim upload %s", id); err != nil {
			return err
		}
		u, err = scanUpload(tx.QueryRowContext(ctx, `SELECT `+uploadColumns+` FROM uploads WHERE id = ?`, id))
		return wrap(err, "claim upload %s", id)
	})
	return u, err
}

// CompleteUpload implements store.Uploads.
func (s *Store) CompleteUpload(ctx context.Context, id string, expires time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE uploads SET state = ?, expires_at = ? WHERE id = ? AND state = ?`,
		store.UploadDone, expiryMS(expires), id, store.UploadReceiving)
	return affected(res, err, "complete upload %s", id)
}

// DeleteUpload implements store.Uploads.
func (s *Store) DeleteUpload(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM uploads WHERE id = ?`, id)
	return affected(res, err, "delete upload %s", id)
}

// UploadUsage implements store.Uploads.
func (s *Store) UploadUsage(ctx context.Context, owner string) (int64, error) {
	var n int64
	err := s.rq.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM uploads WHERE owner = ?`, owner).Scan(&n)
	return n, wrap(err, "upload usage of %s", owner)
}

// ExpiredUploads implements store.Uploads.
func (s *Store) ExpiredUploads(ctx context.Context, now time.Time, limit int) ([]store.Upload, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: expired uploads: limit %d: %w", limit, store.ErrInvalid)
	}
	return s.uploads(ctx, `SELECT `+uploadColumns+` FROM uploads WHERE expires_at > 0 AND expires_at <= ?
		ORDER BY expires_at, id LIMIT ?`, ms(now), limit)
}

// OwnerUploads implements store.Uploads.
func (s *Store) OwnerUploads(ctx context.Context, owner string) ([]store.Upload, error) {
	return s.uploads(ctx, `SELECT `+uploadColumns+` FROM uploads WHERE owner = ? ORDER BY created_at, id`, owner)
}

func (s *Store) uploads(ctx context.Context, query string, args ...any) ([]store.Upload, error) {
	rows, err := s.rq.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap(err, "uploads")
	}
	defer rows.Close()
	var out []store.Upload
	for rows.Next() {
		u, err := scanUpload(rows)
		if err != nil {
			return nil, wrap(err, "uploads")
		}
		out = append(out, u)
	}
	return out, wrap(rows.Err(), "uploads")
}
