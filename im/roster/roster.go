// Package roster is the RFC 6121 engine for rosters, presence
// subscriptions and presence broadcast: roster get/set and pushes
// (§2, with XEP-0237 versioning), the subscription state machine (§3),
// and initial, broadcast, directed and unavailable presence and probes
// (§4).
//
// The rosters of users who are online are cached in memory (copy-on-
// write snapshots), so presence fan-out never reads the database; the
// rosters of offline users are read from the store when a contact
// subscribes to them.
//
// Locking: every change to user U's roster happens under stripe(U).
// An operation that involves two users (a subscription between A and
// B) changes A's roster, releases A's stripe, then takes B's: never two
// stripes at once. Engine.mu guards the cache map and the directed
// presence sets only, and is never held while taking a stripe.
package roster

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
)

// Store is what the engine persists.
type Store interface {
	store.Rosters
	store.Presence
}

// Engine implements rosters and presence for the local domains.
type Engine struct {
	store   Store
	router  *router.Router
	isLocal func(domain string) bool
	exists  func(ctx context.Context, bare string) bool
	log     *slog.Logger

	seed    maphash.Seed
	stripes [64]sync.Mutex

	mu       sync.Mutex
	cache    map[string]*cached
	directed map[jid.JID]map[jid.JID]struct{} // sender full JID -> directed presence recipients
}

// Config wires an Engine.
type Config struct {
	Store  Store
	Router *router.Router
	// IsLocal reports whether a domain is served here.
	IsLocal func(domain string) bool
	// UserExists reports whether a local account exists.
	UserExists func(ctx context.Context, bare string) bool
	Logger     *slog.Logger
}

// New returns an Engine.
func New(c Config) *Engine {
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Engine{
		store: c.Store, router: c.Router, isLocal: c.IsLocal, exists: c.UserExists, log: log,
		seed:     maphash.MakeSeed(),
		cache:    make(map[string]*cached),
		directed: make(map[jid.JID]map[jid.JID]struct{}),
	}
}

// snapshot is an immutable view of one roster.
type snapshot struct {
	version int64
	items   map[string]store.RosterItem // by contact bare JID
}

// cached is the in-memory roster of an online user.
type cached struct {
	refs int // sessions holding it; guarded by Engine.mu
	snap atomic.Pointer[snapshot]
}

func (e *Engine) stripe(bare string) *sync.Mutex {
	return &e.stripes[maphash.String(e.seed, bare)%uint64(len(e.stripes))]
}

// Acquire loads the roster of bare into the cache for a new session;
// every Acquire is paired with a Release when the session ends.
func (e *Engine) Acquire(ctx context.Context, bare string) error {
	e.mu.Lock()
	if c, ok := e.cache[bare]; ok {
		c.refs++
		e.mu.Unlock()
		return nil
	}
	e.mu.Unlock()

	mu := e.stripe(bare)
	mu.Lock()
	defer mu.Unlock()
	snap, err := e.load(ctx, bare)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.cache[bare]
	if !ok {
		c = &cached{}
		c.snap.Store(snap)
		e.cache[bare] = c
	}
	c.refs++
	return nil
}

// Release drops a session's hold on the cached roster.
func (e *Engine) Release(bare string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.cache[bare]; ok {
		c.refs--
		if c.refs <= 0 {
			delete(e.cache, bare)
		}
	}
}

func (e *Engine) load(ctx context.Context, bare string) (*snapshot, error) {
	items, ver, err := e.store.Roster(ctx, bare)
	if err != nil {
		return nil, fmt.Errorf("roster: load %s: %w", bare, err)
	}
	s := &snapshot{version: ver, items: make(map[string]store.RosterItem, len(items))}
	for _, it := range items {
		s.items[it.Contact] = it
	}
	return s, nil
}

// view returns the current roster of bare: the cached snapshot when the
// user is online, else a fresh load from the store.
func (e *Engine) view(ctx context.Context, bare string) (*snapshot, error) {
	e.mu.Lock()
	c := e.cache[bare]
	e.mu.Unlock()
	if c != nil {
		return c.snap.Load(), nil
	}
	return e.load(ctx, bare)
}

// item returns owner's item for contact (ok false when absent). The
// caller holds stripe(owner) when it intends to change it.
func (e *Engine) item(ctx context.Context, owner, contact string) (store.RosterItem, bool, error) {
	s, err := e.view(ctx, owner)
	if err != nil {
		return store.RosterItem{}, false, err
	}
	it, ok := s.items[contact]
	return it, ok, nil
}

// put stores an item and refreshes the cache; it pushes the change to
// owner's interested resources. The caller holds stripe(owner).
func (e *Engine) put(ctx context.Context, owner string, it store.RosterItem) error {
	ver, err := e.store.PutRosterItem(ctx, owner, it)
	if err != nil {
		return fmt.Errorf("roster: put %s/%s: %w", owner, it.Contact, err)
	}
	e.updateCache(owner, ver, it.Contact, &it)
	e.push(owner, ver, it, false)
	return nil
}

// remove deletes an item, refreshes the cache and pushes the removal.
// The caller holds stripe(owner).
func (e *Engine) remove(ctx context.Context, owner string, it store.RosterItem) error {
	ver, err := e.store.DeleteRosterItem(ctx, owner, it.Contact)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("roster: delete %s/%s: %w", owner, it.Contact, err)
	}
	e.updateCache(owner, ver, it.Contact, nil)
	e.push(owner, ver, it, true)
	return nil
}

func (e *Engine) updateCache(owner string, ver int64, contact string, it *store.RosterItem) {
	e.mu.Lock()
	c := e.cache[owner]
	e.mu.Unlock()
	if c == nil {
		return
	}
	old := c.snap.Load()
	next := &snapshot{version: ver, items: make(map[string]store.RosterItem, len(old.items)+1)}
	for k, v := range old.items {
		next.items[k] = v
	}
	if it == nil {
		delete(next.items, contact)
	} else {
		next.items[contact] = *it
	}
	c.snap.Store(next)
}

// sortedItems returns the items ordered by contact, for stable output.
func (s *snapshot) sortedItems() []store.RosterItem {
	out := make([]store.RosterItem, 0, len(s.items))
	for _, it := range s.items {
		out = append(out, it)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Contact < out[j].Contact })
	return out
}

// subscribedFrom lists contacts with a subscription to owner's presence
// (from or both): the presence broadcast list.
func (s *snapshot) subscribedFrom() []string {
	var out []string
	for c, it := range s.items {
		if it.Subscription == store.SubFrom || it.Subscription == store.SubBoth {
			out = append(out, c)
		}
	}
	return out
}

// subscribedTo lists contacts whose presence owner subscribes to (to
// or both): the probe list.
func (s *snapshot) subscribedTo() []string {
	var out []string
	for c, it := range s.items {
		if it.Subscription == store.SubTo || it.Subscription == store.SubBoth {
			out = append(out, c)
		}
	}
	return out
}

func hasFrom(it store.RosterItem) bool {
	return it.Subscription == store.SubFrom || it.Subscription == store.SubBoth
}

func hasTo(it store.RosterItem) bool {
	return it.Subscription == store.SubTo || it.Subscription == store.SubBoth
}
