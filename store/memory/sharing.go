package memory

import (
	"context"

	"github.com/parley-im/parley/store"
)

// SetPresenceSharing implements store.PresenceSharing.
func (s *Store) SetPresenceSharing(_ context.Context, owner string, on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[owner]; !ok {
		return store.ErrNotFound
	}
	if !on {
		delete(s.sharing, owner)
		return nil
	}
	if s.sharing == nil {
		s.sharing = make(map[string]bool)
	}
	s.sharing[owner] = true
	return nil
}

// PresenceShared implements store.PresenceSharing.
func (s *Store) PresenceShared(_ context.Context, owner string) (bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.sharing[owner], nil
}
