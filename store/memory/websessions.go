package memory

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/parley-im/parley/store"
)

// forgetWebSessions drops owner's sessions (s.mu held).
func (s *Store) forgetWebSessions(owner string) {
	for id, ws := range s.web {
		if ws.Owner == owner {
			delete(s.web, id)
		}
	}
}

func normWebSession(ws store.WebSession) store.WebSession {
	ws.Created, ws.LastSeen, ws.Expires = msUTC(ws.Created), msUTC(ws.LastSeen), msUTC(ws.Expires)
	return ws
}

// PutWebSession implements store.WebSessions.
func (s *Store) PutWebSession(_ context.Context, ws store.WebSession) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[ws.Owner]; !ok {
		return store.ErrNotFound
	}
	if _, ok := s.web[ws.ID]; ok {
		return store.ErrExists
	}
	if s.web == nil {
		s.web = make(map[string]store.WebSession)
	}
	s.web[ws.ID] = normWebSession(ws)
	return nil
}

// WebSession implements store.WebSessions.
func (s *Store) WebSession(_ context.Context, id string) (store.WebSession, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ws, ok := s.web[id]
	if !ok {
		return store.WebSession{}, store.ErrNotFound
	}
	return ws, nil
}

// TouchWebSession implements store.WebSessions.
func (s *Store) TouchWebSession(_ context.Context, id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws, ok := s.web[id]
	if !ok {
		return store.ErrNotFound
	}
	ws.LastSeen = msUTC(at)
	s.web[id] = ws
	return nil
}

// DeleteWebSession implements store.WebSessions.
func (s *Store) DeleteWebSession(_ context.Context, owner, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws, ok := s.web[id]
	if !ok || ws.Owner != owner {
		return store.ErrNotFound
	}
	delete(s.web, id)
	return nil
}

// WebSessions implements store.WebSessions.
func (s *Store) WebSessions(_ context.Context, owner string) ([]store.WebSession, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []store.WebSession
	for _, ws := range s.web {
		if ws.Owner == owner {
			out = append(out, ws)
		}
	}
	slices.SortFunc(out, func(a, b store.WebSession) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// DeleteWebSessions implements store.WebSessions.
func (s *Store) DeleteWebSessions(_ context.Context, owner string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for id, ws := range s.web {
		if ws.Owner == owner {
			delete(s.web, id)
			n++
		}
	}
	return n, nil
}

// PruneWebSessions implements store.WebSessions.
func (s *Store) PruneWebSessions(_ context.Context, before time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for id, ws := range s.web {
		if ws.Expires.Before(before) {
			delete(s.web, id)
			n++
		}
	}
	return n, nil
}

var _ store.WebSessions = (*Store)(nil)
