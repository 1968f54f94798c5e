package sqlite

import (
	"context"
	"time"

	"github.com/parley-im/parley/store"
)

// SetPresenceSharing implements store.PresenceSharing; ErrNotFound if
// owner has no account (the foreign key). The row goes with the account
// (ON DELETE CASCADE).
func (s *Store) SetPresenceSharing(ctx context.Context, owner string, on bool) error {
	if !on {
		// Opting out of an absent account must still say so.
		if _, err := s.User(ctx, owner); err != nil {
			return err
		}
		_, err := s.w.ExecContext(ctx, `DELETE FROM presence_sharing WHERE owner = ?`, owner)
		return wrap(err, "stop sharing presence of %s", owner)
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO presence_sharing (owner, since) VALUES (?,?)
		ON CONFLICT (owner) DO NOTHING`, owner, ms(time.Now()))
	return wrap(err, "share presence of %s", owner)
}

// PresenceShared implements store.PresenceSharing.
func (s *Store) PresenceShared(ctx context.Context, owner string) (bool, error) {
	var n int
	err := s.rq.QueryRowContext(ctx, `SELECT count(*) FROM presence_sharing WHERE owner = ?`, owner).Scan(&n)
	if err != nil {
		return false, wrap(err, "presence sharing of %s", owner)
	}
	return n > 0, nil
}

var _ store.PresenceSharing = (*Store)(nil)
