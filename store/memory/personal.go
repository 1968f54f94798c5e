package memory

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/parley-im/parley/store"
)

// personal is what store.PersonalData keeps; guarded by Store.mu.
type personal struct {
	pep       map[string]map[string]*pepNode // owner → node
	blocked   map[string][]string            // owner → sorted JIDs
	private   map[string]map[string][]byte   // owner → namespace → element
	uploads   map[string]store.Upload        // id → record
	pepSeq    int64                          // orders items, all nodes
	initiated bool
}

type pepNode struct {
	config []byte
	items  []pepItem // oldest first
}

type pepItem struct {
	store.PEPItem
	seq int64
}

func (p *personal) init() {
	if !p.initiated {
		p.pep = make(map[string]map[string]*pepNode)
		p.blocked = make(map[string][]string)
		p.private = make(map[string]map[string][]byte)
		p.uploads = make(map[string]store.Upload)
		p.initiated = true
	}
}

// forget drops everything owner keeps (DeleteUser; s.mu held).
func (p *personal) forget(owner string) {
	p.init()
	delete(p.pep, owner)
	delete(p.blocked, owner)
	delete(p.private, owner)
	for id, u := range p.uploads {
		if u.Owner == owner {
			delete(p.uploads, id)
		}
	}
}

func clonePEPItem(it store.PEPItem) store.PEPItem {
	it.Payload = slices.Clone(it.Payload)
	return it
}

// PEPNodes implements store.PEP.
func (s *Store) PEPNodes(_ context.Context, owner string) ([]store.PEPNode, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []store.PEPNode
	for name, n := range s.pers.pep[owner] {
		out = append(out, store.PEPNode{Node: name, Config: slices.Clone(n.config)})
	}
	slices.SortFunc(out, func(a, b store.PEPNode) int { return cmp.Compare(a.Node, b.Node) })
	return out, nil
}

// PEPNode implements store.PEP.
func (s *Store) PEPNode(_ context.Context, owner, node string) (store.PEPNode, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, ok := s.pers.pep[owner][node]
	if !ok {
		return store.PEPNode{}, store.ErrNotFound
	}
	return store.PEPNode{Node: node, Config: slices.Clone(n.config)}, nil
}

// CreatePEPNode implements store.PEP.
func (s *Store) CreatePEPNode(_ context.Context, owner string, n store.PEPNode, maxNodes int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pers.init()
	if _, ok := s.users[owner]; !ok {
		return store.ErrNotFound
	}
	nodes := s.pers.pep[owner]
	if _, ok := nodes[n.Node]; ok {
		return store.ErrExists
	}
	if maxNodes > 0 && len(nodes) >= maxNodes {
		return store.ErrQuotaExceeded
	}
	if nodes == nil {
		nodes = make(map[string]*pepNode)
		s.pers.pep[owner] = nodes
	}
	nodes[n.Node] = &pepNode{config: slices.Clone(n.Config)}
	return nil
}

// ConfigurePEPNode implements store.PEP.
func (s *Store) ConfigurePEPNode(_ context.Context, owner, node string, config []byte, maxItems int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.pers.pep[owner][node]
	if !ok {
		return store.ErrNotFound
	}
	n.config = slices.Clone(config)
	n.trim(maxItems)
	return nil
}

func (n *pepNode) trim(max int) {
	if max > 0 && len(n.items) > max {
		n.items = slices.Clone(n.items[len(n.items)-max:])
	}
}

// DeletePEPNode implements store.PEP.
func (s *Store) DeletePEPNode(_ context.Context, owner, node string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pers.pep[owner][node]; !ok {
		return store.ErrNotFound
	}
	delete(s.pers.pep[owner], node)
	return nil
}

// PublishPEPItem implements store.PEP.
func (s *Store) PublishPEPItem(_ context.Context, owner, node string, it store.PEPItem, maxItems int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.pers.pep[owner][node]
	if !ok {
		return store.ErrNotFound
	}
	n.items = slices.DeleteFunc(n.items, func(x pepItem) bool { return x.ID == it.ID })
	s.pers.pepSeq++
	it = clonePEPItem(it)
	it.Published = msUTC(it.Published)
	n.items = append(n.items, pepItem{PEPItem: it, seq: s.pers.pepSeq})
	n.trim(maxItems)
	return nil
}

// PEPItems implements store.PEP.
func (s *Store) PEPItems(_ context.Context, owner, node string, q store.PEPItemQuery) ([]store.PEPItem, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, ok := s.pers.pep[owner][node]
	if !ok {
		return nil, store.ErrNotFound
	}
	var out []store.PEPItem
	for i := len(n.items) - 1; i >= 0; i-- {
		it := n.items[i]
		if q.IDs != nil && !slices.Contains(q.IDs, it.ID) {
			continue
		}
		out = append(out, clonePEPItem(it.PEPItem))
		if q.Max > 0 && len(out) == q.Max {
			break
		}
	}
	return out, nil
}

// RetractPEPItem implements store.PEP.
func (s *Store) RetractPEPItem(_ context.Context, owner, node, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.pers.pep[owner][node]
	if !ok {
		return store.ErrNotFound
	}
	before := len(n.items)
	n.items = slices.DeleteFunc(n.items, func(x pepItem) bool { return x.ID == id })
	if len(n.items) == before {
		return store.ErrNotFound
	}
	return nil
}

// PurgePEPNode implements store.PEP.
func (s *Store) PurgePEPNode(_ context.Context, owner, node string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.pers.pep[owner][node]
	if !ok {
		return store.ErrNotFound
	}
	n.items = nil
	return nil
}

// Blocklist implements store.Blocklists.
func (s *Store) Blocklist(_ context.Context, owner string) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.pers.blocked[owner]), nil
}

// AllBlocklists implements store.Blocklists.
func (s *Store) AllBlocklists(context.Context) (map[string][]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string][]string, len(s.pers.blocked))
	for o, l := range s.pers.blocked {
		out[o] = slices.Clone(l)
	}
	return out, nil
}

// Block implements store.Blocklists.
func (s *Store) Block(_ context.Context, owner string, jids []string, max int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pers.init()
	if _, ok := s.users[owner]; !ok {
		return store.ErrNotFound
	}
	list := slices.Clone(s.pers.blocked[owner])
	for _, j := range jids {
		if !slices.Contains(list, j) {
			list = append(list, j)
		}
	}
	if max > 0 && len(list) > max {
		return store.ErrQuotaExceeded
	}
	slices.Sort(list)
	if len(list) > 0 {
		s.pers.blocked[owner] = list
	}
	return nil
}

// Unblock implements store.Blocklists.
func (s *Store) Unblock(_ context.Context, owner string, jids []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := slices.DeleteFunc(slices.Clone(s.pers.blocked[owner]), func(j string) bool { return slices.Contains(jids, j) })
	if len(list) == 0 {
		delete(s.pers.blocked, owner)
	} else {
		s.pers.blocked[owner] = list
	}
	return nil
}

// UnblockAll implements store.Blocklists.
func (s *Store) UnblockAll(_ context.Context, owner string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pers.blocked, owner)
	return nil
}

// PrivateXML implements store.PrivateXML.
func (s *Store) PrivateXML(_ context.Context, owner, namespace string) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.pers.private[owner][namespace]
	if !ok {
		return nil, store.ErrNotFound
	}
	return slices.Clone(d), nil
}

// PutPrivateXML implements store.PrivateXML.
func (s *Store) PutPrivateXML(_ context.Context, owner, namespace string, data []byte, maxNamespaces int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pers.init()
	if _, ok := s.users[owner]; !ok {
		return store.ErrNotFound
	}
	m := s.pers.private[owner]
	if len(data) == 0 {
		delete(m, namespace)
		return nil
	}
	if _, exists := m[namespace]; !exists && maxNamespaces > 0 && len(m) >= maxNamespaces {
		return store.ErrQuotaExceeded
	}
	if m == nil {
		m = make(map[string][]byte)
		s.pers.private[owner] = m
	}
	m[namespace] = slices.Clone(data)
	return nil
}

func cleanUpload(u store.Upload) store.Upload {
	u.Created = msUTC(u.Created)
	if !u.Expires.IsZero() {
		u.Expires = msUTC(u.Expires)
	}
	return u
}

// CreateUpload implements store.Uploads.
func (s *Store) CreateUpload(_ context.Context, u store.Upload, quota int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pers.init()
	if _, ok := s.users[u.Owner]; !ok {
		return store.ErrNotFound
	}
	if _, ok := s.pers.uploads[u.ID]; ok {
		return store.ErrExists
	}
	if quota > 0 && s.uploadUsage(u.Owner)+u.Size > quota {
		return store.ErrQuotaExceeded
	}
	s.pers.uploads[u.ID] = cleanUpload(u)
	return nil
}

func (s *Store) uploadUsage(owner string) int64 {
	var n int64
	for _, u := range s.pers.uploads {
		if u.Owner == owner {
			n += u.Size
		}
	}
	return n
}

// Upload implements store.Uploads.
func (s *Store) Upload(_ context.Context, id string) (store.Upload, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.pers.uploads[id]
	if !ok {
		return store.Upload{}, store.ErrNotFound
	}
	return u, nil
}

// ClaimUpload implements store.Uploads.
func (s *Store) ClaimUpload(_ context.Context, id string, now time.Time) (store.Upload, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.pers.uploads[id]
	if !ok || u.State != store.UploadPending || (!u.Expires.IsZero() && !u.Expires.After(msUTC(now))) {
		return store.Upload{}, store.ErrNotFound
	}
	u.State = store.UploadReceiving
	s.pers.uploads[id] = u
	return u, nil
}

// CompleteUpload implements store.Uploads.
func (s *Store) CompleteUpload(_ context.Context, id string, expires time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.pers.uploads[id]
	if !ok || u.State != store.UploadReceiving {
		return store.ErrNotFound
	}
	u.State, u.Expires = store.UploadDone, expires
	s.pers.uploads[id] = cleanUpload(u)
	return nil
}

// DeleteUpload implements store.Uploads.
func (s *Store) DeleteUpload(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pers.uploads[id]; !ok {
		return store.ErrNotFound
	}
	delete(s.pers.uploads, id)
	return nil
}

// UploadUsage implements store.Uploads.
func (s *Store) UploadUsage(_ context.Context, owner string) (int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.uploadUsage(owner), nil
}

// ExpiredUploads implements store.Uploads.
func (s *Store) ExpiredUploads(_ context.Context, now time.Time, limit int) ([]store.Upload, error) {
	if limit <= 0 {
		return nil, store.ErrInvalid
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []store.Upload
	for _, u := range s.pers.uploads {
		if !u.Expires.IsZero() && !u.Expires.After(msUTC(now)) {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b store.Upload) int {
		return cmp.Or(a.Expires.Compare(b.Expires), cmp.Compare(a.ID, b.ID))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// OwnerUploads implements store.Uploads.
func (s *Store) OwnerUploads(_ context.Context, owner string) ([]store.Upload, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []store.Upload
	for _, u := range s.pers.uploads {
		if u.Owner == owner {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b store.Upload) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}
