package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/parley-im/parley/store"
)

// SetServedDomains implements store.Nodes.
func (s *Store) SetServedDomains(ctx context.Context, node string, domains []string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM served_domains WHERE node = ?`, node); err != nil {
			return wrap(err, "served domains of node %q", node)
		}
		for _, d := range domains {
			if _, err := tx.ExecContext(ctx, `INSERT INTO served_domains (node, domain) VALUES (?,?) ON CONFLICT DO NOTHING`, node, d); err != nil {
				return wrap(err, "served domains of node %q", node)
			}
		}
		return nil
	})
}

// ServedDomains implements store.Nodes.
func (s *Store) ServedDomains(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT domain FROM served_domains ORDER BY domain`)
	if err != nil {
		return nil, wrap(err, "served domains")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, wrap(err, "served domains")
		}
		out = append(out, d)
	}
	return out, wrap(rows.Err(), "served domains")
}

// NodeSlot implements store.Nodes.
func (s *Store) NodeSlot(ctx context.Context, node string) (int, error) {
	var slot int
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT slot FROM node_slots WHERE node = ?`, node).Scan(&slot)
		if !errors.Is(err, sql.ErrNoRows) {
			return wrap(err, "slot of node %q", node)
		}
		// The lowest free slot: 1 if it is free, else one above a taken
		// slot whose successor is free.
		var free sql.NullInt64
		err = tx.QueryRowContext(ctx, `SELECT MIN(s) FROM (
				SELECT 1 AS s WHERE NOT EXISTS (SELECT 1 FROM node_slots WHERE slot = 1)
				UNION ALL
				SELECT slot + 1 FROM node_slots a WHERE slot < ? AND NOT EXISTS (SELECT 1 FROM node_slots b WHERE b.slot = a.slot + 1))`,
			store.MaxNodeSlot).Scan(&free)
		if err != nil {
			return wrap(err, "slot of node %q", node)
		}
		if !free.Valid {
			return fmt.Errorf("sqlite: slot of node %q: all %d slots taken: %w", node, store.MaxNodeSlot, store.ErrQuotaExceeded)
		}
		slot = int(free.Int64)
		_, err = tx.ExecContext(ctx, `INSERT INTO node_slots (node, slot) VALUES (?,?)`, node, slot)
		return wrap(err, "slot of node %q", node)
	})
	return slot, err
}

// SharedSecret implements store.Nodes.
func (s *Store) SharedSecret(ctx context.Context, name string, candidate []byte) ([]byte, error) {
	var v []byte
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO shared_secrets (name, value) VALUES (?,?) ON CONFLICT DO NOTHING`, name, candidate); err != nil {
			return wrap(err, "shared secret %q", name)
		}
		return wrap(tx.QueryRowContext(ctx, `SELECT value FROM shared_secrets WHERE name = ?`, name).Scan(&v), "shared secret %q", name)
	})
	return v, err
}
