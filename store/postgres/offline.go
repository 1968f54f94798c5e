package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
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
// account. With a limit, the owner's advisory lock and the insert go as
// one pipelined batch (one transaction): the insert, a statement after
// the lock, checks the owner's offline_usage row (kept by triggers,
// 00021_storage_usage.sql) with every message committed before it
// counted, so concurrent stores from any number of processes cannot
// pass a limit.
func (s *Store) StoreOffline(ctx context.Context, owner string, stanza []byte, limits store.OfflineLimits) error {
	now := ms(time.Now())
	if limits.Messages <= 0 && limits.Bytes <= 0 {
		_, err := s.pool.Exec(ctx, `INSERT INTO offline_messages (owner, stanza, stored_at) VALUES ($1,$2,$3)`, owner, blob(stanza), now)
		return wrap(err, "store offline message for %s", owner)
	}
	maxMessages, maxBytes := int64(limits.Messages), limits.Bytes
	if maxMessages <= 0 {
		maxMessages = math.MaxInt64
	}
	if maxBytes <= 0 {
		maxBytes = math.MaxInt64
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, lockOffline, owner)
	stored := false
	b.Queue(`INSERT INTO offline_messages (owner, stanza, stored_at) SELECT $1, $2::bytea, $3
		WHERE NOT EXISTS (SELECT 1 FROM offline_usage WHERE owner = $1 AND (messages >= $4::bigint OR bytes > $5::bigint - octet_length($2::bytea)))
		AND octet_length($2::bytea) <= $5::bigint`, owner, blob(stanza), now, maxMessages, maxBytes).
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
	return s.OfflinePage(ctx, owner, 0, 0, 0)
}

// OfflinePage implements store.Offline. The byte limit is applied by
// PostgreSQL (a running sum), so a page of large messages does not come
// over the wire only to be cut.
func (s *Store) OfflinePage(ctx context.Context, owner string, afterID int64, max, maxBytes int) ([]store.OfflineMessage, error) {
	limit, budget := int64(math.MaxInt64), int64(math.MaxInt64)
	if max > 0 {
		limit = int64(max)
	}
	if maxBytes > 0 {
		budget = int64(maxBytes)
	}
	rows, err := s.pool.Query(ctx, `SELECT id, stanza, stored_at FROM (
		SELECT id, stanza, stored_at, row_number() OVER w AS n, sum(octet_length(stanza)) OVER w AS size
		FROM offline_messages WHERE owner = $1 AND id > $2 WINDOW w AS (ORDER BY id) ORDER BY id LIMIT $3) p
		WHERE n = 1 OR size <= $4 ORDER BY id`, owner, afterID, limit, budget)
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
	u, err := s.OfflineUsage(ctx, owner)
	return int(u.Messages), err
}

// OfflineUsage implements store.Offline: one row read.
func (s *Store) OfflineUsage(ctx context.Context, owner string) (store.Usage, error) {
	return s.usage(ctx, "offline_usage", owner)
}

// ArchiveUsage implements store.Archive: one row read.
func (s *Store) ArchiveUsage(ctx context.Context, owner string) (store.Usage, error) {
	return s.usage(ctx, "archive_usage", owner)
}

// DerivedTables are the tables the store computes from others: what
// each user stores (00021_storage_usage.sql). A copy of the database
// (parley migrate) leaves them out and calls Recount.
var DerivedTables = []string{"offline_usage", "archive_usage", "archive_usage_state"}

// Recount fills the derived tables from the rows they count, in tx: for
// a database whose rows were copied in (triggers may have counted some
// of them already).
func Recount(ctx context.Context, tx pgx.Tx) error {
	for _, q := range []string{
		`DELETE FROM offline_usage`,
		`INSERT INTO offline_usage (owner, messages, bytes)
			SELECT owner, count(*), sum(octet_length(stanza)) FROM offline_messages GROUP BY owner`,
		`DELETE FROM archive_usage`,
		`INSERT INTO archive_usage (owner, messages, bytes)
			SELECT owner, count(*), sum(octet_length(stanza)) FROM archive GROUP BY owner`,
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("postgres: recount usage: %w", err)
		}
	}
	return nil
}

// usage reads a row of offline_usage or archive_usage (a constant, never
// input); no row is zero usage.
func (s *Store) usage(ctx context.Context, table, owner string) (store.Usage, error) {
	var u store.Usage
	err := s.pool.QueryRow(ctx, `SELECT messages, bytes FROM `+table+` WHERE owner = $1`, owner).Scan(&u.Messages, &u.Bytes)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Usage{}, nil
	}
	return u, wrap(err, "%s of %s", table, owner)
}
