package sqlite

import (
	"context"

	"github.com/parley-im/parley/store"
)

// PutPush implements store.Pushes; ErrNotFound (the foreign key) if
// owner has no account.
func (s *Store) PutPush(ctx context.Context, owner string, r store.PushRegistration) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO push_registrations (owner, service, node, resource, options) VALUES (?,?,?,?,?)
		ON CONFLICT (owner, service, node) DO UPDATE SET resource = excluded.resource, options = excluded.options`,
		owner, r.Service, r.Node, r.Resource, blob(r.Options))
	return wrap(err, "put push registration of %s", owner)
}

// DeletePush implements store.Pushes.
func (s *Store) DeletePush(ctx context.Context, owner, service, node string) (int, error) {
	q, args := `DELETE FROM push_registrations WHERE owner = ? AND service = ?`, []any{owner, service}
	if node != "" {
		q, args = q+` AND node = ?`, append(args, node)
	}
	res, err := s.w.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, wrap(err, "delete push registration of %s", owner)
	}
	n, err := res.RowsAffected()
	return int(n), wrap(err, "delete push registration of %s", owner)
}

// PushRegistrations implements store.Pushes.
func (s *Store) PushRegistrations(ctx context.Context, owner string) ([]store.PushRegistration, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT service, node, resource, options FROM push_registrations
		WHERE owner = ? ORDER BY service, node`, owner)
	if err != nil {
		return nil, wrap(err, "push registrations of %s", owner)
	}
	defer rows.Close()
	var out []store.PushRegistration
	for rows.Next() {
		var r store.PushRegistration
		if err := rows.Scan(&r.Service, &r.Node, &r.Resource, &r.Options); err != nil {
			return nil, wrap(err, "push registrations of %s", owner)
		}
		if len(r.Options) == 0 {
			r.Options = nil
		}
		out = append(out, r)
	}
	return out, wrap(rows.Err(), "push registrations of %s", owner)
}
