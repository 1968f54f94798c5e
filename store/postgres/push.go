package postgres

import (
	"context"

	"github.com/parley-im/parley/store"
)

// PutPush implements store.Pushes; ErrNotFound (the foreign key) if
// owner has no account.
func (s *Store) PutPush(ctx context.Context, owner string, r store.PushRegistration) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO push_registrations (owner, service, node, resource, options) VALUES ($1,$2,$3,$4,$5)
		ON CONFLICT (owner, service, node) DO UPDATE SET resource = excluded.resource, options = excluded.options`,
		owner, r.Service, r.Node, r.Resource, blob(r.Options))
	return wrap(err, "put push registration of %s", owner)
}

// DeletePush implements store.Pushes.
func (s *Store) DeletePush(ctx context.Context, owner, service, node string) (int, error) {
	q, args := `DELETE FROM push_registrations WHERE owner = $1 AND service = $2`, []any{owner, service}
	if node != "" {
		q, args = q+` AND node = $3`, append(args, node)
	}
	tag, err := s.pool.Exec(ctx, q, args...)
	if err != nil {
		return 0, wrap(err, "delete push registration of %s", owner)
	}
	return int(tag.RowsAffected()), nil
}

// PushRegistrations implements store.Pushes.
func (s *Store) PushRegistrations(ctx context.Context, owner string) ([]store.PushRegistration, error) {
	rows, err := s.pool.Query(ctx, `SELECT service, node, resource, options FROM push_registrations
		WHERE owner = $1 ORDER BY service, node`, owner)
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
