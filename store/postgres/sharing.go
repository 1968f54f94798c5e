package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// SetPresenceSharing implements store.PresenceSharing; ErrNotFound if
// owner has no account (the foreign key, or the check beside the
// delete). The row goes with the account (ON DELETE CASCADE).
func (s *Store) SetPresenceSharing(ctx context.Context, owner string, on bool) error {
	if on {
		_, err := s.pool.Exec(ctx, `INSERT INTO presence_sharing (owner, since) VALUES ($1,$2)
			ON CONFLICT (owner) DO NOTHING`, owner, ms(time.Now()))
		return wrap(err, "share presence of %s", owner)
	}
	var exists bool
	err := s.pool.QueryRow(ctx, `WITH d AS (DELETE FROM presence_sharing WHERE owner = $1)
		SELECT EXISTS (SELECT 1 FROM users WHERE jid = $1)`, owner).Scan(&exists)
	if err == nil && !exists {
		err = pgx.ErrNoRows
	}
	return wrap(err, "stop sharing presence of %s", owner)
}

// PresenceShared implements store.PresenceSharing.
func (s *Store) PresenceShared(ctx context.Context, owner string) (bool, error) {
	var on bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM presence_sharing WHERE owner = $1)`, owner).Scan(&on)
	return on, wrap(err, "presence sharing of %s", owner)
}
