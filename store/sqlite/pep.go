package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/parley-im/parley/store"
)

// PEPNodes implements store.PEP.
func (s *Store) PEPNodes(ctx context.Context, owner string) ([]store.PEPNode, error) {
	rows, err := s.rq.QueryContext(ctx, `SELECT node, config FROM pep_nodes WHERE owner = ? ORDER BY node`, owner)
	if err != nil {
		return nil, wrap(err, "pep nodes of %s", owner)
	}
	defer rows.Close()
	var out []store.PEPNode
	for rows.Next() {
		var n store.PEPNode
		if err := rows.Scan(&n.Node, &n.Config); err != nil {
			return nil, wrap(err, "pep nodes of %s", owner)
		}
		out = append(out, n)
	}
	return out, wrap(rows.Err(), "pep nodes of %s", owner)
}

// PEPNode implements store.PEP.
func (s *Store) PEPNode(ctx context.Context, owner, node string) (store.PEPNode, error) {
	n := store.PEPNode{Node: node}
	err := s.rq.QueryRowContext(ctx, `SELECT config FROM pep_nodes WHERE owner = ? AND node = ?`, owner, node).Scan(&n.Config)
	if err != nil {
		return store.PEPNode{}, wrap(err, "pep node %s of %s", node, owner)
	}
	return n, nil
}

// CreatePEPNode implements store.PEP: the count and the insert share
// one write transaction, so concurrent creations cannot pass maxNodes.
func (s *Store) CreatePEPNode(ctx context.Context, owner string, n store.PEPNode, maxNodes int) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if maxNodes > 0 {
			var count int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pep_nodes WHERE owner = ?`, owner).Scan(&count); err != nil {
				return wrap(err, "count pep nodes of %s", owner)
			}
			if count >= maxNodes {
				var one int
				err := tx.QueryRowContext(ctx, `SELECT 1 FROM pep_nodes WHERE owner = ? AND node = ?`, owner, n.Node).Scan(&one)
				if err == nil {
					return fmt.Errorf("sqlite: create pep node %s of %s: %w", n.Node, owner, store.ErrExists)
				}
				return store.ErrQuotaExceeded
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO pep_nodes (owner, node, config) VALUES (?,?,?)`, owner, n.Node, blob(n.Config))
		return wrap(err, "create pep node %s of %s", n.Node, owner)
	})
}

// ConfigurePEPNode implements store.PEP.
func (s *Store) ConfigurePEPNode(ctx context.Context, owner, node string, config []byte, maxItems int) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE pep_nodes SET config = ? WHERE owner = ? AND node = ?`, blob(config), owner, node)
		if err := affected(res, err, "configure pep node %s of %s", node, owner); err != nil {
			return err
		}
		return trimPEPItems(ctx, tx, owner, node, maxItems)
	})
}

// trimPEPItems keeps the newest max items of a node (max > 0).
func trimPEPItems(ctx context.Context, tx *sql.Tx, owner, node string, max int) error {
	if max <= 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM pep_items WHERE owner = ? AND node = ? AND seq <= (
		SELECT seq FROM pep_items WHERE owner = ? AND node = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
		owner, node, owner, node, max)
	return wrap(err, "trim pep node %s of %s", node, owner)
}

// DeletePEPNode implements store.PEP; the items are deleted explicitly
// (not only by the cascade, which needs foreign_keys on).
func (s *Store) DeletePEPNode(ctx context.Context, owner, node string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM pep_items WHERE owner = ? AND node = ?`, owner, node); err != nil {
			return wrap(err, "delete pep node %s of %s", node, owner)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM pep_nodes WHERE owner = ? AND node = ?`, owner, node)
		return affected(res, err, "delete pep node %s of %s", node, owner)
	})
}

// PublishPEPItem implements store.PEP.
func (s *Store) PublishPEPItem(ctx context.Context, owner, node string, it store.PEPItem, maxItems int) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var seq int64
		err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT MAX(seq) FROM pep_items WHERE owner = ? AND node = ?), 0)
			FROM pep_nodes WHERE owner = ? AND node = ?`, owner, node, owner, node).Scan(&seq)
		if err != nil {
			return wrap(err, "publish to pep node %s of %s", node, owner)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO pep_items (owner, node, item_id, seq, publisher, payload, published_at)
			VALUES (?,?,?,?,?,?,?)
			ON CONFLICT (owner, node, item_id) DO UPDATE SET seq = excluded.seq, publisher = excluded.publisher,
				payload = excluded.payload, published_at = excluded.published_at`,
			owner, node, it.ID, seq+1, it.Publisher, blob(it.Payload), ms(it.Published))
		if err != nil {
			return wrap(err, "publish to pep node %s of %s", node, owner)
		}
		return trimPEPItems(ctx, tx, owner, node, maxItems)
	})
}

// PEPItems implements store.PEP.
func (s *Store) PEPItems(ctx context.Context, owner, node string, q store.PEPItemQuery) ([]store.PEPItem, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, wrap(err, "items of pep node %s of %s", node, owner)
	}
	defer tx.Rollback()
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM pep_nodes WHERE owner = ? AND node = ?`, owner, node).Scan(&one); err != nil {
		return nil, wrap(err, "items of pep node %s of %s", node, owner)
	}
	query := `SELECT item_id, publisher, payload, published_at FROM pep_items WHERE owner = ? AND node = ?`
	args := []any{owner, node}
	if q.IDs != nil {
		if len(q.IDs) == 0 {
			return nil, nil
		}
		query += ` AND item_id IN (?` + strings.Repeat(",?", len(q.IDs)-1) + `)`
		for _, id := range q.IDs {
			args = append(args, id)
		}
	}
	query += ` ORDER BY seq DESC`
	if q.Max > 0 {
		query += ` LIMIT ?`
		args = append(args, q.Max)
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap(err, "items of pep node %s of %s", node, owner)
	}
	defer rows.Close()
	var out []store.PEPItem
	for rows.Next() {
		var it store.PEPItem
		var at int64
		if err := rows.Scan(&it.ID, &it.Publisher, &it.Payload, &at); err != nil {
			return nil, wrap(err, "items of pep node %s of %s", node, owner)
		}
		it.Published = fromMS(at)
		out = append(out, it)
	}
	return out, wrap(rows.Err(), "items of pep node %s of %s", node, owner)
}

// RetractPEPItem implements store.PEP.
func (s *Store) RetractPEPItem(ctx context.Context, owner, node, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM pep_items WHERE owner = ? AND node = ? AND item_id = ?`, owner, node, id)
	return affected(res, err, "retract item %s of pep node %s of %s", id, node, owner)
}

// PurgePEPNode implements store.PEP.
func (s *Store) PurgePEPNode(ctx context.Context, owner, node string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM pep_nodes WHERE owner = ? AND node = ?`, owner, node).Scan(&one); err != nil {
			return wrap(err, "purge pep node %s of %s", node, owner)
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM pep_items WHERE owner = ? AND node = ?`, owner, node)
		return wrap(err, "purge pep node %s of %s", node, owner)
	})
}
