package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/parley-im/parley/store"
)

// deleteTokenTrees + <a SELECT of root token ids> + deleteTokenTreesEnd
// deletes those tokens and everything derived from them, transitively
// (a recursive CTE, so that it does not rely on the parent_id foreign
// key's cascade being on).
const (
	deleteTokenTrees    = `WITH RECURSIVE tree(id) AS (`
	deleteTokenTreesEnd = ` UNION SELECT t.id FROM tokens t JOIN tree ON t.parent_id = tree.id)
		DELETE FROM tokens WHERE id IN (SELECT id FROM tree)`
)

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
	res, err := s.w.ExecContext(ctx, deleteTokenTrees+`SELECT id FROM tokens WHERE id = ?`+deleteTokenTreesEnd, id)
	if err != nil {
		return 0, wrap(err, "delete token %d", id)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrap(err, "delete token %d", id)
	}
	if n == 0 {
		return 0, store.ErrNotFound
	}
	return n, nil
}

// DeleteExpiredTokens implements store.Tokens.
func (s *Store) DeleteExpiredTokens(ctx context.Context, at time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, deleteTokenTrees+`SELECT id FROM tokens WHERE expires_at <= ?`+deleteTokenTreesEnd, ms(at))
	if err != nil {
		return 0, wrap(err, "delete expired tokens")
	}
	n, err := res.RowsAffected()
	return n, wrap(err, "delete expired tokens")
}

// DeleteEntityTokens implements store.Tokens.
func (s *Store) DeleteEntityTokens(ctx context.Context, entityType, entityID string) (int64, error) {
	res, err := s.w.ExecContext(ctx, deleteTokenTrees+`SELECT id FROM tokens WHERE entity_type = ? AND entity_id = ?`+deleteTokenTreesEnd, entityType, entityID)
	if err != nil {
		return 0, wrap(err, "delete tokens of %s %s", entityType, entityID)
	}
	n, err := res.RowsAffected()
	return n, wrap(err, "delete tokens of %s %s", entityType, entityID)
}

// CountTokens implements store.Tokens.
func (s *Store) CountTokens(ctx context.Context, entityType, entityID string) (int, error) {
	var n int
	err := s.rq.QueryRowContext(ctx, `SELECT count(*) FROM tokens WHERE entity_type = ? AND entity_id = ?`, entityType, entityID).Scan(&n)
	return n, wrap(err, "count tokens of %s %s", entityType, entityID)
}
