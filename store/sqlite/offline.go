package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/parley-im/parley/store"
)

// StoreOffline implements store.Offline; ErrNotFound if owner has no
// account. The count and the insert share one write transaction, which
// holds the database write lock from its start, so concurrent stores,
// from this process or another, cannot pass max.
func (s *Store) StoreOffline(ctx context.Context, owner string, stanza []byte, max int) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if max > 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM offline_messages WHERE owner = ?`, owner).Scan(&n); err != nil {
				return wrap(err, "count offline messages of %s", owner)
			}
			if n >= max {
				return store.ErrQuotaExceeded
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO offline_messages (owner, stanza, stored_at) VALUES (?,?,?)`,
			owner, blob(stanza), ms(time.Now()))
		return wrap(err, "store offline message for %s", owner)
	})
}

// OfflineMessages implements store.Offline. Ids come from AUTOINCREMENT
// and are never reused, so they give the order of arrival, and deleting
// by an id read earlier can never hit a newer message.
func (s *Store) OfflineMessages(ctx context.Context, owner string) ([]store.OfflineMessage, error) {
	rows, err := s.rq.QueryContext(ctx, `SELECT id, stanza, stored_at FROM offline_messages WHERE owner = ? ORDER BY id`, owner)
	if err != nil {
		return nil, wrap(err, "offline messages of %s", owner)
	}
	defer rows.Close()
	var out []store.OfflineMessage
	for rows.Next() {
		var m store.OfflineMessage
		var at int64
		if err := rows.Scan(&m.ID, &m.Stanza, &at); err != nil {
			return nil, wrap(err, "offline messages of %s", owner)
		}
		m.Stored = fromMS(at)
		out = append(out, m)
	}
	return out, wrap(rows.Err(), "offline messages of %s", owner)
}

// DeleteOffline implements store.Offline. Ids that are absent or belong
// to another owner are ignored.
func (s *Store) DeleteOffline(ctx context.Context, owner string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `DELETE FROM offline_messages WHERE owner = ? AND id = ?`)
		if err != nil {
			return wrap(err, "delete offline messages of %s", owner)
		}
		defer stmt.Close()
		for _, id := range ids {
			if _, err := stmt.ExecContext(ctx, owner, id); err != nil {
				return wrap(err, "delete offline message %d of %s", id, owner)
			}
		}
		return nil
	})
}

// CountOffline implements store.Offline.
func (s *Store) CountOffline(ctx context.Context, owner string) (int, error) {
	var n int
	err := s.rq.QueryRowContext(ctx, `SELECT COUNT(*) FROM offline_messages WHERE owner = ?`, owner).Scan(&n)
	return n, wrap(err, "count offline messages of %s", owner)
}
