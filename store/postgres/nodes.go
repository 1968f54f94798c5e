package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/parley-im/parley/store"
)

// SetServedDomains implements store.Nodes.
func (s *Store) SetServedDomains(ctx context.Context, node string, domains []string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM served_domains WHERE node = $1`, node); err != nil {
			return err
		}
		if len(domains) == 0 {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO served_domains (node, domain) SELECT $1, d FROM unnest($2::text[]) d ON CONFLICT DO NOTHING`, node, domains)
		return err
	})
	return wrap(err, "served domains of node %q", node)
}

// ServedDomains implements store.Nodes.
func (s *Store) ServedDomains(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT domain FROM served_domains ORDER BY domain`)
	if err != nil {
		return nil, wrap(err, "served domains")
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if len(out) == 0 {
		out = nil
	}
	return out, wrap(err, "served domains")
}

// NodeSlot implements store.Nodes. Nodes starting together may pick the
// same free slot: the unique constraint refuses all but one, and the
// others pick again.
func (s *Store) NodeSlot(ctx context.Context, node string) (int, error) {
	for range 20 {
		var slot int
		err := s.pool.QueryRow(ctx, `SELECT slot FROM node_slots WHERE node = $1`, node).Scan(&slot)
		if err == nil {
			return slot, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return 0, wrap(err, "slot of node %q", node)
		}
		err = s.pool.QueryRow(ctx, `INSERT INTO node_slots (node, slot)
			SELECT $1, s FROM generate_series(1, $2::int) s
			WHERE NOT EXISTS (SELECT 1 FROM node_slots WHERE slot = s) ORDER BY s LIMIT 1
			ON CONFLICT (node) DO NOTHING RETURNING slot`, node, store.MaxNodeSlot).Scan(&slot)
		switch {
		case err == nil:
			return slot, nil
		case errors.Is(err, pgx.ErrNoRows):
			// The node got a slot meanwhile (read it), or none is free.
			var n int
			if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM node_slots`).Scan(&n); err != nil {
				return 0, wrap(err, "slot of node %q", node)
			}
			if n >= store.MaxNodeSlot {
				return 0, fmt.Errorf("postgres: slot of node %q: all %d slots taken: %w", node, store.MaxNodeSlot, store.ErrQuotaExceeded)
			}
		case sqlState(err) == codeUnique:
			// Another node took that slot at the same moment: again.
		default:
			return 0, wrap(err, "slot of node %q", node)
		}
	}
	return 0, fmt.Errorf("postgres: slot of node %q: too many nodes starting at once", node)
}

// SharedSecret implements store.Nodes.
func (s *Store) SharedSecret(ctx context.Context, name string, candidate []byte) ([]byte, error) {
	if _, err := s.pool.Exec(ctx, `INSERT INTO shared_secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING`, name, candidate); err != nil {
		return nil, wrap(err, "shared secret %q", name)
	}
	var v []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM shared_secrets WHERE name = $1`, name).Scan(&v)
	return v, wrap(err, "shared secret %q", name)
}
