package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/parley-im/parley/store"
)

// deleteTrees deletes the tokens that roots (a SELECT of ids) selects
// and everything derived from them, and returns how many went. The
// descendants are deleted explicitly rather than left to the parent_id
// cascade (so that it does not depend on foreign_keys), and counted
// before: the cascade would delete some before the count reaches them.
func deleteTrees(ctx context.Context, tx *sql.Tx, roots string, args ...any) (int64, error) {
	with := `WITH RECURSIVE tree(id) AS (` + roots + ` UNION SELECT t.id FROM tokens t JOIN tree ON t.parent_id = tree.id) `
	var n int64
	if err := tx.QueryRowContext(ctx, with+`SELECT count(*) FROM tree`, args...).Scan(&n); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	_, err := tx.ExecContext(ctx, with+`DELETE FROM tokens WHERE id IN (SELECT id FROM tree)`, args...)
	return n, err
}

// deleteTreesTx runs deleteTrees in its own write transaction.
func (s *Store) deleteTreesTx(ctx context.Context, what string, roots string, args ...any) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = deleteTrees(ctx, tx, roots, args...)
		return wrap(err, "%s", what)
	})
	return n, err
}

// CreateToken implements store.Tokens. The entity and parent checks run
// in the write transaction, so a token cannot be derived from one that a
// concurrent DeleteToken is removing.
func (s *Store) CreateToken(ctx context.Context, t store.Token) (store.Token, error) {
	var userJID, siteID any
	var table string
	switch t.EntityType {
	case store.EntityUser:
		userJID, table = t.EntityID, `SELECT 1 FROM users WHERE jid = ?`
	case store.EntitySite:
		siteID, table = t.EntityID, `SELECT 1 FROM sites WHERE id = ?`
	default:
		return store.Token{}, fmt.Errorf("sqlite: create token: entity type %q: %w", t.EntityType, store.ErrInvalid)
	}
	var parent any
	if t.ParentID != 0 {
		parent = t.ParentID
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, table, t.EntityID).Scan(&one); err != nil {
			return wrap(err, "create token: entity %s %s", t.EntityType, t.EntityID)
		}
		if t.ParentID != 0 {
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM tokens WHERE id = ?`, t.ParentID).Scan(&one); err != nil {
				return wrap(err, "create token: parent %d", t.ParentID)
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO tokens (random, parent_id, entity_type, entity_id, user_jid, site_id, policy, proxy_user, created_at, expires_at)
			VALUES (?,?,?,?,?,?,?,?,?,?)`, t.Random, parent, t.EntityType, t.EntityID, userJID, siteID, t.Policy, t.ProxyUser, ms(t.CreatedAt), ms(t.ExpiresAt))
		if err != nil {
			return wrap(err, "create token")
		}
		t.ID, err = res.LastInsertId()
		return wrap(err, "create token")
	})
	if err != nil {
		return store.Token{}, err
	}
	t.CreatedAt, t.ExpiresAt = fromMS(ms(t.CreatedAt)), fromMS(ms(t.ExpiresAt))
	return t, nil
}

// Token implements store.Tokens.
func (s *Store) Token(ctx context.Context, id int64) (store.Token, error) {
	t := store.Token{ID: id}
	var parent sql.NullInt64
	var created, expires int64
	err := s.rq.QueryRowContext(ctx, `SELECT random, parent_id, entity_type, entity_id, policy, proxy_user, created_at, expires_at FROM tokens WHERE id = ?`, id).
		Scan(&t.Random, &parent, &t.EntityType, &t.EntityID, &t.Policy, &t.ProxyUser, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Token{}, store.ErrNotFound
	}
	if err != nil {
		return store.Token{}, wrap(err, "token %d", id)
	}
	t.ParentID = parent.Int64
	t.CreatedAt, t.ExpiresAt = fromMS(created), fromMS(expires)
	return t, nil
}

// DeleteToken implements store.Tokens.
func (s *Store) DeleteToken(ctx context.Context, id int64) (int64, error) {
	n, err := s.deleteTreesTx(ctx, fmt.Sprintf("delete token %d", id), `SELECT id FROM tokens WHERE id = ?`, id)
	if err == nil && n == 0 {
		return 0, store.ErrNotFound
	}
	return n, err
}

// DeleteExpiredTokens implements store.Tokens.
func (s *Store) DeleteExpiredTokens(ctx context.Context, at time.Time) (int64, error) {
	return s.deleteTreesTx(ctx, "delete expired tokens", `SELECT id FROM tokens WHERE expires_at <= ?`, ms(at))
}

// DeleteEntityTokens implements store.Tokens.
func (s *Store) DeleteEntityTokens(ctx context.Context, entityType, entityID string) (int64, error) {
	return s.deleteTreesTx(ctx, fmt.Sprintf("delete tokens of %s %s", entityType, entityID),
		`SELECT id FROM tokens WHERE entity_type = ? AND entity_id = ?`, entityType, entityID)
}

// CountTokens implements store.Tokens.
func (s *Store) CountTokens(ctx context.Context, entityType, entityID string) (int, error) {
	var n int
	err := s.rq.QueryRowContext(ctx, `SELECT count(*) FROM tokens WHERE entity_type = ? AND entity_id = ?`, entityType, entityID).Scan(&n)
	return n, wrap(err, "count tokens of %s %s", entityType, entityID)
}
