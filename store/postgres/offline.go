package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/parley-im/parley/store"
)

// Advisory lock classes (the first key of pg_advisory_xact_lock(int, int)):
// each serializes one kind of read-then-write; the second key is a
// hash of what it is about. A hash collision only makes two owners take
// turns.
const (
	lockOffline = 1 // StoreOffline's count against the quota, per owner
	lockArchive = 2 // moving an archive table's id sequence (AppendArchiveBatch)
)

// StoreOffline implements store.Offline; ErrNotFound if owner has no
// account. With a quota, the owner's advisory lock and the insert go as
// one pipelined batch (one transaction): the insert, a statement after
// the lock, counts every message committed before it, so concurrent
// stores from any number of processes cannot pass max.
func (s *Store) StoreOffline(ctx context.Context, owner string, stanza []byte, max int) error {
	now := ms(time.Now())
	if max <= 0 {
		_, err := s.pool.Exec(ctx, `INSERT INTO offline_messages (owner, stanza, stored_at) VALUES ($1,$2,$3)`, owner, blob(stanza), now)
		return wrap(err, "store offline message for %s", owner)
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, lockOffline, owner)
	stored := false
	b.Queue(`INSERT INTO offline_messages (owner, stanza, stored_at) SELECT $1, $2, $3
		WHERE (SELECT count(*) FROM offline_messages WHERE owner = $1) < $4`, owner, blob(stanza), now, max).
		Exec(func(tag pgconn.CommandTag) error { stored = tag.RowsAffected() == 1; return nil })
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return wrap(err, "store offline message for %s", owner)
	}
	if !stored {
		return store.ErrQuotaExceeded
	}
	return nil
}

// OfflineMessages implements store.Offline. Ids come from an identity
// sequence, never reused, so they give the order of arrival.
func (s *Store) OfflineMessages(ctx context.Context, owner string) ([]store.OfflineMessage, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, stanza, stored_at FROM offline_messages WHERE owner = $1 ORDER BY id`, owner)
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

// DeleteOffline implements store.Offline in one statement. Ids that are
// absent or belong to another owner are ignored.
func (s *Store) DeleteOffline(ctx context.Context, owner string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM offline_messages WHERE owner = $1 AND id = ANY($2)`, owner, ids)
	return wrap(err, "delete offline messages of %s", owner)
}

// CountOffline implements store.Offline.
func (s *Store) CountOffline(ctx context.Context, owner string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM offline_messages WHERE owner = $1`, owner).Scan(&n)
	return n, wrap(err, "count offline messages of %s", owner)
}
