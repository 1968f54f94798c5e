package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/parley-im/parley/store"
)

// StoreOffline implements store.Offline; ErrNotFound if owner has no
// account. The usage check and the insert share one write transaction,
// which holds the database write lock from its start, so concurrent
// stores, from this process or another, cannot pass a limit. The usage
// row (00021_storage_usage.sql) is kept by triggers.
func (s *Store) StoreOffline(ctx context.Context, owner string, stanza []byte, limits store.OfflineLimits) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if limits.Messages > 0 || limits.Bytes > 0 {
			var u store.Usage
			err := tx.QueryRowContext(ctx, `SELECT messages, bytes FROM offline_usage WHERE owner = ?`, owner).Scan(&u.Messages, &u.Bytes)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return wrap(err, "offline usage of %s", owner)
			}
			if overLimits(u, len(stanza), limits) {
				return store.ErrQuotaExceeded
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO offline_messages (owner, stanza, stored_at) VALUES (?,?,?)`,
			owner, blob(stanza), ms(time.Now()))
		return wrap(err, "store offline message for %s", owner)
	})
}

// overLimits reports whether one more stanza of size n takes u past limits.
func overLimits(u store.Usage, n int, limits store.OfflineLimits) bool {
	return (limits.Messages > 0 && u.Messages+1 > int64(limits.Messages)) ||
		(limits.Bytes > 0 && u.Bytes+int64(n) > limits.Bytes)
}

// OfflineMessages implements store.Offline. Ids come from AUTOINCREMENT
// and are never reused, so they give the order of arrival, and deleting
// by an id read earlier can never hit a newer message.
func (s *Store) OfflineMessages(ctx context.Context, owner string) ([]store.OfflineMessage, error) {
	return s.OfflinePage(ctx, owner, 0, 0, 0)
}

// OfflinePage implements store.Offline, through the (owner, id) index.
func (s *Store) OfflinePage(ctx context.Context, owner string, afterID int64, max, maxBytes int) ([]store.OfflineMessage, error) {
	ctx, err := uncancelled(ctx)
	if err != nil {
		return nil, wrap(err, "offline messages of %s", owner)
	}
	limit := int64(-1) // SQLite: no limit
	if max > 0 {
		limit = int64(max)
	}
	rows, err := s.rq.QueryContext(ctx, `SELECT id, stanza, stored_at FROM offline_messages WHERE owner = ? AND id > ? ORDER BY id LIMIT ?`,
		owner, afterID, limit)
	if err != nil {
		return nil, wrap(err, "offline messages of %s", owner)
	}
	defer rows.Close()
	var out []store.OfflineMessage
	size := 0
	for rows.Next() {
		var m store.OfflineMessage
		var at int64
		if err := rows.Scan(&m.ID, &m.Stanza, &at); err != nil {
			return nil, wrap(err, "offline messages of %s", owner)
		}
		if maxBytes > 0 && len(out) > 0 && size+len(m.Stanza) > maxBytes {
			break
		}
		m.Stored = fromMS(at)
		size += len(m.Stanza)
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
	u, err := s.OfflineUsage(ctx, owner)
	return int(u.Messages), err
}

// OfflineUsage implements store.Offline: one row read, whatever the
// mailbox holds.
func (s *Store) OfflineUsage(ctx context.Context, owner string) (store.Usage, error) {
	return s.usage(ctx, "offline_usage", owner)
}

// usage reads a row of offline_usage or archive_usage (a constant, never
// input); no row is zero usage.
func (s *Store) usage(ctx context.Context, table, owner string) (store.Usage, error) {
	var u store.Usage
	err := s.rq.QueryRowContext(ctx, `SELECT messages, bytes FROM `+table+` WHERE owner = ?`, owner).Scan(&u.Messages, &u.Bytes)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Usage{}, nil
	}
	return u, wrap(err, "%s of %s", table, owner)
}
