package memory

import (
	"context"
	"slices"

	"github.com/parley-im/parley/store"
)

// nodes is what servers sharing the store record (store.Nodes), under
// Store.mu.
type nodes struct {
	served map[string][]string // node -> domains
	slots  map[string]int      // node -> slot
	secret map[string][]byte   // name -> shared secret
}

// SetServedDomains implements store.Nodes.
func (s *Store) SetServedDomains(_ context.Context, node string, domains []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nodes.served == nil {
		s.nodes.served = map[string][]string{}
	}
	if len(domains) == 0 {
		delete(s.nodes.served, node)
		return nil
	}
	s.nodes.served[node] = slices.Clone(domains)
	return nil
}

// ServedDomains implements store.Nodes.
func (s *Store) ServedDomains(context.Context) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for _, ds := range s.nodes.served {
		out = append(out, ds...)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// NodeSlot implements store.Nodes.
func (s *Store) NodeSlot(_ context.Context, node string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nodes.slots == nil {
		s.nodes.slots = map[string]int{}
	}
	if slot, ok := s.nodes.slots[node]; ok {
		return slot, nil
	}
	taken := make(map[int]bool, len(s.nodes.slots))
	for _, v := range s.nodes.slots {
		taken[v] = true
	}
	for slot := 1; slot <= store.MaxNodeSlot; slot++ {
		if !taken[slot] {
			s.nodes.slots[node] = slot
			return slot, nil
		}
	}
	return 0, store.ErrQuotaExceeded
}

// SharedSecret implements store.Nodes.
func (s *Store) SharedSecret(_ context.Context, name string, candidate []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nodes.secret == nil {
		s.nodes.secret = map[string][]byte{}
	}
	if v, ok := s.nodes.secret[name]; ok {
		return slices.Clone(v), nil
	}
	s.nodes.secret[name] = slices.Clone(candidate)
	return slices.Clone(candidate), nil
}
