package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/parley-im/parley/store"
)

// PutSubscriptionRequest implements store.Presence; ErrNotFound if owner
// has no account. A replaced request keeps its place in the order.
func (s *Store) PutSubscriptionRequest(ctx context.Context, owner string, req store.SubscriptionRequest) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO subscription_requests (owner, from_jid, stanza, created_at) VALUES (?,?,?,?)
		ON CONFLICT (owner, from_jid) DO UPDATE SET stanza = excluded.stanza`,
		owner, req.From, blob(req.Stanza), ms(time.Now()))
	return wrap(err, "put subscription request from %s to %s", req.From, owner)
}

// DeleteSubscriptionRequest implements store.Presence.
func (s *Store) DeleteSubscriptionRequest(ctx context.Context, owner, from string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM subscription_requests WHERE owner = ? AND from_jid = ?`, owner, from)
	return wrap(err, "delete subscription request from %s to %s", from, owner)
}

// SubscriptionRequests implements store.Presence. Requests stored within
// the same millisecond keep their insertion order through the rowid
// (SQLite-specific: it grows with each insert and an upsert keeps it).
func (s *Store) SubscriptionRequests(ctx context.Context, owner string) ([]store.SubscriptionRequest, error) {
	ctx, err := uncancelled(ctx)
	if err != nil {
		return nil, wrap(err, "subscription requests to %s", owner)
	}
	rows, err := s.rq.QueryContext(ctx, `SELECT from_jid, stanza FROM subscription_requests WHERE owner = ?
		ORDER BY created_at, rowid`, owner)
	if err != nil {
		return nil, wrap(err, "subscription requests to %s", owner)
	}
	defer rows.Close()
	var out []store.SubscriptionRequest
	for rows.Next() {
		var r store.SubscriptionRequest
		if err := rows.Scan(&r.From, &r.Stanza); err != nil {
			return nil, wrap(err, "subscription requests to %s", owner)
		}
		out = append(out, r)
	}
	return out, wrap(rows.Err(), "subscription requests to %s", owner)
}

// SetLastPresence implements store.Presence; ErrNotFound if owner has no
// account.
func (s *Store) SetLastPresence(ctx context.Context, owner string, stanza []byte, at time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO last_presence (owner, stanza, at) VALUES (?,?,?)
		ON CONFLICT (owner) DO UPDATE SET stanza = excluded.stanza, at = excluded.at`, owner, blob(stanza), ms(at))
	return wrap(err, "set last presence of %s", owner)
}

// LastPresences implements store.Presence. The owners go in as one
// JSON array read back with json_each: one prepared statement whatever
// their number.
func (s *Store) LastPresences(ctx context.Context, owners []string) (map[string]store.LastPresence, error) {
	ctx, err := uncancelled(ctx)
	if err != nil {
		return nil, wrap(err, "last presences")
	}
	out := make(map[string]store.LastPresence)
	if len(owners) == 0 {
		return out, nil
	}
	list, err := json.Marshal(owners)
	if err != nil {
		return nil, fmt.Errorf("sqlite: last presences: %w", err)
	}
	rows, err := s.rq.QueryContext(ctx, `SELECT owner, stanza, at FROM last_presence WHERE owner IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return nil, wrap(err, "last presences")
	}
	defer rows.Close()
	for rows.Next() {
		var owner string
		var l store.LastPresence
		var at int64
		if err := rows.Scan(&owner, &l.Stanza, &at); err != nil {
			return nil, wrap(err, "last presences")
		}
		l.At = fromMS(at)
		out[owner] = l
	}
	return out, wrap(rows.Err(), "last presences")
}

// LastPresence implements store.Presence.
func (s *Store) LastPresence(ctx context.Context, owner string) ([]byte, time.Time, error) {
	ctx, err := uncancelled(ctx)
	if err != nil {
		return nil, time.Time{}, wrap(err, "last presence of %s", owner)
	}
	var b []byte
	var at int64
	err = s.rq.QueryRowContext(ctx, `SELECT stanza, at FROM last_presence WHERE owner = ?`, owner).Scan(&b, &at)
	if err != nil {
		return nil, time.Time{}, wrap(err, "last presence of %s", owner)
	}
	return b, fromMS(at), nil
}
