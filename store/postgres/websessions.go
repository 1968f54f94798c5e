package postgres

import (
	"context"
	"time"

	"github.com/parley-im/parley/store"
)

// PutWebSession implements store.WebSessions.
func (s *Store) PutWebSession(ctx context.Context, ws store.WebSession) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO web_sessions (id, owner, created, last_seen, expires, addr, agent)
		VALUES ($1,$2,$3,$4,$5,$6,$7)`, ws.ID, ws.Owner, ms(ws.Created), ms(ws.LastSeen), ms(ws.Expires), ws.Addr, ws.Agent)
	return wrap(err, "put web session of %s", ws.Owner)
}

// WebSession implements store.WebSessions.
func (s *Store) WebSession(ctx context.Context, id string) (store.WebSession, error) {
	ws := store.WebSession{ID: id}
	var created, seen, expires int64
	err := s.pool.QueryRow(ctx, `SELECT owner, created, last_seen, expires, addr, agent FROM web_sessions WHERE id = $1`, id).
		Scan(&ws.Owner, &created, &seen, &expires, &ws.Addr, &ws.Agent)
	if err != nil {
		return store.WebSession{}, wrap(err, "web session")
	}
	ws.Created, ws.LastSeen, ws.Expires = fromMS(created), fromMS(seen), fromMS(expires)
	return ws, nil
}

// TouchWebSession implements store.WebSessions.
func (s *Store) TouchWebSession(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE web_sessions SET last_seen = $1 WHERE id = $2`, ms(at), id)
	return affected(tag, err, "touch web session")
}

// DeleteWebSession implements store.WebSessions.
func (s *Store) DeleteWebSession(ctx context.Context, owner, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM web_sessions WHERE id = $1 AND owner = $2`, id, owner)
	return affected(tag, err, "delete web session of %s", owner)
}

// WebSessions implements store.WebSessions.
func (s *Store) WebSessions(ctx context.Context, owner string) ([]store.WebSession, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, created, last_seen, expires, addr, agent FROM web_sessions
		WHERE owner = $1 ORDER BY created DESC, id`, owner)
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
	tag, err := s.pool.Exec(ctx, `DELETE FROM web_sessions WHERE owner = $1`, owner)
	return tag.RowsAffected(), wrap(err, "delete web sessions of %s", owner)
}

// PruneWebSessions implements store.WebSessions.
func (s *Store) PruneWebSessions(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM web_sessions WHERE expires < $1`, ms(before))
	return tag.RowsAffected(), wrap(err, "prune web sessions")
}

var _ store.WebSessions = (*Store)(nil)
