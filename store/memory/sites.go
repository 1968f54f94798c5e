package memory

import (
	"context"
	"maps"
	"slices"
	"sort"

	"github.com/parley-im/parley/store"
)

// integ holds sites and tokens. Its zero value is usable (maps are made
// on first write); it is guarded by Store.mu like everything else.
type integ struct {
	sites   map[string]store.Site
	tokens  map[int64]store.Token
	lastTok int64 // last token id handed out; ids are never reused
}

func cloneSite(s store.Site) store.Site {
	s.KeySalt = slices.Clone(s.KeySalt)
	s.KeyHash = slices.Clone(s.KeyHash)
	s.Settings = maps.Clone(s.Settings)
	if s.Settings == nil {
		s.Settings = map[string]bool{}
	}
	return s
}

// CreateSite implements store.Sites.
func (s *Store) CreateSite(_ context.Context, site store.Site) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.integ.sites == nil {
		s.integ.sites = make(map[string]store.Site)
	}
	if _, ok := s.integ.sites[site.ID]; ok {
		return store.ErrExists
	}
	site = cloneSite(site)
	site.CreatedAt = msUTC(site.CreatedAt)
	s.integ.sites[site.ID] = site
	return nil
}

// Site implements store.Sites.
func (s *Store) Site(_ context.Context, id string) (store.Site, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	site, ok := s.integ.sites[id]
	if !ok {
		return store.Site{}, store.ErrNotFound
	}
	return cloneSite(site), nil
}

// UpdateSite implements store.Sites.
func (s *Store) UpdateSite(_ context.Context, site store.Site) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.integ.sites[site.ID]
	if !ok {
		return store.ErrNotFound
	}
	site = cloneSite(site)
	site.CreatedAt = old.CreatedAt
	s.integ.sites[site.ID] = site
	return nil
}

// DeleteSite implements store.Sites.
func (s *Store) DeleteSite(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.integ.sites[id]; !ok {
		return store.ErrNotFound
	}
	delete(s.integ.sites, id)
	s.deleteEntityTokens(store.EntitySite, id)
	return nil
}

// ListSites implements store.Sites.
func (s *Store) ListSites(_ context.Context) ([]store.Site, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]store.Site, 0, len(s.integ.sites))
	for _, site := range s.integ.sites {
		out = append(out, cloneSite(site))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
