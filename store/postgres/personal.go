package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parley-im/parley/store"
)

// Advisory lock classes of store.PersonalData (see offline.go), numbered
// apart from the others: each serializes a count against a limit per
// owner, whichever process writes.
const (
	lockPEPNodes  = 60 // CreatePEPNode's count of nodes
	lockBlocklist = 61 // Block's count of blocked JIDs
	lockPrivate   = 62 // PutPrivateXML's count of namespaces
	lockUploads   = 63 // CreateUpload's sum of sizes
)

// writeTx runs fn in a read-committed write transaction.
func (s *Store) writeTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, fn)
}

// lockOwner takes a transaction advisory lock of class for owner.
func lockOwner(ctx context.Context, tx pgx.Tx, class int, owner string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, class, owner)
	return err
}

// userExists fails with ErrNotFound for an owner without an account.
func userExists(ctx context.Context, tx pgx.Tx, owner string) error {
	var one int
	return wrap(tx.QueryRow(ctx, `SELECT 1 FROM users WHERE jid = $1`, owner).Scan(&one), "account %s", owner)
}

// PEPNodes implements store.PEP.
func (s *Store) PEPNodes(ctx context.Context, owner string) ([]store.PEPNode, error) {
	rows, err := s.pool.Query(ctx, `SELECT node, config FROM pep_nodes WHERE owner = $1 ORDER BY node`, owner)
	if err != nil {
		return nil, wrap(err, "pep nodes of %s", owner)
	}
	defer rows.Close()
	var out []store.PEPNode
	for rows.Next() {
		var n store.PEPNode
		if err := rows.Scan(&n.Node, &n.Config); err != nil {
			return nil, wrap(err, "pep nodes of %s", owner)
		}
		out = append(out, n)
	}
	return out, wrap(rows.Err(), "pep nodes of %s", owner)
}

// PEPNode implements store.PEP.
func (s *Store) PEPNode(ctx context.Context, owner, node string) (store.PEPNode, error) {
	n := store.PEPNode{Node: node}
	err := s.pool.QueryRow(ctx, `SELECT config FROM pep_nodes WHERE owner = $1 AND node = $2`, owner, node).Scan(&n.Config)
	if err != nil {
		return store.PEPNode{}, wrap(err, "pep node %s of %s", node, owner)
	}
	return n, nil
}

// CreatePEPNode implements store.PEP: the count and the insert happen
// under the owner's advisory lock.
func (s *Store) CreatePEPNode(ctx context.Context, owner string, n store.PEPNode, maxNodes int) error {
	return s.writeTx(ctx, func(tx pgx.Tx) error {
		if maxNodes > 0 {
			if err := lockOwner(ctx, tx, lockPEPNodes, owner); err != nil {
				return wrap(err, "create pep node %s of %s", n.Node, owner)
			}
			var count, exists int
			err := tx.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE node = $2) FROM pep_nodes WHERE owner = $1`,
				owner, n.Node).Scan(&count, &exists)
			if err != nil {
				return wrap(err, "count pep nodes of %s", owner)
			}
			if exists > 0 {
				return fmt.Errorf("postgres: create pep node %s of %s: %w", n.Node, owner, store.ErrExists)
			}
			if count >= maxNodes {
				return store.ErrQuotaExceeded
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO pep_nodes (owner, node, config) VALUES ($1,$2,$3)`, owner, n.Node, blob(n.Config))
		return wrap(err, "create pep node %s of %s", n.Node, owner)
	})
}

// trimPEPItems keeps the newest max items of a node (max > 0).
func trimPEPItems(ctx context.Context, tx pgx.Tx, owner, node string, max int) error {
	if max <= 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `DELETE FROM pep_items WHERE owner = $1 AND node = $2 AND seq <= (
		SELECT seq FROM pep_items WHERE owner = $1 AND node = $2 ORDER BY seq DESC LIMIT 1 OFFSET $3)`, owner, node, max)
	return wrap(err, "trim pep node %s of %s", node, owner)
}

// ConfigurePEPNode implements store.PEP.
func (s *Store) ConfigurePEPNode(ctx context.Context, owner, node string, config []byte, maxItems int) error {
	return s.writeTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE pep_nodes SET config = $3 WHERE owner = $1 AND node = $2`, owner, node, blob(config))
		if err := affected(tag, err, "configure pep node %s of %s", node, owner); err != nil {
			return err
		}
		return trimPEPItems(ctx, tx, owner, node, maxItems)
	})
}

// DeletePEPNode implements store.PEP (the items go by the cascade).
func (s *Store) DeletePEPNode(ctx context.Context, owner, node string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM pep_nodes WHERE owner = $1 AND node = $2`, owner, node)
	return affected(tag, err, "delete pep node %s of %s", node, owner)
}

// PublishPEPItem implements store.PEP: the node's row is locked while
// the item takes the next sequence number of the node.
func (s *Store) PublishPEPItem(ctx context.Context, owner, node string, it store.PEPItem, maxItems int) error {
	return s.writeTx(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM pep_nodes WHERE owner = $1 AND node = $2 FOR UPDATE`, owner, node).Scan(&one); err != nil {
			return wrap(err, "publish to pep node %s of %s", node, owner)
		}
		_, err := tx.Exec(ctx, `INSERT INTO pep_items (owner, node, item_id, seq, publisher, payload, published_at)
			VALUES ($1, $2, $3, (SELECT COALESCE(MAX(seq), 0) + 1 FROM pep_items WHERE owner = $1 AND node = $2), $4, $5, $6)
			ON CONFLICT (owner, node, item_id) DO UPDATE SET seq = excluded.seq, publisher = excluded.publisher,
				payload = excluded.payload, published_at = excluded.published_at`,
			owner, node, it.ID, it.Publisher, blob(it.Payload), ms(it.Published))
		if err != nil {
			return wrap(err, "publish to pep node %s of %s", node, owner)
		}
		return trimPEPItems(ctx, tx, owner, node, maxItems)
	})
}

// PEPItems implements store.PEP.
func (s *Store) PEPItems(ctx context.Context, owner, node string, q store.PEPItemQuery) ([]store.PEPItem, error) {
	var out []store.PEPItem
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM pep_nodes WHERE owner = $1 AND node = $2`, owner, node).Scan(&one); err != nil {
			return wrap(err, "items of pep node %s of %s", node, owner)
		}
		if q.IDs != nil && len(q.IDs) == 0 {
			return nil
		}
		query := `SELECT item_id, publisher, payload, published_at FROM pep_items WHERE owner = $1 AND node = $2`
		args := []any{owner, node}
		if q.IDs != nil {
			query += ` AND item_id = ANY($3)`
			args = append(args, q.IDs)
		}
		query += ` ORDER BY seq DESC`
		if q.Max > 0 {
			query += fmt.Sprintf(` LIMIT %d`, q.Max)
		}
		rows, err := tx.Query(ctx, query, args...)
		if err != nil {
			return wrap(err, "items of pep node %s of %s", node, owner)
		}
		defer rows.Close()
		for rows.Next() {
			var it store.PEPItem
			var at int64
			if err := rows.Scan(&it.ID, &it.Publisher, &it.Payload, &at); err != nil {
				return wrap(err, "items of pep node %s of %s", node, owner)
			}
			it.Published = fromMS(at)
			out = append(out, it)
		}
		return wrap(rows.Err(), "items of pep node %s of %s", node, owner)
	})
	return out, err
}

// RetractPEPItem implements store.PEP.
func (s *Store) RetractPEPItem(ctx context.Context, owner, node, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM pep_items WHERE owner = $1 AND node = $2 AND item_id = $3`, owner, node, id)
	return affected(tag, err, "retract item %s of pep node %s of %s", id, node, owner)
}

// PurgePEPNode implements store.PEP.
func (s *Store) PurgePEPNode(ctx context.Context, owner, node string) error {
	return s.writeTx(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM pep_nodes WHERE owner = $1 AND node = $2 FOR UPDATE`, owner, node).Scan(&one); err != nil {
			return wrap(err, "purge pep node %s of %s", node, owner)
		}
		_, err := tx.Exec(ctx, `DELETE FROM pep_items WHERE owner = $1 AND node = $2`, owner, node)
		return wrap(err, "purge pep node %s of %s", node, owner)
	})
}

// Blocklist implements store.Blocklists.
func (s *Store) Blocklist(ctx context.Context, owner string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT jid FROM blocklist WHERE owner = $1 ORDER BY jid`, owner)
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
	rows, err := s.pool.Query(ctx, `SELECT owner, jid FROM blocklist ORDER BY owner, jid`)
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
	return s.writeTx(ctx, func(tx pgx.Tx) error {
		if err := lockOwner(ctx, tx, lockBlocklist, owner); err != nil {
			return wrap(err, "block for %s", owner)
		}
		if err := userExists(ctx, tx, owner); err != nil {
			return err
		}
		for _, j := range jids {
			if _, err := tx.Exec(ctx, `INSERT INTO blocklist (owner, jid) VALUES ($1,$2) ON CONFLICT DO NOTHING`, owner, j); err != nil {
				return wrap(err, "block %s for %s", j, owner)
			}
		}
		if max > 0 {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM blocklist WHERE owner = $1`, owner).Scan(&n); err != nil {
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
	_, err := s.pool.Exec(ctx, `DELETE FROM blocklist WHERE owner = $1 AND jid = ANY($2)`, owner, jids)
	return wrap(err, "unblock for %s", owner)
}

// UnblockAll implements store.Blocklists.
func (s *Store) UnblockAll(ctx context.Context, owner string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM blocklist WHERE owner = $1`, owner)
	return wrap(err, "unblock all for %s", owner)
}

// PrivateXML implements store.PrivateXML.
func (s *Store) PrivateXML(ctx context.Context, owner, namespace string) ([]byte, error) {
	var data []byte
	err := s.pool.QueryRow(ctx, `SELECT data FROM private_xml WHERE owner = $1 AND namespace = $2`, owner, namespace).Scan(&data)
	if err != nil {
		return nil, wrap(err, "private xml %s of %s", namespace, owner)
	}
	return data, nil
}

// PutPrivateXML implements store.PrivateXML.
func (s *Store) PutPrivateXML(ctx context.Context, owner, namespace string, data []byte, maxNamespaces int) error {
	return s.writeTx(ctx, func(tx pgx.Tx) error {
		if err := lockOwner(ctx, tx, lockPrivate, owner); err != nil {
			return wrap(err, "private xml of %s", owner)
		}
		if err := userExists(ctx, tx, owner); err != nil {
			return err
		}
		if len(data) == 0 {
			_, err := tx.Exec(ctx, `DELETE FROM private_xml WHERE owner = $1 AND namespace = $2`, owner, namespace)
			return wrap(err, "delete private xml %s of %s", namespace, owner)
		}
		if maxNamespaces > 0 {
			var n, exists int
			err := tx.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE namespace = $2) FROM private_xml WHERE owner = $1`,
				owner, namespace).Scan(&n, &exists)
			if err != nil {
				return wrap(err, "count private xml of %s", owner)
			}
			if exists == 0 && n >= maxNamespaces {
				return store.ErrQuotaExceeded
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO private_xml (owner, namespace, data) VALUES ($1,$2,$3)
			ON CONFLICT (owner, namespace) DO UPDATE SET data = excluded.data`, owner, namespace, data)
		return wrap(err, "put private xml %s of %s", namespace, owner)
	})
}

const uploadColumns = `id, owner, filename, size, content_type, state, created_at, expires_at`

func scanUpload(row pgx.Row) (store.Upload, error) {
	var u store.Upload
	var created, expires int64
	if err := row.Scan(&u.ID, &u.Owner, &u.Filename, &u.Size, &u.ContentType, &u.State, &created, &expires); err != nil {
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

// CreateUpload implements store.Uploads: the sum and the insert happen
// under the owner's advisory lock.
func (s *Store) CreateUpload(ctx context.Context, u store.Upload, quota int64) error {
	return s.writeTx(ctx, func(tx pgx.Tx) error {
		if quota > 0 {
			if err := lockOwner(ctx, tx, lockUploads, u.Owner); err != nil {
				return wrap(err, "create upload of %s", u.Owner)
			}
			var used int64
			if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(size), 0) FROM uploads WHERE owner = $1`, u.Owner).Scan(&used); err != nil {
				return wrap(err, "upload usage of %s", u.Owner)
			}
			if used+u.Size > quota {
				return store.ErrQuotaExceeded
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO uploads (`+uploadColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
			u.ID, u.Owner, u.Filename, u.Size, u.ContentType, u.State, ms(u.Created), expiryMS(u.Expires))
		return wrap(err, "create upload %s of %s", u.ID, u.Owner)
	})
}

// Upload implements store.Uploads.
func (s *Store) Upload(ctx context.Context, id string) (store.Upload, error) {
	u, err := scanUpload(s.pool.QueryRow(ctx, `SELECT `+uploadColumns+` FROM uploads WHERE id = $1`, id))
	if err != nil {
		return store.Upload{}, wrap(err, "upload %s", id)
	}
	return u, nil
}

// ClaimUpload implements store.Uploads: one UPDATE decides which of
// concurrent claims wins.
func (s *Store) ClaimUpload(ctx context.Context, id string, now time.Time) (store.Upload, error) {
	u, err := scanUpload(s.pool.QueryRow(ctx, `UPDATE uploads SET state = $2 WHERE id = $1 AND state = $3
		AND (expires_at = 0 OR expires_at > $4) RETURNING `+uploadColumns, id, store.UploadReceiving, store.UploadPending, ms(now)))
	if err != nil {
		return store.Upload{}, wrap(err, "claim upload %s", id)
	}
	return u, nil
}

// CompleteUpload implements store.Uploads.
func (s *Store) CompleteUpload(ctx context.Context, id string, expires time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE uploads SET state = $2, expires_at = $3 WHERE id = $1 AND state = $4`,
		id, store.UploadDone, expiryMS(expires), store.UploadReceiving)
	return affected(tag, err, "complete upload %s", id)
}

// DeleteUpload implements store.Uploads.
func (s *Store) DeleteUpload(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM uploads WHERE id = $1`, id)
	return affected(tag, err, "delete upload %s", id)
}

// UploadUsage implements store.Uploads.
func (s *Store) UploadUsage(ctx context.Context, owner string) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(SUM(size), 0) FROM uploads WHERE owner = $1`, owner).Scan(&n)
	return n, wrap(err, "upload usage of %s", owner)
}

// ExpiredUploads implements store.Uploads.
func (s *Store) ExpiredUploads(ctx context.Context, now time.Time, limit int) ([]store.Upload, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("postgres: expired uploads: limit %d: %w", limit, store.ErrInvalid)
	}
	return s.uploads(ctx, `SELECT `+uploadColumns+` FROM uploads WHERE expires_at > 0 AND expires_at <= $1
		ORDER BY expires_at, id LIMIT $2`, ms(now), limit)
}

// OwnerUploads implements store.Uploads.
func (s *Store) OwnerUploads(ctx context.Context, owner string) ([]store.Upload, error) {
	return s.uploads(ctx, `SELECT `+uploadColumns+` FROM uploads WHERE owner = $1 ORDER BY created_at, id`, owner)
}

func (s *Store) uploads(ctx context.Context, query string, args ...any) ([]store.Upload, error) {
	rows, err := s.pool.Query(ctx, query, args...)
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
