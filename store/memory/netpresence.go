package memory

import (
	"context"
	"sort"
	"time"

	"github.com/parley-im/parley/store"
)

// SetNetworkPresence implements store.NetworkPresence.
func (s *Store) SetNetworkPresence(_ context.Context, owner, remote string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[owner]; !ok {
		return store.ErrNotFound
	}
	if s.network == nil {
		s.network = make(map[string]store.NetworkPresenceLink)
	}
	s.network[owner] = store.NetworkPresenceLink{Owner: owner, Remote: remote, Since: msUTC(time.Now())}
	return nil
}

// ClearNetworkPresence implements store.NetworkPresence.
func (s *Store) ClearNetworkPresence(_ context.Context, owner string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[owner]; !ok {
		return store.ErrNotFound
	}
	delete(s.network, owner)
	return nil
}

// NetworkPresence implements store.NetworkPresence.
func (s *Store) NetworkPresence(_ context.Context, owner string) (store.NetworkPresenceLink, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, ok := s.network[owner]
	if !ok {
		return store.NetworkPresenceLink{Owner: owner}, store.ErrNotFound
	}
	return l, nil
}

// NetworkPresences implements store.NetworkPresence.
func (s *Store) NetworkPresences(_ context.Context) ([]store.NetworkPresenceLink, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]store.NetworkPresenceLink, 0, len(s.network))
	for _, l := range s.network {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Owner < out[j].Owner })
	return out, nil
}
