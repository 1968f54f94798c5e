// Package memory is an in-memory store.Store for tests and for the
// "memory" storage driver: everything is lost when the process ends.
//
// It follows the same contracts as the sqlite store, checked by the
// storetest suite, including the ones store.go leaves implicit: writes
// for an owner without an account fail with store.ErrNotFound, times come
// back in UTC truncated to the millisecond (archive times: to the
// microsecond), offline and archive ids are never reused.
//
// Concurrency: one sync.RWMutex guards all data (readers share it,
// writers hold it alone); no method calls out while holding it. Values
// are copied in and out, so callers never share memory with the store.
package memory

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/parley-im/parley/store"
)

type lastPresence struct {
	stanza []byte
	at     time.Time
}

// Store is the in-memory implementation. The zero value is not usable;
// call New.
type Store struct {
	mu        sync.RWMutex
	users     map[string]store.User
	rosters   map[string]map[string]store.RosterItem // owner → contact → item
	versions  map[string]int64
	offline   map[string][]store.OfflineMessage      // oldest first
	lastID    int64                                  // of offline messages, all owners
	requests  map[string][]store.SubscriptionRequest // oldest first
	last      map[string]lastPresence
	vcards    map[string][]byte
	archive   map[string][]archived // oldest first
	archiveID int64                 // last archive id, all owners
	prefs     map[string]store.ArchivePrefs
	integ     integ                                // sites and tokens (sites.go, tokens.go)
	sharing   map[string]bool                      // users who publish presence over HTTP (sharing.go)
	network   map[string]store.NetworkPresenceLink // owner → network presence (netpresence.go)
	pushes    map[string][]store.PushRegistration  // owner → XEP-0357 registrations, sorted (push.go)
	lh        liveHelp                             // support groups, guests, transcripts (livehelp.go)
	cal       calendar                             // the calendar agent's data (calendar.go)
	confs     confs                                // web conferences (conferences.go)
	pers      personal                             // PEP, block lists, private XML, uploads (personal.go)
	nodes     nodes                                // served domains and node slots (nodes.go)
	web       map[string]store.WebSession          // web sign-ins by ID (websessions.go)

	rooms         map[string]store.Room
	roomArchive   map[string][]archived // room → messages, oldest first
	roomArchiveID int64                 // last room archive id, all rooms
}

// New returns an empty store.
func New() *Store {
	return &Store{
		users:    make(map[string]store.User),
		rosters:  make(map[string]map[string]store.RosterItem),
		versions: make(map[string]int64),
		offline:  make(map[string][]store.OfflineMessage),
		requests: make(map[string][]store.SubscriptionRequest),
		last:     make(map[string]lastPresence),
		vcards:   make(map[string][]byte),
		archive:  make(map[string][]archived),
		prefs:    make(map[string]store.ArchivePrefs),

		rooms:       make(map[string]store.Room),
		roomArchive: make(map[string][]archived),
	}
}

var _ store.Store = (*Store)(nil)

// Close does nothing; the store stays usable.
func (s *Store) Close() error { return nil }

// msUTC is t as the sqlite store returns it: UTC, whole milliseconds.
func msUTC(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()).UTC() }

func cloneCred(c store.SCRAMCredential) store.SCRAMCredential {
	return store.SCRAMCredential{Salt: slices.Clone(c.Salt), Iterations: c.Iterations,
		StoredKey: slices.Clone(c.StoredKey), ServerKey: slices.Clone(c.ServerKey)}
}

func cloneUser(u store.User) store.User {
	u.SHA1, u.SHA256 = cloneCred(u.SHA1), cloneCred(u.SHA256)
	return u
}

func cloneItem(it store.RosterItem) store.RosterItem {
	it.Groups = slices.Clone(it.Groups)
	return it
}

// CreateUser implements store.Users.
func (s *Store) CreateUser(_ context.Context, u store.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[u.JID]; ok {
		return store.ErrExists
	}
	u = cloneUser(u)
	u.CreatedAt = msUTC(u.CreatedAt)
	s.users[u.JID] = u
	return nil
}

// User implements store.Users.
func (s *Store) User(_ context.Context, jid string) (store.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[jid]
	if !ok {
		return store.User{}, store.ErrNotFound
	}
	return cloneUser(u), nil
}

// SetCredentials implements store.Users.
func (s *Store) SetCredentials(_ context.Context, jid string, sha1, sha256 store.SCRAMCredential) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[jid]
	if !ok {
		return store.ErrNotFound
	}
	u.SHA1, u.SHA256 = cloneCred(sha1), cloneCred(sha256)
	s.users[jid] = u
	return nil
}

// DeleteUser implements store.Users.
func (s *Store) DeleteUser(_ context.Context, jid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[jid]; !ok {
		return store.ErrNotFound
	}
	delete(s.users, jid)
	delete(s.rosters, jid)
	delete(s.versions, jid)
	delete(s.offline, jid)
	delete(s.requests, jid)
	delete(s.last, jid)
	delete(s.vcards, jid)
	delete(s.archive, jid)
	delete(s.prefs, jid)
	s.deleteEntityTokens(store.EntityUser, jid)
	delete(s.sharing, jid)
	delete(s.network, jid)
	delete(s.pushes, jid)
	s.deleteMemberships(jid)
	s.cal.forget(jid)
	s.pers.forget(jid)
	s.forgetWebSessions(jid)
	return nil
}

// ListUsers implements store.Users.
func (s *Store) ListUsers(_ context.Context, domain string) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for j := range s.users {
		if domain == "" || strings.HasSuffix(j, "@"+domain) {
			out = append(out, j)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Roster implements store.Rosters; items are sorted by contact.
func (s *Store) Roster(_ context.Context, owner string) ([]store.RosterItem, int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []store.RosterItem
	for _, it := range s.rosters[owner] {
		out = append(out, cloneItem(it))
	}
	slices.SortFunc(out, func(a, b store.RosterItem) int { return strings.Compare(a.Contact, b.Contact) })
	return out, s.versions[owner], nil
}

// RosterItem implements store.Rosters.
func (s *Store) RosterItem(_ context.Context, owner, contact string) (store.RosterItem, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	it, ok := s.rosters[owner][contact]
	if !ok {
		return store.RosterItem{}, store.ErrNotFound
	}
	return cloneItem(it), nil
}

// PutRosterItem implements store.Rosters; ErrNotFound if owner has no
// account.
func (s *Store) PutRosterItem(_ context.Context, owner string, item store.RosterItem) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[owner]; !ok {
		return 0, store.ErrNotFound
	}
	r := s.rosters[owner]
	if r == nil {
		r = make(map[string]store.RosterItem)
		s.rosters[owner] = r
	}
	r[item.Contact] = cloneItem(item)
	s.versions[owner]++
	return s.versions[owner], nil
}

// DeleteRosterItem implements store.Rosters.
func (s *Store) DeleteRosterItem(_ context.Context, owner, contact string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.rosters[owner][contact]; !ok {
		return 0, store.ErrNotFound
	}
	delete(s.rosters[owner], contact)
	s.versions[owner]++
	return s.versions[owner], nil
}

// StoreOffline implements store.Offline; ErrNotFound if owner has no
// account.
func (s *Store) StoreOffline(_ context.Context, owner string, stanza []byte, limits store.OfflineLimits) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[owner]; !ok {
		return store.ErrNotFound
	}
	u := s.offlineUsage(owner)
	if (limits.Messages > 0 && u.Messages+1 > int64(limits.Messages)) || (limits.Bytes > 0 && u.Bytes+int64(len(stanza)) > limits.Bytes) {
		return store.ErrQuotaExceeded
	}
	s.lastID++
	s.offline[owner] = append(s.offline[owner], store.OfflineMessage{ID: s.lastID,
		Stanza: slices.Clone(stanza), Stored: msUTC(time.Now())})
	return nil
}

// OfflineMessages implements store.Offline.
func (s *Store) OfflineMessages(ctx context.Context, owner string) ([]store.OfflineMessage, error) {
	return s.OfflinePage(ctx, owner, 0, 0, 0)
}

// OfflinePage implements store.Offline.
func (s *Store) OfflinePage(_ context.Context, owner string, afterID int64, max, maxBytes int) ([]store.OfflineMessage, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []store.OfflineMessage
	size := 0
	for _, m := range s.offline[owner] {
		if m.ID <= afterID {
			continue
		}
		if (max > 0 && len(out) == max) || (maxBytes > 0 && len(out) > 0 && size+len(m.Stanza) > maxBytes) {
			break
		}
		size += len(m.Stanza)
		m.Stanza = slices.Clone(m.Stanza)
		out = append(out, m)
	}
	return out, nil
}

// OfflineUsage implements store.Offline.
func (s *Store) OfflineUsage(_ context.Context, owner string) (store.Usage, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.offlineUsage(owner), nil
}

// offlineUsage adds up owner's mailbox (s.mu held).
func (s *Store) offlineUsage(owner string) store.Usage {
	var u store.Usage
	for _, m := range s.offline[owner] {
		u.Messages++
		u.Bytes += int64(len(m.Stanza))
	}
	return u
}

// DeleteOffline implements store.Offline.
func (s *Store) DeleteOffline(_ context.Context, owner string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	del := make(map[int64]bool, len(ids))
	for _, id := range ids {
		del[id] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if msgs, ok := s.offline[owner]; ok {
		s.offline[owner] = slices.DeleteFunc(msgs, func(m store.OfflineMessage) bool { return del[m.ID] })
	}
	return nil
}

// CountOffline implements store.Offline.
func (s *Store) CountOffline(_ context.Context, owner string) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.offline[owner]), nil
}

// PutSubscriptionRequest implements store.Presence; ErrNotFound if owner
// has no account. A replaced request keeps its place in the order.
func (s *Store) PutSubscriptionRequest(_ context.Context, owner string, req store.SubscriptionRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[owner]; !ok {
		return store.ErrNotFound
	}
	req.Stanza = slices.Clone(req.Stanza)
	list := s.requests[owner]
	if i := slices.IndexFunc(list, func(r store.SubscriptionRequest) bool { return r.From == req.From }); i >= 0 {
		list[i] = req
		return nil
	}
	s.requests[owner] = append(list, req)
	return nil
}

// DeleteSubscriptionRequest implements store.Presence.
func (s *Store) DeleteSubscriptionRequest(_ context.Context, owner, from string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if list, ok := s.requests[owner]; ok {
		s.requests[owner] = slices.DeleteFunc(list, func(r store.SubscriptionRequest) bool { return r.From == from })
	}
	return nil
}

// SubscriptionRequests implements store.Presence.
func (s *Store) SubscriptionRequests(_ context.Context, owner string) ([]store.SubscriptionRequest, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []store.SubscriptionRequest
	for _, r := range s.requests[owner] {
		r.Stanza = slices.Clone(r.Stanza)
		out = append(out, r)
	}
	return out, nil
}

// SetLastPresence implements store.Presence; ErrNotFound if owner has no
// account.
func (s *Store) SetLastPresence(_ context.Context, owner string, stanza []byte, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[owner]; !ok {
		return store.ErrNotFound
	}
	s.last[owner] = lastPresence{slices.Clone(stanza), msUTC(at)}
	return nil
}

// LastPresences implements store.Presence.
func (s *Store) LastPresences(_ context.Context, owners []string) (map[string]store.LastPresence, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]store.LastPresence)
	for _, o := range owners {
		if l, ok := s.last[o]; ok {
			out[o] = store.LastPresence{Stanza: slices.Clone(l.stanza), At: l.at}
		}
	}
	return out, nil
}

// LastPresence implements store.Presence.
func (s *Store) LastPresence(_ context.Context, owner string) ([]byte, time.Time, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, ok := s.last[owner]
	if !ok {
		return nil, time.Time{}, store.ErrNotFound
	}
	return slices.Clone(l.stanza), l.at, nil
}
