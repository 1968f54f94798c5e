package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/parley-im/parley/store"
)

// deleteTrees deletes the tokens that roots (a SELECT of ids) selects
// and everything derived from them, in one statement, and returns how
// many went. The descendants are in the statement's own tree, so they
// are counted; a token derived concurrently from one of them (after the
// statement's snapshot) still goes, by the parent_id cascade.
func (s *Store) deleteTrees(ctx context.Context, what, roots string, args ...any) (int64, error) {
	tag, err := s.pool.Exec(ctx, `WITH RECURSIVE tree(id) AS (`+roots+`
		UNION SELECT t.id FROM tokens t JOIN tree ON t.parent_id = tree.id)
		DELETE FROM tokens WHERE id IN (SELECT id FROM tree)`, args...)
	if err != nil {
		return 0, wrap(err, "%s", what)
	}
	return tag.RowsAffected(), nil
}

// CreateToken implements store.Tokens in one statement: the foreign keys
// check the entity (users.jid or sites.id) and the parent, and lock them
// until the insert commits, so a token cannot be derived from one that a
// concurrent DeleteToken is removing.
func (s *Store) CreateToken(ctx context.Context, t store.Token) (store.Token, error) {
	var userJID, siteID *string
	switch t.EntityType {
	case store.EntityUser:
		userJID = &t.EntityID
	case store.EntitySite:
		siteID = &t.EntityID
	default:
		return store.Token{}, fmt.Errorf("postgres: create token: entity type %q: %w", t.EntityType, store.ErrInvalid)
	}
	var parent *int64
	if t.ParentID != 0 {
		parent = &t.ParentID
	}
	err := s.pool.QueryRow(ctx, `INSERT INTO tokens (random, parent_id, entity_type, entity_id, user_jid, site_id, policy, proxy_user, created_at, expires_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id`,
		t.Random, parent, t.EntityType, t.EntityID, userJID, siteID, t.Policy, t.ProxyUser, ms(t.CreatedAt), ms(t.ExpiresAt)).Scan(&t.ID)
	if err != nil {
		return store.Token{}, wrap(err, "create token for %s %s", t.EntityType, t.EntityID)
	}
	t.CreatedAt, t.ExpiresAt = fromMS(ms(t.CreatedAt)), fromMS(ms(t.ExpiresAt))
	return t, nil
}

// Token implements store.Tokens.
func (s *Store) Token(ctx context.Context, id int64) (store.Token, error) {
	t := store.Token{ID: id}
	var parent *int64
	var created, expires int64
	err := s.pool.QueryRow(ctx, `SELECT random, parent_id, entity_type, entity_id, policy, proxy_user, created_at, expires_at FROM tokens WHERE id = $1`, id).
		Scan(&t.Random, &parent, &t.EntityType, &t.EntityID, &t.Policy, &t.ProxyUser, &created, &expires)
	if err != nil {
		return store.Token{}, wrap(err, "token %d", id)
	}
	if parent != nil {
		t.ParentID = *parent
	}
	t.CreatedAt, t.ExpiresAt = fromMS(created), fromMS(expires)
	return t, nil
}

// DeleteToken implements store.Tokens.
func (s *Store) DeleteToken(ctx context.Context, id int64) (int64, error) {
	n, err := s.deleteTrees(ctx, fmt.Sprintf("delete token %d", id), `SELECT id FROM tokens WHERE id = $1`, id)
	if err == nil && n == 0 {
		return 0, fmt.Errorf("postgres: delete token %d: %w", id, store.ErrNotFound)
	}
	return n, err
}

// DeleteExpiredTokens implements store.Tokens.
func (s *Store) DeleteExpiredTokens(ctx context.Context, at time.Time) (int64, error) {
	return s.deleteTrees(ctx, "delete expired tokens", `SELECT id FROM tokens WHERE expires_at <= $1`, ms(at))
}

// DeleteEntityTokens implements store.Tokens.
func (s *Store) DeleteEntityTokens(ctx context.Context, entityType, entityID string) (int64, error) {
	return s.deleteTrees(ctx, fmt.Sprintf("delete tokens of %s %s", entityType, entityID),
		`SELECT id FROM tokens WHERE entity_type = $1 AND entity_id = $2`, entityType, entityID)
}

// CountTokens implements store.Tokens.
func (s *Store) CountTokens(ctx context.Context, entityType, entityID string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM tokens WHERE entity_type = $1 AND entity_id = $2`, entityType, entityID).Scan(&n)
	return n, wrap(err, "count tokens of %s %s", entityType, entityID)
}
