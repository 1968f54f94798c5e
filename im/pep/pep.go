// Package pep is personal eventing (XEP-0163) on the subset of
// publish-subscribe (XEP-0060) that modern clients use: every account is
// a pubsub service with nodes it publishes to (avatars, nicknames,
// bookmarks, OMEMO keys...). Nodes are created on first publish,
// configured by publish-options (XEP-0223 private nodes included) or
// the owner form, read by id or by number, and their items retracted.
//
// Who may read a node is its access model: presence (the default:
// contacts subscribed to the owner's presence), open, roster (contacts
// in some roster groups) or whitelist (the owner only). Notifications go
// to the owner's resources and to permitted contacts' available
// resources whose entity capabilities (XEP-0115, package caps) include
// the node's "+notify" feature; a resource becoming available gets the
// last item of each such node.
//
// Nodes and items live in the store, within limits (nodes per account,
// items per node, item size). Node configurations and small last items
// are cached in memory per owner (bounded, with a time to live), so a
// login's last-item delivery does not read the database per contact.
// The cache is this process's own: every change is told to
// Config.Changed, and the nodes of a cluster Invalidate their copy. The
// capabilities cache and the last items of nodes that do not persist
// items stay per process (docs/cluster.md).
//
// Locking: every change to owner O's nodes happens under stripe(O),
// which also covers loading O's cache entry, so the cache never goes
// back in time; Service.mu guards the maps and is taken inside a stripe,
// never the other way round, and never while calling out. No two
// stripes are held at once.
package pep

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"time"

	"github.com/parley-im/parley/im/caps"
	"github.com/parley-im/parley/im/roster"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// Config wires a Service.
type Config struct {
	Store  store.PEP
	Router router.Router
	Roster *roster.Engine
	Caps   *caps.Cache
	// Blocks reports whether the local account user blocks other
	// (XEP-0191); nil: nobody blocks anyone.
	Blocks  func(user string, other jid.JID) bool
	IsLocal func(domain string) bool
	// Limits.
	MaxNodes     int
	MaxItems     int
	MaxItemBytes int
	// OnPublish hears every item published (the avatar conversion of
	// XEP-0398 listens here); nil: nobody listens.
	OnPublish func(ctx context.Context, p Published)
	// Changed, when set, is told of every change written to an owner's
	// nodes or items (the nodes of a cluster drop their cached copy:
	// Invalidate).
	Changed func(owner string)
	Logger  *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Published tells that an item was published to an account's node.
type Published struct {
	Owner   string // bare JID
	Node    string
	ItemID  string
	Payload *xml.Element
	// ByServer: the server published it on the owner's behalf (XEP-0398
	// conversion, the bookmarks compatibility view), not the client.
	ByServer bool
}

// Item is an item as read through the internal API.
type Item struct {
	ID        string
	Publisher string
	Payload   *xml.Element
	Published time.Time
}

// cacheTTL bounds how long a cached owner may miss a change made by
// another process (parley user remove, another node).
const (
	cacheTTL       = 10 * time.Minute
	cacheOwners    = 10000
	cachedItemSize = 8 << 10  // last items up to this size are kept in memory,
	cacheBudget    = 64 << 20 // up to this many bytes of them in all
)

// Service is the PEP service of every local account.
type Service struct {
	cfg Config
	log *slog.Logger

	seed    maphash.Seed
	stripes [64]sync.Mutex

	mu        sync.Mutex
	owners    map[string]*ownerState      // cached owners
	transient map[ownerNode]store.PEPItem // last item of nodes that do not persist items
	seen      map[jid.JID]string          // full JID -> capabilities it last announced
	cached    int                         // bytes of last items in owners' cache entries
}

type ownerNode struct{ owner, node string }

// ownerState is the cached view of one owner's nodes.
type ownerState struct {
	loaded time.Time
	nodes  map[string]*nodeState
}

type nodeState struct {
	cfg NodeConfig
	// last is the newest item when lastKnown (nil: the node has none);
	// unknown when the newest item is too large to cache.
	last      *store.PEPItem
	lastKnown bool
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Service{cfg: cfg, log: log, seed: maphash.MakeSeed(),
		owners:    make(map[string]*ownerState),
		transient: make(map[ownerNode]store.PEPItem),
		seen:      make(map[jid.JID]string)}
}

func (s *Service) stripe(owner string) *sync.Mutex {
	return &s.stripes[maphash.String(s.seed, owner)%uint64(len(s.stripes))]
}

// state returns owner's cached nodes, loading them when needed. The
// caller holds stripe(owner). The returned state is changed only under
// that stripe and s.mu.
func (s *Service) state(ctx context.Context, owner string) (*ownerState, error) {
	now := s.cfg.Now()
	s.mu.Lock()
	st, ok := s.owners[owner]
	s.mu.Unlock()
	if ok && now.Sub(st.loaded) < cacheTTL {
		return st, nil
	}
	nodes, err := s.cfg.Store.PEPNodes(ctx, owner)
	if err != nil {
		return nil, fmt.Errorf("pep: nodes of %s: %w", owner, err)
	}
	st = &ownerState{loaded: now, nodes: make(map[string]*nodeState, len(nodes))}
	for _, n := range nodes {
		st.nodes[n.Node] = &nodeState{cfg: decodeConfig(n.Config)}
	}
	s.mu.Lock()
	if len(s.owners) >= cacheOwners {
		for k := range s.owners {
			s.evict(k)
			if len(s.owners) < cacheOwners/2 {
				break
			}
		}
	}
	s.evict(owner) // an expired entry
	s.owners[owner] = st
	s.mu.Unlock()
	return st, nil
}

// evict drops owner's cache entry and its bytes (s.mu held).
func (s *Service) evict(owner string) {
	if st, ok := s.owners[owner]; ok {
		for _, n := range st.nodes {
			s.setLast(n, nil, false)
		}
		delete(s.owners, owner)
	}
}

// view returns a copy of owner's node configurations (for readers that
// do not hold the stripe).
func (s *Service) view(ctx context.Context, owner string) (map[string]NodeConfig, error) {
	mu := s.stripe(owner)
	mu.Lock()
	defer mu.Unlock()
	st, err := s.state(ctx, owner)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]NodeConfig, len(st.nodes))
	for name, n := range st.nodes {
		out[name] = n.cfg
	}
	return out, nil
}

// lastItem returns the newest item of a node (ok false if it has none).
func (s *Service) lastItem(ctx context.Context, owner, node string) (store.PEPItem, bool, error) {
	mu := s.stripe(owner)
	mu.Lock()
	defer mu.Unlock()
	st, err := s.state(ctx, owner)
	if err != nil {
		return store.PEPItem{}, false, err
	}
	s.mu.Lock()
	n := st.nodes[node]
	if n == nil {
		s.mu.Unlock()
		return store.PEPItem{}, false, nil
	}
	if !n.cfg.PersistItems {
		it, ok := s.transient[ownerNode{owner, node}]
		s.mu.Unlock()
		return it, ok, nil
	}
	if n.lastKnown {
		defer s.mu.Unlock()
		if n.last == nil {
			return store.PEPItem{}, false, nil
		}
		return *n.last, true, nil
	}
	s.mu.Unlock()
	items, err := s.cfg.Store.PEPItems(ctx, owner, node, store.PEPItemQuery{Max: 1})
	if errors.Is(err, store.ErrNotFound) {
		return store.PEPItem{}, false, nil
	}
	if err != nil {
		return store.PEPItem{}, false, fmt.Errorf("pep: last item of %s %s: %w", owner, node, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(items) == 0 {
		s.setLast(n, nil, true)
		return store.PEPItem{}, false, nil
	}
	s.setLast(n, &items[0], true)
	return items[0], true, nil
}

// setLast records what the cache knows of a node's newest item (s.mu
// held): it (nil: the node has none) when known, else nothing. An item
// too large, or over the cache's byte budget, is left to the store.
func (s *Service) setLast(n *nodeState, it *store.PEPItem, known bool) {
	if n.last != nil {
		s.cached -= len(n.last.Payload)
	}
	n.last, n.lastKnown = nil, false
	switch {
	case !known:
	case it == nil:
		n.lastKnown = true
	case len(it.Payload) <= cachedItemSize && s.cached+len(it.Payload) <= cacheBudget:
		c := *it
		n.last, n.lastKnown = &c, true
		s.cached += len(c.Payload)
	}
}

// Invalidate drops the cached configurations and last items of owner's
// nodes, which another node of a cluster changed: they are read again
// from the store. The last items of nodes that do not persist items are
// kept (they are in no store).
func (s *Service) Invalidate(owner string) {
	mu := s.stripe(owner)
	mu.Lock()
	defer mu.Unlock()
	s.dropOwner(owner)
}

// changed tells Config.Changed that owner's nodes changed.
func (s *Service) changed(owner string) {
	if s.cfg.Changed != nil {
		s.cfg.Changed(owner)
	}
}

// Forget drops everything cached about an account (when it is removed).
func (s *Service) Forget(owner string) {
	mu := s.stripe(owner)
	mu.Lock()
	defer mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.evict(owner)
	for k := range s.transient {
		if k.owner == owner {
			delete(s.transient, k)
		}
	}
}

func newItemID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// parsePayload turns a stored payload back into an element.
func parsePayload(b []byte) (*xml.Element, error) {
	return xml.ParseElement(b, ns.PubSub, xml.Limits{MaxStanzaBytes: len(b) + 1, MaxDepth: 64, MaxAttrs: 256})
}

func (s *Service) blocked(a string, b jid.JID) bool {
	if s.cfg.Blocks == nil {
		return false
	}
	aj, err := jid.Parse(a)
	if err != nil {
		return false
	}
	return s.cfg.Blocks(a, b) || (b.Local() != "" && s.cfg.IsLocal(b.Domain()) && s.cfg.Blocks(b.Bare().String(), aj))
}
