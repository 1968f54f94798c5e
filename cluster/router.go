package cluster

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/xml"
)

// Config configures a node.
type Config struct {
	// Name is the cluster's name: nodes with the same name on one NATS
	// form one cluster (it prefixes every subject).
	Name string
	// Node is this node's name, unique in the cluster.
	Node string
	// Conn is the NATS connection (package bus).
	Conn *nats.Conn
	// Heartbeat is how often this node says it is alive (default 1s).
	Heartbeat time.Duration
	// PeerTimeout is how long a silent peer is thought alive (default
	// 3 heartbeats): its sessions vanish and its services move after it.
	PeerTimeout time.Duration
	// Address is where this node's clients may reconnect (host:port),
	// told to the clients of a draining node ("" for none).
	Address string
	// XMLLimits bound the stanzas peers send (the c2s limits).
	XMLLimits xml.Limits
	Logger    *slog.Logger
	// Now is the clock (time.Now if nil).
	Now func() time.Time
}

// Hooks are the server's answers to what the cluster cannot decide. Set
// them with SetHooks before Start; nil hooks are skipped.
type Hooks struct {
	// Undeliverable gets a stanza forwarded to a session of this node
	// that is gone: a message goes to offline storage, an iq request is
	// answered with an error.
	Undeliverable func(ctx context.Context, el *xml.Element, to jid.JID)
	// DeliverOffline gets a local session that holds the best resource of
	// a user for whom another node stored offline messages.
	DeliverOffline func(ctx context.Context, s router.Session)
	// SessionsLost gets the resources of a peer that died or left
	// without unbinding them (its clients lost their connection).
	SessionsLost func(ctx context.Context, lost []router.Resource)
	// Changed is told that a peer changed what of the account bare
	// (this node may keep a copy in memory: it drops or reloads it).
	// Unknown values of what (from a newer peer) are ignored.
	Changed func(ctx context.Context, what Data, bare string)
	// RemotePresence gets the presence another server sent to a local
	// user that a peer received and shared (ShareRemotePresence).
	RemotePresence func(ctx context.Context, presence *xml.Element)
}

// Data names what of an account the nodes keep copies of in memory and
// any node may change: the node that changes it tells the others with
// Router.Changed.
type Data byte

// The account data whose changes the nodes tell each other.
const (
	DataRoster    Data = 1 + iota // the roster (cached while the user is online)
	DataBlocklist                 // the XEP-0191 block list (held in memory)
	DataVCard                     // the vCard (its photo hash is cached)
	DataPEP                       // PEP nodes' configurations and last items (cached)
)

func (d Data) String() string {
	switch d {
	case DataRoster:
		return "roster"
	case DataBlocklist:
		return "block list"
	case DataVCard:
		return "vCard"
	case DataPEP:
		return "PEP"
	}
	return fmt.Sprintf("data(%d)", byte(d))
}

// change is one Changed frame from a peer.
type change struct {
	what Data
	bare string
}

// nameRE is what a cluster or node name may be: it goes into subjects.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidName reports whether s may name a cluster or a node.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// Router is this node of the cluster: router.Router over the local
// table and the replica of the other nodes' sessions. Create it with
// New, set its hooks, register owned services (Own), then Start it.
type Router struct {
	*router.Table

	cfg     Config
	log     *slog.Logger
	epoch   uint64
	subAll  string
	subSelf string
	subSnap string
	out     *outbox
	hooks   Hooks
	ctx     context.Context // the node's: ends at Stop
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	subs    []*nats.Subscription
	in      chan *nats.Msg
	work    []chan func()
	started atomic.Bool

	// pubMu orders this node's announcements (see the package doc).
	pubMu sync.Mutex
	seq   uint64
	// bmu guards bound and mine, changed under pubMu too (a leaf lock).
	bmu      sync.Mutex
	bound    map[jid.JID]time.Time // when each local session bound
	mine     map[string]time.Time  // keys this node claims -> since
	draining atomic.Bool
	nextAddr atomic.Uint64 // ReconnectTo's turn

	regMu    sync.RWMutex
	peers    map[string]*peer
	gone     map[string]uint64 // node -> epoch that left or died (late frames ignored)
	byBare   map[string][]*remoteRes
	claims   map[string][]claimant // key -> peers claiming it
	watchers []func(bare string)

	ownedMu sync.RWMutex
	owned   map[string]*owned     // service domain -> its wrapper
	located map[string]*atSession // service domain -> its wrapper (AtSession)

	callMu sync.RWMutex
	calls  map[string]CallFunc // operations peers may run here (call.go)

	// joinMu guards the local sessions' joins of keys (a leaf lock).
	joinMu sync.Mutex
	joins  map[string]map[jid.JID]*xml.Element // key -> session -> its last join
	joined map[jid.JID]map[string]struct{}     // session -> keys it joined

	stats stats
}

var _ router.Router = (*Router)(nil)

// New returns a node; nothing is sent before Start.
func New(cfg Config) (*Router, error) {
	if !ValidName(cfg.Name) || !ValidName(cfg.Node) {
		return nil, fmt.Errorf("%w: cluster and node names are 1 to 64 letters, digits, '-' or '_' (got %q, %q)", ErrConfig, cfg.Name, cfg.Node)
	}
	if cfg.Conn == nil {
		return nil, fmt.Errorf("%w: no NATS connection (a cluster needs nats.url or the embedded NATS)", ErrConfig)
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = time.Second
	}
	if cfg.PeerTimeout <= 0 {
		cfg.PeerTimeout = 3 * cfg.Heartbeat
	}
	if cfg.PeerTimeout < 2*cfg.Heartbeat {
		cfg.PeerTimeout = 2 * cfg.Heartbeat
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.XMLLimits.MaxStanzaBytes == 0 {
		cfg.XMLLimits = xml.DefaultLimits
	}
	prefix := "parley." + cfg.Name + "."
	r := &Router{
		Table: router.New(), cfg: cfg, log: cfg.Logger.With("component", "cluster", "node", cfg.Node),
		// The start time orders a node's incarnations: a restarted node
		// has a greater epoch, and its old self's late frames are ignored.
		epoch:  uint64(cfg.Now().UnixNano()),
		subAll: prefix + "all", subSelf: prefix + "node." + cfg.Node, subSnap: prefix + "snap." + cfg.Node,
		bound: make(map[jid.JID]time.Time), mine: make(map[string]time.Time),
		peers: make(map[string]*peer), gone: make(map[string]uint64),
		byBare: make(map[string][]*remoteRes), claims: make(map[string][]claimant),
		owned: make(map[string]*owned), located: make(map[string]*atSession), calls: make(map[string]CallFunc),
		joins: make(map[string]map[jid.JID]*xml.Element), joined: make(map[jid.JID]map[string]struct{}),
	}
	maxMsg := 512 << 10
	if mp := int(cfg.Conn.MaxPayload()); mp > 0 && mp-1024 < maxMsg {
		maxMsg = mp - 1024
	}
	r.out = newOutbox(cfg.Node, r.epoch, maxMsg, cfg.Now, cfg.Conn.Publish)
	r.out.onError = func(subject string, err error) {
		r.log.Warn("publish", "subject", subject, "err", err)
	}
	r.stats.init()
	return r, nil
}

// SetHooks sets the server's hooks (before Start).
func (r *Router) SetHooks(h Hooks) { r.hooks = h }

// NodeName is this node's name.
func (r *Router) NodeName() string { return r.cfg.Node }

func (r *Router) now() time.Time { return r.cfg.Now() }

// announce makes a change to the local table under pubMu and queues the
// frame that tells the peers, numbered in order.
func (r *Router) announce(change func() bool, write func(b *bytes.Buffer, seq uint64)) {
	r.pubMu.Lock()
	defer r.pubMu.Unlock()
	if !change() {
		return
	}
	r.seq++
	seq := r.seq
	r.out.add(r.subAll, false, func(b *bytes.Buffer) { write(b, seq) })
}

// Bind implements router.Router: the session is bound locally and
// announced. A session bound to the same full JID on another node is
// returned as replaced (closing it closes it there).
func (r *Router) Bind(s router.Session) router.Session {
	j := s.JID()
	at := r.now()
	var replaced router.Session
	r.announce(func() bool {
		replaced = r.Table.Bind(s)
		r.bmu.Lock()
		r.bound[j] = at
		r.bmu.Unlock()
		return true
	}, func(b *bytes.Buffer, seq uint64) { putBind(b, seq, j.String(), at) })
	if replaced == nil {
		if res, ok := r.remoteResource(j); ok {
			replaced = res.Session
		}
	}
	return replaced
}

// Unbind implements router.Router.
func (r *Router) Unbind(s router.Session) (last router.Resource, ok bool) {
	j := s.JID()
	r.announce(func() bool {
		last, ok = r.Table.Unbind(s)
		if ok {
			r.bmu.Lock()
			delete(r.bound, j)
			r.bmu.Unlock()
		}
		return ok
	}, func(b *bytes.Buffer, seq uint64) { putUnbind(b, seq, j.String()) })
	if ok {
		r.forgetJoins(j)
	}
	return last, ok
}

// current reports whether s is the session bound to its JID here.
func (r *Router) current(s router.Session) bool {
	res, ok := r.Table.Resource(s.JID())
	return ok && res.Session == s
}

// SetPresence implements router.Router.
func (r *Router) SetPresence(s router.Session, available bool, priority int, presence *xml.Element) (wasAvailable bool, wasPriority int) {
	j := s.JID()
	r.announce(func() bool {
		wasAvailable, wasPriority = r.Table.SetPresence(s, available, priority, presence)
		return r.current(s)
	}, func(b *bytes.Buffer, seq uint64) { putPresence(b, seq, j.String(), available, priority, presence) })
	return wasAvailable, wasPriority
}

// SetInterested implements router.Router.
func (r *Router) SetInterested(s router.Session) {
	r.setFlags(s, func() { r.Table.SetInterested(s) })
}

// SetCarbons implements router.Router.
func (r *Router) SetCarbons(s router.Session, on bool) {
	r.setFlags(s, func() { r.Table.SetCarbons(s, on) })
}

func (r *Router) setFlags(s router.Session, set func()) {
	j := s.JID()
	var flags byte
	r.announce(func() bool {
		set()
		res, ok := r.Table.Resource(j)
		if !ok || res.Session != s {
			return false
		}
		if res.Interested {
			flags |= flagInterested
		}
		if res.Carbons {
			flags |= flagCarbons
		}
		return true
	}, func(b *bytes.Buffer, seq uint64) { putFlags(b, seq, j.String(), flags) })
}

// Resources implements router.Router: this node's resources of bare,
// then the other nodes'.
func (r *Router) Resources(bare string) []router.Resource {
	local := r.Table.Resources(bare)
	r.regMu.RLock()
	remote := r.byBare[bare]
	if len(remote) == 0 {
		r.regMu.RUnlock()
		return local
	}
	out := make([]router.Resource, len(local), len(local)+len(remote))
	copy(out, local)
	for _, rr := range remote {
		out = append(out, rr.res)
	}
	r.regMu.RUnlock()
	return out
}

// Resource implements router.Router.
func (r *Router) Resource(full jid.JID) (router.Resource, bool) {
	if res, ok := r.Table.Resource(full); ok {
		return res, true
	}
	return r.remoteResource(full)
}

func (r *Router) remoteResource(full jid.JID) (router.Resource, bool) {
	r.regMu.RLock()
	defer r.regMu.RUnlock()
	for _, rr := range r.byBare[full.Bare().String()] {
		if rr.jid == full {
			return rr.res, true
		}
	}
	return router.Resource{}, false
}

// Online implements router.Router.
func (r *Router) Online(bare string) bool {
	if r.Table.Online(bare) {
		return true
	}
	r.regMu.RLock()
	defer r.regMu.RUnlock()
	return len(r.byBare[bare]) > 0
}

// OnPresence implements router.Router: fn hears of local and remote
// availability changes. Registered at start.
func (r *Router) OnPresence(fn func(bare string)) {
	r.Table.OnPresence(fn)
	r.regMu.Lock()
	r.watchers = append(r.watchers, fn)
	r.regMu.Unlock()
}

// IsRemote reports whether s is a session of another node (as found in
// a Resource of a cluster Router).
func IsRemote(s router.Session) bool {
	_, ok := s.(*remoteSession)
	return ok
}

// OfflineStored tells the cluster that a message was stored offline for
// bare: the node holding bare's best resource delivers it (the user may
// have come online on any node while the message was stored).
func (r *Router) OfflineStored(bare string) {
	r.out.add(r.subAll, false, func(b *bytes.Buffer) { putOffline(b, bare) })
	r.offlineNotice(bare)
}

// Changed tells the peers that what of the account bare changed (they
// drop or reload their copy).
func (r *Router) Changed(what Data, bare string) {
	r.out.add(r.subAll, false, func(b *bytes.Buffer) { putChanged(b, what, bare) })
}

// ShareRemotePresence gives the other nodes a presence stanza another
// server sent to a local user (with its from and to), which this node
// received and the others keep too (network presence).
func (r *Router) ShareRemotePresence(el *xml.Element) {
	r.out.add(r.subAll, false, func(b *bytes.Buffer) { putRemote(b, el) })
}

// RosterChanged is Changed(DataRoster, bare), the roster engine's hook.
func (r *Router) RosterChanged(bare string) { r.Changed(DataRoster, bare) }

// offlineNotice delivers bare's offline messages if this node holds its
// best resource.
func (r *Router) offlineNotice(bare string) {
	if r.hooks.DeliverOffline == nil {
		return
	}
	var best router.Resource
	found := false
	for _, res := range r.Resources(bare) {
		if res.Available && res.Priority >= 0 && (!found || res.Priority > best.Priority) {
			best, found = res, true
		}
	}
	if !found || IsRemote(best.Session) {
		return
	}
	r.submit(bare, func() { r.hooks.DeliverOffline(r.ctx, best.Session) })
}
