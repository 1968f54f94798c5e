package sqlite

import (
	"context"
	"time"

	"github.com/parley-im/parley/store"
)

// PutWebSession implements store.WebSessions.
func (s *Store) PutWebSession(ctx context.Context, ws store.WebSession) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO web_sessions (id, owner, created, last_seen, expires, addr, agent)
		VALUES (?,?,?,?,?,?,?)`, ws.ID, ws.Owner, ms(ws.Created), ms(ws.LastSeen), ms(ws.Expires), ws.Addr, ws.Agent)
	return wrap(err, "put web session of %s", ws.Owner)
}

// WebSession implements store.WebSessions.
func (s *Store) WebSession(ctx context.Context, id string) (store.WebSession, error) {
	ws := store.WebSession{ID: id}
	var created, seen, expires int64
	err := s.rq.QueryRowContext(ctx, `SELECT owner, created, last_seen, expires, addr, agent FROM web_sessions WHERE id = ?`, id).
		Scan(&ws.Owner, &created, &seen, &expires, &ws.Addr, &ws.Agent)
	if err != nil {
		return store.WebSession{}, wrap(err, "web session")
	}
	ws.Created, ws.LastSeen, ws.Expires = fromMS(created), fromMS(seen), fromMS(expires)
	return ws, nil
}

// TouchWebSession implements store.WebSessions.
func (s *Store) TouchWebSession(ctx context.Context, id string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE web_sessions SET last_seen = ? WHERE id = ?`, ms(at), id)
	return affected(res, err, "touch web session")
}

// DeleteWebSession implements store.WebSessions.
func (s *Store) DeleteWebSession(ctx context.Context, owner, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM web_sessions WHERE id = ? AND owner = ?`, id, owner)
	return affected(res, err, "delete web session of %s", owner)
}

// WebSessions implements store.WebSessions.
func (s *Store) WebSessions(ctx context.Context, owner string) ([]store.WebSession, error) {
	rows, err := s.rq.QueryContext(ctx, `SELECT id, created, last_seen, expires, addr, agent FROM web_sessions
		WHERE owner = ? ORDER BY created DESC, id`, owner)
	if err != nil {
		return nil, wrap(err, "web sessions of %s", owner)
	}
	defer rows.Close()
	var out []store.WebSession
	for rows.Next() {
		ws := store.WebSession{Owner: owner}
		var created, seen, expires int64
		if err := rows.Scan(&ws.ID, &created, &seen, &expires, &ws.Addr, &ws.Agent); err != nil {
			return nil, wrap(err, "web sessions of %s", owner)
		}
		ws.Created, ws.LastSeen, ws.Expires = fromMS(created), fromMS(seen), fromMS(expires)
		out = append(out, ws)
	}
	return out, wrap(rows.Err(), "web sessions of %s", owner)
}

// DeleteWebSessions implements store.WebSessions.
func (s *Store) DeleteWebSessions(ctx context.Context, owner string) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM web_sessions WHERE owner = ?`, owner)
	if err != nil {
		return 0, wrap(err, "delete web sessions of %s", owner)
	}
	n, err := res.RowsAffected()
	return n, wrap(err, "delete web sessions of %s", owner)
}

// PruneWebSessions implements store.WebSessions.
func (s *Store) PruneWebSessions(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM web_sessions WHERE expires < ?`, ms(before))
	if err != nil {
		return 0, wrap(err, "prune web sessions")
	}
	n, err := res.RowsAffected()
	return n, wrap(err, "prune web sessions")
}

var _ store.WebSessions = (*Store)(nil)
