package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parley-im/parley/store"
)

// PutSubscriptionRequest implements store.Presence; ErrNotFound if owner
// has no account. A replaced request keeps its seq, so its place.
func (s *Store) PutSubscriptionRequest(ctx context.Context, owner string, req store.SubscriptionRequest) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO subscription_requests (owner, from_jid, stanza, created_at) VALUES ($1,$2,$3,$4)
		ON CONFLICT (owner, from_jid) DO UPDATE SET stanza = excluded.stanza`,
		owner, req.From, blob(req.Stanza), ms(time.Now()))
	return wrap(err, "put subscription request from %s to %s", req.From, owner)
}

// DeleteSubscriptionRequest implements store.Presence.
func (s *Store) DeleteSubscriptionRequest(ctx context.Context, owner, from string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM subscription_requests WHERE owner = $1 AND from_jid = $2`, owner, from)
	return wrap(err, "delete subscription request from %s to %s", from, owner)
}

// SubscriptionRequests implements store.Presence, in order of arrival.
func (s *Store) SubscriptionRequests(ctx context.Context, owner string) ([]store.SubscriptionRequest, error) {
	rows, err := s.pool.Query(ctx, `SELECT from_jid, stanza FROM subscription_requests WHERE owner = $1 ORDER BY seq`, owner)
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
	_, err := s.pool.Exec(ctx, `INSERT INTO last_presence (owner, stanza, at) VALUES ($1,$2,$3)
		ON CONFLICT (owner) DO UPDATE SET stanza = excluded.stanza, at = excluded.at`, owner, blob(stanza), ms(at))
	return wrap(err, "set last presence of %s", owner)
}

// LastPresences implements store.Presence.
func (s *Store) LastPresences(ctx context.Context, owners []string) (map[string]store.LastPresence, error) {
	out := make(map[string]store.LastPresence)
	if len(owners) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT owner, stanza, at FROM last_presence WHERE owner = ANY($1::text[])`, owners)
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
	var b []byte
	var at int64
	err := s.pool.QueryRow(ctx, `SELECT stanza, at FROM last_presence WHERE owner = $1`, owner).Scan(&b, &at)
	if err != nil {
		return nil, time.Time{}, wrap(err, "last presence of %s", owner)
	}
	return b, fromMS(at), nil
}

// VCard implements store.VCards.
func (s *Store) VCard(ctx context.Context, owner string) ([]byte, error) {
	var v []byte
	err := s.pool.QueryRow(ctx, `SELECT vcard FROM vcards WHERE owner = $1`, owner).Scan(&v)
	if err != nil {
		return nil, wrap(err, "vcard of %s", owner)
	}
	return v, nil
}

// PutVCard implements store.VCards; ErrNotFound if owner has no account,
// also when deleting.
func (s *Store) PutVCard(ctx context.Context, owner string, vcard []byte) error {
	if len(vcard) > 0 {
		_, err := s.pool.Exec(ctx, `INSERT INTO vcards (owner, vcard) VALUES ($1,$2)
			ON CONFLICT (owner) DO UPDATE SET vcard = excluded.vcard`, owner, vcard)
		return wrap(err, "put vcard of %s", owner)
	}
	var exists bool
	err := s.pool.QueryRow(ctx, `WITH d AS (DELETE FROM vcards WHERE owner = $1)
		SELECT EXISTS (SELECT 1 FROM users WHERE jid = $1)`, owner).Scan(&exists)
	if err == nil && !exists {
		return wrap(pgx.ErrNoRows, "delete vcard of %s", owner)
	}
	return wrap(err, "delete vcard of %s", owner)
}
