package sqlite

import (
	"context"
	"database/sql"
)

// VCard implements store.VCards.
func (s *Store) VCard(ctx context.Context, owner string) ([]byte, error) {
	ctx, err := uncancelled(ctx) // a login's first presence reads it (photo hash)
	if err != nil {
		return nil, wrap(err, "vcard of %s", owner)
	}
	var v []byte
	err = s.rq.QueryRowContext(ctx, `SELECT vcard FROM vcards WHERE owner = ?`, owner).Scan(&v)
	if err != nil {
		return nil, wrap(err, "vcard of %s", owner)
	}
	return v, nil
}

// PutVCard implements store.VCards; ErrNotFound if owner has no account,
// also when deleting.
func (s *Store) PutVCard(ctx context.Context, owner string, vcard []byte) error {
	if len(vcard) > 0 {
		_, err := s.w.ExecContext(ctx, `INSERT INTO vcards (owner, vcard) VALUES (?,?)
			ON CONFLICT (owner) DO UPDATE SET vcard = excluded.vcard`, owner, vcard)
		return wrap(err, "put vcard of %s", owner)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE jid = ?`, owner).Scan(&one); err != nil {
			return wrap(err, "delete vcard of %s", owner)
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM vcards WHERE owner = ?`, owner)
		return wrap(err, "delete vcard of %s", owner)
	})
}
