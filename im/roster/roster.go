// Package roster is the RFC 6121 engine for rosters, presence
// subscriptions and presence broadcast: roster get/set and pushes
// (§2, with XEP-0237 versioning), the subscription state machine (§3),
// and initial, broadcast, directed and unavailable presence and probes
// (§4).
//
// The rosters of users who are online are cached in memory, so presence
// fan-out never reads the database; the rosters of offline users are
// read from the store when a contact subscribes to them. A change
// updates the cached roster in place: its cost does not grow with the
// roster (it used to copy the whole roster, 4.3 ms per change at
// 10,000 items). A roster holds at most Config.MaxItems items.
//
// Locking: every change to user U's roster happens under stripe(U).
// An operation that involves two users (a subscription between A and
// B) changes A's roster, releases A's stripe, then takes B's: never two
// stripes at once. A cached roster's own RWMutex is taken inside the
// stripe by writers and alone by readers, and is held only while
// reading or writing the map (never while calling out). Engine.mu
// guards the cache map and the directed presence sets only, and is
// never held while taking a stripe or a roster's mutex.
package roster

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sort"
	"sync"

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
	router  router.Router
	isLocal func(domain string) bool
	exists  func(ctx context.Context, bare string) bool
	max     int
	log     *slog.Logger
	changed func(owner string)
	blocks  func(user string, other jid.JID) bool // XEP-0191; nil: none

	seed    maphash.Seed
	stripes [64]sync.Mutex

	mu       sync.Mutex
	cache    map[string]*cached
	directed map[jid.JID]map[jid.JID]struct{} // sender full JID -> directed presence recipients
}

// Config wires an Engine.
type Config struct {
	Store  Store
	Router router.Router
	// IsLocal reports whether a domain is served here.
	IsLocal func(domain string) bool
	// UserExists reports whether a local account exists.
	UserExists func(ctx context.Context, bare string) bool
	// MaxItems caps the items of one roster; an addition beyond it is
	// refused (roster set: <not-acceptable/>; a subscription that would
	// add a contact: <policy-violation/>). 0 means no cap.
	MaxItems int
	Logger   *slog.Logger
	// Changed, when set, is told of every change written to a roster
	// (the cluster tells the nodes that cache it, which Reload it).
	Changed func(owner string)

	// Blocks reports whether the local account user blocks other
	// (XEP-0191): no presence passes between them, either way. nil:
	// nobody blocks anyone.
	Blocks func(user string, other jid.JID) bool
}

// New returns an Engine.
func New(c Config) *Engine {
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Engine{
		store: c.Store, router: c.Router, isLocal: c.IsLocal, exists: c.UserExists, max: c.MaxItems, log: log, blocks: c.Blocks, changed: c.Changed,
		seed:     maphash.MakeSeed(),
		cache:    make(map[string]*cached),
		directed: make(map[jid.JID]map[jid.JID]struct{}),
	}
}

// roster is one user's roster in memory. An online user's is shared by
// their sessions and changed in place (under the owner's stripe and
// its write lock); an offline user's is loaded for one operation.
type roster struct {
	mu      sync.RWMutex
	version int64
	items   map[string]store.RosterItem // by contact bare JID
}

// cached is the in-memory roster of an online user.
type cached struct {
	refs int // sessions holding it; guarded by Engine.mu
	r    *roster
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
	r, err := e.load(ctx, bare)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.cache[bare]
	if !ok {
		c = &cached{r: r}
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

func (e *Engine) load(ctx context.Context, bare string) (*roster, error) {
	items, ver, err := e.store.Roster(ctx, bare)
	if err != nil {
		return nil, fmt.Errorf("roster: load %s: %w", bare, err)
	}
	r := &roster{version: ver, items: make(map[string]store.RosterItem, len(items))}
	for _, it := range items {
		r.items[it.Contact] = it
	}
	return r, nil
}

// view returns the current roster of bare: the cached one when the user
// is online, else a fresh load from the store.
func (e *Engine) view(ctx context.Context, bare string) (*roster, error) {
	e.mu.Lock()
	c := e.cache[bare]
	e.mu.Unlock()
	if c != nil {
		return c.r, nil
	}
	return e.load(ctx, bare)
}

// item returns owner's item for contact (ok false when absent): from
// the cache when owner is online, else that one item from the store.
// The caller holds stripe(owner) when it intends to change it.
func (e *Engine) item(ctx context.Context, owner, contact string) (store.RosterItem, bool, error) {
	e.mu.Lock()
	c := e.cache[owner]
	e.mu.Unlock()
	if c != nil {
		it, ok := c.r.get(contact)
		return it, ok, nil
	}
	it, err := e.store.RosterItem(ctx, owner, contact)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.RosterItem{}, false, nil
	case err != nil:
		return store.RosterItem{}, false, fmt.Errorf("roster: load %s/%s: %w", owner, contact, err)
	}
	return it, true, nil
}

// full reports whether owner's roster has no room for another item.
// The caller holds stripe(owner).
func (e *Engine) full(ctx context.Context, owner string) (bool, error) {
	if e.max <= 0 {
		return false, nil
	}
	r, err := e.view(ctx, owner)
	if err != nil {
		return false, err
	}
	return r.len() >= e.max, nil
}

// rosterFull is the error text for an addition to a full roster.
func (e *Engine) rosterFull() string {
	return fmt.Sprintf("your roster is full: it may hold %d contacts; remove some first", e.max)
}

// put stores an item and updates the cache; it pushes the change to
// owner's interested resources. The caller holds stripe(owner).
func (e *Engine) put(ctx context.Context, owner string, it store.RosterItem) error {
	ver, err := e.store.PutRosterItem(ctx, owner, it)
	if err != nil {
		return fmt.Errorf("roster: put %s/%s: %w", owner, it.Contact, err)
	}
	e.updateCache(owner, ver, it.Contact, &it)
	e.push(owner, ver, it, false)
	e.tellChanged(owner)
	return nil
}

// remove deletes an item, updates the cache and pushes the removal.
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
	e.tellChanged(owner)
	return nil
}

func (e *Engine) tellChanged(owner string) {
	if e.changed != nil {
		e.changed(owner)
	}
}

// Reload reads owner's roster again from the store if it is cached here:
// another node of the cluster changed it.
func (e *Engine) Reload(ctx context.Context, owner string) error {
	e.mu.Lock()
	c := e.cache[owner]
	e.mu.Unlock()
	if c == nil {
		return nil
	}
	mu := e.stripe(owner)
	mu.Lock()
	defer mu.Unlock()
	fresh, err := e.load(ctx, owner)
	if err != nil {
		return err
	}
	c.r.mu.Lock()
	c.r.version, c.r.items = fresh.version, fresh.items
	c.r.mu.Unlock()
	return nil
}

// updateCache applies one change to owner's cached roster, if owner is
// online: one map operation, whatever the roster's size.
func (e *Engine) updateCache(owner string, ver int64, contact string, it *store.RosterItem) {
	e.mu.Lock()
	c := e.cache[owner]
	e.mu.Unlock()
	if c != nil {
		c.r.apply(ver, contact, it)
	}
}

// apply sets contact's item (nil: removes it) and the version.
func (r *roster) apply(ver int64, contact string, it *store.RosterItem) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.version = ver
	if it == nil {
		delete(r.items, contact)
	} else {
		r.items[contact] = *it
	}
}

func (r *roster) get(contact string) (store.RosterItem, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	it, ok := r.items[contact]
	return it, ok
}

func (r *roster) len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.items)
}

func (r *roster) ver() int64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.version
}

// sortedItems returns the version and the items ordered by contact,
// for stable output.
func (r *roster) sortedItems() (int64, []store.RosterItem) {
	r.mu.RLock()
	out := make([]store.RosterItem, 0, len(r.items))
	for _, it := range r.items {
		out = append(out, it)
	}
	ver := r.version
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Contact < out[j].Contact })
	return ver, out
}

// subscribedFrom lists contacts with a subscription to owner's presence
// (from or both): the presence broadcast list.
func (r *roster) subscribedFrom() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []string
	for c, it := range r.items {
		if hasFrom(it) {
			out = append(out, c)
		}
	}
	return out
}

// subscribedTo lists contacts whose presence owner subscribes to (to
// or both): the probe list.
func (r *roster) subscribedTo() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []string
	for c, it := range r.items {
		if hasTo(it) {
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
