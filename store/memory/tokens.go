package memory

import (
	"context"
	"time"

	"github.com/parley-im/parley/store"
)

// CreateToken implements store.Tokens.
func (s *Store) CreateToken(_ context.Context, t store.Token) (store.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch t.EntityType {
	case store.EntityUser:
		if _, ok := s.users[t.EntityID]; !ok {
			return store.Token{}, store.ErrNotFound
		}
	case store.EntitySite:
		if _, ok := s.integ.sites[t.EntityID]; !ok {
			return store.Token{}, store.ErrNotFound
		}
	default:
		return store.Token{}, store.ErrInvalid
	}
	if t.ParentID != 0 {
		if _, ok := s.integ.tokens[t.ParentID]; !ok {
			return store.Token{}, store.ErrNotFound
		}
	}
	if s.integ.tokens == nil {
		s.integ.tokens = make(map[int64]store.Token)
	}
	s.integ.lastTok++
	t.ID = s.integ.lastTok
	t.CreatedAt, t.ExpiresAt = msUTC(t.CreatedAt), msUTC(t.ExpiresAt)
	s.integ.tokens[t.ID] = t
	return t, nil
}

// Token implements store.Tokens.
func (s *Store) Token(_ context.Context, id int64) (store.Token, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.integ.tokens[id]
	if !ok {
		return store.Token{}, store.ErrNotFound
	}
	return t, nil
}

// DeleteToken implements store.Tokens.
func (s *Store) DeleteToken(_ context.Context, id int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.integ.tokens[id]; !ok {
		return 0, store.ErrNotFound
	}
	return s.deleteTokens(map[int64]bool{id: true}), nil
}

// DeleteExpiredTokens implements store.Tokens.
func (s *Store) DeleteExpiredTokens(_ context.Context, at time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	roots := map[int64]bool{}
	for id, t := range s.integ.tokens {
		if !t.ExpiresAt.After(at) {
			roots[id] = true
		}
	}
	return s.deleteTokens(roots), nil
}

// CountTokens implements store.Tokens.
func (s *Store) CountTokens(_ context.Context, entityType, entityID string) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, t := range s.integ.tokens {
		if t.EntityType == entityType && t.EntityID == entityID {
			n++
		}
	}
	return n, nil
}

// DeleteEntityTokens implements store.Tokens.
func (s *Store) DeleteEntityTokens(_ context.Context, entityType, entityID string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleteEntityTokens(entityType, entityID), nil
}

// deleteEntityTokens deletes the tokens of an entity with their
// descendants. The caller holds s.mu for writing.
func (s *Store) deleteEntityTokens(entityType, entityID string) int64 {
	roots := map[int64]bool{}
	for id, t := range s.integ.tokens {
		if t.EntityType == entityType && t.EntityID == entityID {
			roots[id] = true
		}
	}
	return s.deleteTokens(roots)
}

// deleteTokens deletes the tokens in roots and every token derived from
// them, transitively, and returns how many went. The caller holds s.mu
// for writing.
func (s *Store) deleteTokens(roots map[int64]bool) int64 {
	if len(roots) == 0 {
		return 0
	}
	// Close roots over "derived from": a parent's id is always below its
	// children's, so one pass in id order would do, but the map has no
	// order; iterate to a fixed point instead (token trees are shallow).
	for grew := true; grew; {
		grew = false
		for id, t := range s.integ.tokens {
			if !roots[id] && t.ParentID != 0 && roots[t.ParentID] {
				roots[id] = true
				grew = true
			}
		}
	}
	var n int64
	for id := range roots {
		if _, ok := s.integ.tokens[id]; ok {
			delete(s.integ.tokens, id)
			n++
		}
	}
	return n
}
