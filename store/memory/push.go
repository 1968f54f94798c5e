package memory

import (
	"cmp"
	"context"
	"slices"

	"github.com/parley-im/parley/store"
)

func comparePush(a, b store.PushRegistration) int {
	return cmp.Or(cmp.Compare(a.Service, b.Service), cmp.Compare(a.Node, b.Node))
}

// PutPush implements store.Pushes.
func (s *Store) PutPush(_ context.Context, owner string, r store.PushRegistration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[owner]; !ok {
		return store.ErrNotFound
	}
	if s.pushes == nil {
		s.pushes = make(map[string][]store.PushRegistration)
	}
	r.Options = slices.Clone(r.Options)
	list := slices.DeleteFunc(s.pushes[owner], func(x store.PushRegistration) bool { return comparePush(x, r) == 0 })
	list = append(list, r)
	slices.SortFunc(list, comparePush)
	s.pushes[owner] = list
	return nil
}

// DeletePush implements store.Pushes.
func (s *Store) DeletePush(_ context.Context, owner, service, node string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.pushes[owner]
	before := len(list)
	list = slices.DeleteFunc(list, func(x store.PushRegistration) bool {
		return x.Service == service && (node == "" || x.Node == node)
	})
	if len(list) == 0 {
		delete(s.pushes, owner)
	} else {
		s.pushes[owner] = list
	}
	return before - len(list), nil
}

// PushRegistrations implements store.Pushes.
func (s *Store) PushRegistrations(_ context.Context, owner string) ([]store.PushRegistration, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []store.PushRegistration
	for _, r := range s.pushes[owner] {
		r.Options = slices.Clone(r.Options)
		out = append(out, r)
	}
	return out, nil
}
