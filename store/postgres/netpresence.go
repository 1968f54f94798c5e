package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parley-im/parley/store"
)

// SetNetworkPresence implements store.NetworkPresence; ErrNotFound if
// owner has no account (the foreign key). The row goes with the account
// (ON DELETE CASCADE).
func (s *Store) SetNetworkPresence(ctx context.Context, owner, remote string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO network_presence (owner, remote, since) VALUES ($1,$2,$3)
		ON CONFLICT (owner) DO UPDATE SET remote = excluded.remote, since = excluded.since`, owner, remote, ms(time.Now()))
	return wrap(err, "set network presence of %s", owner)
}

// ClearNetworkPresence implements store.NetworkPresence.
func (s *Store) ClearNetworkPresence(ctx context.Context, owner string) error {
	var exists bool
	err := s.pool.QueryRow(ctx, `WITH d AS (DELETE FROM network_presence WHERE owner = $1)
		SELECT EXISTS (SELECT 1 FROM users WHERE jid = $1)`, owner).Scan(&exists)
	if err == nil && !exists {
		err = pgx.ErrNoRows
	}
	return wrap(err, "clear network presence of %s", owner)
}

// NetworkPresence implements store.NetworkPresence.
func (s *Store) NetworkPresence(ctx context.Context, owner string) (store.NetworkPresenceLink, error) {
	l := store.NetworkPresenceLink{Owner: owner}
	var since int64
	err := s.pool.QueryRow(ctx, `SELECT remote, since FROM network_presence WHERE owner = $1`, owner).Scan(&l.Remote, &since)
	if err != nil {
		return l, wrap(err, "network presence of %s", owner)
	}
	l.Since = fromMS(since)
	return l, nil
}

// NetworkPresences implements store.NetworkPresence.
func (s *Store) NetworkPresences(ctx context.Context) ([]store.NetworkPresenceLink, error) {
	rows, err := s.pool.Query(ctx, `SELECT owner, remote, since FROM network_presence ORDER BY owner`)
	if err != nil {
		return nil, wrap(err, "list network presence")
	}
	defer rows.Close()
	var out []store.NetworkPresenceLink
	for rows.Next() {
		var l store.NetworkPresenceLink
		var since int64
		if err := rows.Scan(&l.Owner, &l.Remote, &since); err != nil {
			return nil, wrap(err, "list network presence")
		}
		l.Since = fromMS(since)
		out = append(out, l)
	}
	return out, wrap(rows.Err(), "list network presence")
}

var _ store.NetworkPresence = (*Store)(nil)
