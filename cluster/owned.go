package cluster

import (
	"bytes"
	"context"
	"hash/fnv"
	"time"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Service is a component that keeps state per key (a conference room
// per room JID) and must hold each key on one node only.
type Service interface {
	router.Component
	// Loaded reports whether the service holds key's state now (a room
	// in memory); a key it no longer holds is released.
	Loaded(key string) bool
	// Unload drops key's state without telling its members: their
	// nodes rejoin it on the key's new owner.
	Unload(ctx context.Context, key string)
}

// Rejoiner is a Service whose members' joins can be replayed on a new
// owner (rooms): Rejoin takes such a replayed join.
type Rejoiner interface {
	Rejoin(ctx context.Context, el *xml.Element)
}

// Owned describes a service to hold per key (Own).
type Owned struct {
	// Domain is the service's domain.
	Domain string
	// Service is the local service.
	Service Service
	// Key names the key of a stanza addressed to 'to': a bare JID of
	// Domain ("" when any node may answer, e.g. disco of the service).
	Key func(to jid.JID) string
	// Replay, when set, makes the cluster remember each local session's
	// last available presence to a key (a room join) until it sends
	// unavailable or unbinds, and send it again, rewritten by Replay
	// (e.g. asking for no history), when the key moves to another node.
	Replay func(join *xml.Element) *xml.Element
}

// owned is a service held per key.
type owned struct {
	Owned
	r *Router
}

// Own returns the component to register for o.Domain in the router (in
// place of o.Service): it sends each stanza to the node that holds its
// key, claiming the key when that is this node.
func (r *Router) Own(o Owned) router.Component {
	w := &owned{Owned: o, r: r}
	r.ownedMu.Lock()
	r.owned[o.Domain] = w
	r.ownedMu.Unlock()
	return w
}

func (r *Router) ownedFor(domain string) *owned {
	r.ownedMu.RLock()
	defer r.ownedMu.RUnlock()
	return r.owned[domain]
}

// Receive implements router.Component for stanzas routed on this node.
func (w *owned) Receive(ctx context.Context, el *xml.Element) {
	to, err := jid.Parse(el.Attr("to"))
	if err != nil {
		w.Service.Receive(ctx, el)
		return
	}
	key := w.Key(to)
	if key == "" {
		w.Service.Receive(ctx, el)
		return
	}
	if w.Replay != nil && el.Name == stanza.Presence {
		w.r.trackJoin(el, to, key)
	}
	w.route(ctx, key, 0, el)
}

// route hands el to key's owner: here, or forwarded with flags.
func (w *owned) route(ctx context.Context, key string, flags byte, el *xml.Element) {
	node := w.r.ownerOf(key)
	if node == w.r.cfg.Node {
		w.handle(ctx, key, flags, el)
		return
	}
	w.r.stats.componentForwarded.Add(1)
	w.r.out.add(w.r.nodeSubject(node), true, func(b *bytes.Buffer) { putComponent(b, flags, el) })
}

// handle gives el to the local service, which holds key from now on
// (unless an older claim is known: then it gives it up once el is
// served).
func (w *owned) handle(ctx context.Context, key string, flags byte, el *xml.Element) {
	older := w.r.claim(key)
	if rj, ok := w.Service.(Rejoiner); ok && flags&compRejoin != 0 {
		rj.Rejoin(ctx, el)
	} else {
		w.Service.Receive(ctx, el)
	}
	if older {
		w.r.yield(key)
	}
}

// fromPeer handles a stanza another node sent for a service held here.
// If this node sees another owner (a claim the sender had not seen yet,
// or this node is draining) it passes it on once.
func (r *Router) fromPeer(from string, flags byte, el *xml.Element) {
	to, err := jid.Parse(el.Attr("to"))
	if err != nil {
		r.stats.badFrames.Add(1)
		return
	}
	if flags&compAtSession != 0 {
		r.ownedMu.RLock()
		l := r.located[to.Domain()]
		r.ownedMu.RUnlock()
		if l == nil {
			r.stats.badFrames.Add(1)
			return
		}
		r.stats.componentReceived.Add(1)
		r.submit(to.Bare().String(), func() { l.svc.Receive(r.ctx, el) })
		return
	}
	w := r.ownedFor(to.Domain())
	if w == nil {
		r.stats.badFrames.Add(1)
		return
	}
	key := w.Key(to)
	r.stats.componentReceived.Add(1)
	r.submit(key, func() {
		if key == "" {
			w.Service.Receive(r.ctx, el)
			return
		}
		if next, hop, pass := r.passOn(key, from, flags); pass {
			r.stats.componentForwarded.Add(1)
			r.out.add(r.nodeSubject(next), true, func(b *bytes.Buffer) { putComponent(b, flags|hop, el) })
			return
		}
		w.handle(r.ctx, key, flags, el)
	})
}

// passOn decides whether a stanza for key that peer from sent here goes
// on to another node, and with which hop flag. A first hop goes on to the
// owner this node sees when that is neither this node nor the sender (a
// claim the sender had not seen yet). A draining node passes on what it
// does not hold even after a second hop, and even to the sender: the
// sender's view may lag (a release still in flight), and a draining node
// must not take keys back. A last hop is handled where it lands, so a
// stanza never circles.
func (r *Router) passOn(key, from string, flags byte) (node string, hop byte, pass bool) {
	if flags&compLastHop != 0 {
		return "", 0, false
	}
	node = r.ownerOf(key)
	switch {
	case node == r.cfg.Node:
		return "", 0, false
	case r.draining.Load():
		return node, compSecondHop | compLastHop, true
	case flags&compSecondHop == 0 && node != from:
		return node, compSecondHop, true
	}
	return "", 0, false
}

// keyDomain is the domain of a key (a bare JID).
func keyDomain(key string) string {
	for i := 0; i < len(key); i++ {
		if key[i] == '@' {
			return key[i+1:]
		}
	}
	return key
}

// fresh reports whether p has been heard recently enough to hold keys:
// a peer silent for longer than PeerTimeout less one heartbeat is passed
// over a heartbeat before it is declared dead, so that the nodes that
// replay joins when they declare it dead find the new owner ready.
func (r *Router) fresh(p *peer, now time.Time) bool {
	return now.Sub(p.seen) <= r.cfg.PeerTimeout-r.cfg.Heartbeat
}

// ownerOf names the node that holds key: the earliest claim among this
// node and the fresh peers, else the node rendezvous hashing picks among
// those that are not draining (this one if all are).
func (r *Router) ownerOf(key string) string {
	now := r.now()
	me := r.cfg.Node
	r.regMu.RLock()
	defer r.regMu.RUnlock()
	best, found := claimant{}, false
	if since, ok := r.mineSince(key); ok {
		best, found = claimant{me, since}, true
	}
	for _, c := range r.claims[key] {
		p := r.peers[c.node]
		if p == nil || !r.fresh(p, now) {
			continue
		}
		if !found || olderClaim(c.at, c.node, best.at, best.node) {
			best, found = c, true
		}
	}
	if found {
		return best.node
	}
	owner, top := "", uint64(0)
	consider := func(node string) {
		if h := rendezvous(node, key); owner == "" || h > top || (h == top && node < owner) {
			owner, top = node, h
		}
	}
	if !r.draining.Load() {
		consider(me)
	}
	for _, p := range r.peers {
		if p.synced && !p.draining && r.fresh(p, now) {
			consider(p.name)
		}
	}
	if owner == "" {
		return me
	}
	return owner
}

// rendezvous is the weight of node for key (highest random weight
// hashing): the same on every node, so they agree without talking.
func rendezvous(node, key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(node))
	h.Write([]byte{0})
	h.Write([]byte(key))
	x := h.Sum64()
	// fmix64 (MurmurHash3's finalizer): FNV's low bits mix poorly.
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// mineSince returns when this node claimed key.
func (r *Router) mineSince(key string) (time.Time, bool) {
	r.bmu.Lock()
	defer r.bmu.Unlock()
	at, ok := r.mine[key]
	return at, ok
}

func (r *Router) claimCount() int {
	r.bmu.Lock()
	defer r.bmu.Unlock()
	return len(r.mine)
}

// claim makes this node the holder of key, announced to the peers. It
// reports whether an older claim was known already (this node was sent
// the key by a peer that had not heard of it): the caller serves the
// stanza at hand, then gives the key up (yield), and the joins follow
// the key to its holder.
func (r *Router) claim(key string) (older bool) {
	if _, ok := r.mineSince(key); ok {
		return false
	}
	at := r.now()
	claimed := false
	r.announce(func() bool {
		r.bmu.Lock()
		defer r.bmu.Unlock()
		if _, ok := r.mine[key]; ok {
			return false
		}
		r.mine[key], claimed = at, true
		return true
	}, func(b *bytes.Buffer, seq uint64) { putClaim(b, seq, key, at) })
	return claimed && r.ownerOf(key) != r.cfg.Node
}

// release gives key up, announced to the peers (whose sessions then
// rejoin it where it goes next).
func (r *Router) release(key string) bool {
	released := false
	r.announce(func() bool {
		r.bmu.Lock()
		defer r.bmu.Unlock()
		_, released = r.mine[key]
		delete(r.mine, key)
		return released
	}, func(b *bytes.Buffer, seq uint64) { putRelease(b, seq, key) })
	return released
}

// yield gives up key after losing it to an older claim: the local state
// goes, and this node's sessions rejoin it on its holder. It may be asked
// twice for one loss (the claim that served a stanza saw the older claim,
// and so did the peer messages); only the call that releases the key
// replays the joins, or the holder would get each one twice.
func (r *Router) yield(key string) {
	w := r.ownedFor(keyDomain(key))
	if w == nil {
		return
	}
	r.log.Info("another node holds this key: giving it up", "key", key)
	r.submit(key, func() {
		w.Service.Unload(r.ctx, key)
		if r.release(key) {
			r.moved(key)
		}
	})
}

// moved is told that key's holder went away or gave it up: the joins of
// local sessions are replayed to wherever it goes now.
func (r *Router) moved(key string) {
	r.stats.moves.Add(1)
	w := r.ownedFor(keyDomain(key))
	if w == nil || w.Replay == nil {
		return
	}
	joins := r.joinsOf(key)
	if len(joins) == 0 {
		return
	}
	r.submit(key, func() {
		for _, j := range joins {
			if _, ok := r.Table.Resource(j.session); !ok {
				continue // gone meanwhile
			}
			el := w.Replay(j.el)
			if el == nil {
				continue
			}
			r.stats.replays.Add(1)
			w.route(r.ctx, key, compRejoin, el)
		}
	})
}

// sweepClaims releases the keys the services no longer hold (a room
// emptied and unloaded), every heartbeat.
func (r *Router) sweepClaims(ctx context.Context) {
	t := time.NewTicker(r.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		r.bmu.Lock()
		keys := make([]string, 0, len(r.mine))
		for k := range r.mine {
			keys = append(keys, k)
		}
		r.bmu.Unlock()
		for _, k := range keys {
			w := r.ownedFor(keyDomain(k))
			if w == nil || !w.Service.Loaded(k) {
				r.release(k)
			}
		}
	}
}

// join is a local session's presence to a key, kept for replay.
type join struct {
	session jid.JID
	el      *xml.Element
}

// trackJoin records or forgets a local session's join of key.
func (r *Router) trackJoin(el *xml.Element, to jid.JID, key string) {
	from, err := jid.Parse(el.Attr("from"))
	if err != nil || from.IsBare() {
		return
	}
	if _, ok := r.Table.Resource(from); !ok {
		return
	}
	r.joinMu.Lock()
	defer r.joinMu.Unlock()
	switch el.Attr("type") {
	case "":
		if to.Resource() == "" {
			return
		}
		m := r.joins[key]
		if m == nil {
			m = make(map[jid.JID]*xml.Element)
			r.joins[key] = m
		}
		m[from] = el
		if r.joined[from] == nil {
			r.joined[from] = make(map[string]struct{})
		}
		r.joined[from][key] = struct{}{}
	case "unavailable":
		r.dropJoin(from, key)
	}
}

// dropJoin forgets one join (joinMu held).
func (r *Router) dropJoin(from jid.JID, key string) {
	if m := r.joins[key]; m != nil {
		delete(m, from)
		if len(m) == 0 {
			delete(r.joins, key)
		}
	}
	if k := r.joined[from]; k != nil {
		delete(k, key)
		if len(k) == 0 {
			delete(r.joined, from)
		}
	}
}

// forgetJoins forgets the joins of a session that unbound.
func (r *Router) forgetJoins(full jid.JID) {
	r.joinMu.Lock()
	defer r.joinMu.Unlock()
	for key := range r.joined[full] {
		r.dropJoin(full, key)
	}
}

// joinsOf lists the local sessions' joins of key.
func (r *Router) joinsOf(key string) []join {
	r.joinMu.Lock()
	defer r.joinMu.Unlock()
	out := make([]join, 0, len(r.joins[key]))
	for s, el := range r.joins[key] {
		out = append(out, join{s, el})
	}
	return out
}

// keysHeld lists the keys this node holds, for draining.
func (r *Router) keysHeld() []string {
	r.bmu.Lock()
	defer r.bmu.Unlock()
	out := make([]string, 0, len(r.mine))
	for k := range r.mine {
		out = append(out, k)
	}
	return out
}

// AtSession returns the component to register for domain in place of
// svc, for a service whose addresses are users with sessions (live
// help's guests): a stanza to one of them goes to the node that holds
// that user's session, where the service keeps its state; to a user
// with no session anywhere, to the local service.
func (r *Router) AtSession(domain string, svc router.Component) router.Component {
	w := &atSession{r: r, svc: svc}
	r.ownedMu.Lock()
	r.located[domain] = w
	r.ownedMu.Unlock()
	return w
}

type atSession struct {
	r   *Router
	svc router.Component
}

func (w *atSession) Receive(ctx context.Context, el *xml.Element) {
	to, err := jid.Parse(el.Attr("to"))
	if err != nil || to.Local() == "" {
		w.svc.Receive(ctx, el)
		return
	}
	if w.r.Table.Online(to.Bare().String()) {
		w.svc.Receive(ctx, el)
		return
	}
	for _, res := range w.r.Resources(to.Bare().String()) {
		if rs, ok := res.Session.(*remoteSession); ok {
			w.r.stats.componentForwarded.Add(1)
			w.r.out.add(w.r.nodeSubject(rs.node), true, func(b *bytes.Buffer) { putComponent(b, compAtSession, el) })
			return
		}
	}
	w.svc.Receive(ctx, el)
}
