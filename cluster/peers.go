package cluster

import (
	"bytes"
	"context"
	"sort"
	"time"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// peer is what this node knows of another node (regMu).
type peer struct {
	name     string
	epoch    uint64
	seen     time.Time // last message from it
	joined   time.Time // first message of this incarnation
	seq      uint64    // its last announcement applied
	synced   bool      // its table is known (a snapshot was applied)
	syncing  bool      // a snapshot request is under way
	draining bool
	address  string
	sessions uint64
	res      map[jid.JID]*remoteRes
	claims   map[string]time.Time
	pending  []frame // announcements received while a snapshot is fetched
}

// maxPendingFrames bounds the announcements kept while a snapshot is
// fetched; beyond them another snapshot is fetched.
const maxPendingFrames = 100000

// remoteRes is one session of a peer, as replicated here.
type remoteRes struct {
	jid     jid.JID
	node    string
	boundAt time.Time
	res     router.Resource // Session is a *remoteSession
}

// claimant is a peer's claim on a key.
type claimant struct {
	node string
	at   time.Time
}

// remoteSession stands for a session of another node: what is
// delivered to it is forwarded there.
type remoteSession struct {
	r    *Router
	node string
	jid  jid.JID
}

func (s *remoteSession) JID() jid.JID { return s.jid }

// Deliver forwards el to the session's node; it never blocks (a node
// that does not keep up loses stanzas, as a slow client would).
func (s *remoteSession) Deliver(el *xml.Element) {
	full := s.jid.String()
	if s.r.out.add(s.r.nodeSubject(s.node), true, func(b *bytes.Buffer) { putDeliver(b, full, el) }) {
		s.r.stats.forwarded.Add(1)
	} else {
		s.r.stats.dropped.Add(1)
	}
}

// Close asks the session's node to close it.
func (s *remoteSession) Close(err *stream.Error) {
	full := s.jid.String()
	cond, text := string(stream.UndefinedCondition), ""
	if err != nil {
		cond, text = string(err.Condition), err.Text
	}
	s.r.out.add(s.r.nodeSubject(s.node), false, func(b *bytes.Buffer) { putClose(b, full, cond, text) })
}

func (r *Router) nodeSubject(node string) string {
	return "parley." + r.cfg.Name + ".node." + node
}

// events are what applying peers' messages changed, acted upon once
// regMu is released.
type events struct {
	presence    map[string]struct{} // bare JIDs whose availability may have changed
	conflicts   []jid.JID           // local sessions a newer bind elsewhere replaces
	lost        []router.Resource   // sessions of a peer that died or left
	moved       map[string]struct{} // keys whose claim vanished
	offline     []string            // offline notices
	dataChanged []change            // account data changed on a peer
	remote      []*xml.Element      // presence from other servers a peer shares
	sync        []peerRef           // peers whose table must be fetched
	lostClaim   []string            // keys this node lost to an older claim
}

type peerRef struct {
	name  string
	epoch uint64
}

func (ev *events) changed(bare string) {
	if ev.presence == nil {
		ev.presence = make(map[string]struct{})
	}
	ev.presence[bare] = struct{}{}
}

func (ev *events) move(key string) {
	if ev.moved == nil {
		ev.moved = make(map[string]struct{})
	}
	ev.moved[key] = struct{}{}
}

// onBroadcast applies a message from the cluster subject.
func (r *Router) onBroadcast(m message) {
	if m.Node == r.cfg.Node {
		if m.Epoch != r.epoch {
			r.stats.nameClash.Add(1)
			r.log.Error("another node runs with this node's name: give every node its own cluster.node", "epoch", m.Epoch)
		}
		return
	}
	now := r.now()
	var ev events
	r.regMu.Lock()
	if e, ok := r.gone[m.Node]; ok && m.Epoch <= e {
		r.regMu.Unlock()
		return // late frames of an incarnation that left or died
	}
	p := r.peers[m.Node]
	if p != nil && p.epoch != m.Epoch {
		if m.Epoch < p.epoch {
			r.regMu.Unlock()
			return
		}
		r.dropPeer(p, &ev) // restarted: its old sessions are gone
		p = nil
	}
	if p == nil {
		p = &peer{name: m.Node, epoch: m.Epoch, joined: now, res: make(map[jid.JID]*remoteRes), claims: make(map[string]time.Time)}
		r.peers[m.Node] = p
		r.log.Info("peer joined", "peer", m.Node)
	}
	p.seen = now
	for i := range m.Frames {
		f := &m.Frames[i]
		switch f.Kind {
		case fHeartbeat:
			p.draining = f.Flags&hbDraining != 0
			p.address, p.sessions = f.Text, f.Sessions
			if p.synced && f.Seq > p.seq {
				p.synced = false // an announcement was lost
			}
		case fLeaving:
			r.dropPeer(p, &ev)
			delete(r.peers, p.name)
			r.gone[p.name] = p.epoch
			r.log.Info("peer left", "peer", p.name)
			p = nil
		case fOffline:
			ev.offline = append(ev.offline, f.JID)
		case fChanged:
			ev.dataChanged = append(ev.dataChanged, change{Data(f.Flags), f.JID})
		case fRemote:
			if el, err := xml.ParseElement(f.Stanza, ns.Client, r.cfg.XMLLimits); err == nil && el.Name == "presence" {
				ev.remote = append(ev.remote, el)
			} else {
				r.stats.badFrames.Add(1)
			}
		default:
			if !p.synced {
				if p.syncing && len(p.pending) < maxPendingFrames {
					p.pending = append(p.pending, *f) // applied after the snapshot
				}
				continue
			}
			if f.Seq <= p.seq {
				continue // already applied
			}
			if f.Seq != p.seq+1 {
				p.synced = false
				continue
			}
			p.seq = f.Seq
			r.applyEntry(p, f, &ev)
		}
		if p == nil {
			break
		}
	}
	if p != nil && !p.synced && !p.syncing {
		p.syncing = true
		ev.sync = append(ev.sync, peerRef{p.name, p.epoch})
	}
	r.regMu.Unlock()
	r.act(&ev)
}

// applyEntry applies one announcement (or snapshot entry) of p (regMu
// held).
func (r *Router) applyEntry(p *peer, f *frame, ev *events) {
	switch f.Kind {
	case fBind:
		j, err := jid.Parse(f.JID)
		if err != nil || j.IsBare() {
			return
		}
		if old := p.res[j]; old != nil {
			r.removeRes(old)
		}
		rr := &remoteRes{jid: j, node: p.name, boundAt: f.At,
			res: router.Resource{Session: &remoteSession{r: r, node: p.name, jid: j}}}
		p.res[j] = rr
		bare := j.Bare().String()
		r.byBare[bare] = append(r.byBare[bare], rr)
		if at, ok := r.localBound(j); ok && newerBind(f.At, p.name, at, r.cfg.Node) {
			ev.conflicts = append(ev.conflicts, j)
		}
	case fUnbind:
		j, err := jid.Parse(f.JID)
		if err != nil {
			return
		}
		if rr := p.res[j]; rr != nil {
			delete(p.res, j)
			r.removeRes(rr)
			ev.changed(j.Bare().String())
		}
	case fPresence:
		rr := r.entry(p, f.JID)
		if rr == nil {
			return
		}
		rr.res.Available, rr.res.Priority, rr.res.Presence = f.Available, f.Priority, nil
		rr.res.Changed = r.now()
		if f.Available && len(f.Stanza) > 0 {
			el, err := xml.ParseElement(f.Stanza, ns.Client, r.cfg.XMLLimits)
			if err != nil {
				r.stats.badFrames.Add(1)
			} else {
				rr.res.Presence = el
			}
		}
		ev.changed(rr.jid.Bare().String())
	case fFlags:
		if rr := r.entry(p, f.JID); rr != nil {
			rr.res.Interested = f.Flags&flagInterested != 0
			rr.res.Carbons = f.Flags&flagCarbons != 0
		}
	case fClaim:
		p.claims[f.JID] = f.At
		r.claims[f.JID] = append(removeClaimant(r.claims[f.JID], p.name), claimant{p.name, f.At})
		if since, ok := r.mineSince(f.JID); ok && olderClaim(f.At, p.name, since, r.cfg.Node) {
			ev.lostClaim = append(ev.lostClaim, f.JID)
		}
	case fRelease:
		if _, ok := p.claims[f.JID]; ok {
			delete(p.claims, f.JID)
			r.dropClaimant(f.JID, p.name)
			ev.move(f.JID)
		}
	}
}

// entry returns p's resource with full JID s (regMu held).
func (r *Router) entry(p *peer, s string) *remoteRes {
	j, err := jid.Parse(s)
	if err != nil {
		return nil
	}
	return p.res[j]
}

// removeRes takes rr out of byBare (regMu held).
func (r *Router) removeRes(rr *remoteRes) {
	bare := rr.jid.Bare().String()
	list := r.byBare[bare]
	next := make([]*remoteRes, 0, len(list))
	for _, x := range list {
		if x.jid != rr.jid || x.node != rr.node {
			next = append(next, x)
		}
	}
	if len(next) == 0 {
		delete(r.byBare, bare)
	} else {
		r.byBare[bare] = next
	}
}

func removeClaimant(list []claimant, node string) []claimant {
	out := list[:0:0]
	for _, c := range list {
		if c.node != node {
			out = append(out, c)
		}
	}
	return out
}

func (r *Router) dropClaimant(key, node string) {
	if next := removeClaimant(r.claims[key], node); len(next) > 0 {
		r.claims[key] = next
	} else {
		delete(r.claims, key)
	}
}

// dropPeer forgets p's sessions and claims (regMu held); the sessions
// are reported lost, the claims moved.
func (r *Router) dropPeer(p *peer, ev *events) {
	for _, rr := range p.res {
		r.removeRes(rr)
		ev.lost = append(ev.lost, rr.res)
		ev.changed(rr.jid.Bare().String())
	}
	for key := range p.claims {
		r.dropClaimant(key, p.name)
		ev.move(key)
	}
	p.res, p.claims = make(map[jid.JID]*remoteRes), make(map[string]time.Time)
}

// localBound returns when the local session with JID j bound.
func (r *Router) localBound(j jid.JID) (time.Time, bool) {
	r.bmu.Lock()
	defer r.bmu.Unlock()
	at, ok := r.bound[j]
	return at, ok
}

// newerBind orders two binds of one full JID: the later wins, the node
// name breaks a tie.
func newerBind(at time.Time, node string, than time.Time, thanNode string) bool {
	if !at.Equal(than) {
		return at.After(than)
	}
	return node > thanNode
}

// olderClaim orders two claims of one key: the earlier wins, the node
// name breaks a tie.
func olderClaim(at time.Time, node string, than time.Time, thanNode string) bool {
	if !at.Equal(than) {
		return at.Before(than)
	}
	return node < thanNode
}

// act carries out what applying messages changed (regMu released).
func (r *Router) act(ev *events) {
	if len(ev.presence) > 0 {
		r.regMu.RLock()
		watchers := r.watchers
		r.regMu.RUnlock()
		for bare := range ev.presence {
			for _, fn := range watchers {
				fn(bare)
			}
		}
	}
	for _, j := range ev.conflicts {
		if res, ok := r.Table.Resource(j); ok {
			r.stats.conflicts.Add(1)
			res.Session.Close(stream.Errorf(stream.Conflict, "replaced by a new connection"))
		}
	}
	if len(ev.lost) > 0 && r.hooks.SessionsLost != nil {
		lost := ev.lost
		r.submit("", func() { r.hooks.SessionsLost(r.ctx, lost) })
	}
	for _, key := range ev.lostClaim {
		r.yield(key)
	}
	for key := range ev.moved {
		r.moved(key)
	}
	for _, bare := range ev.offline {
		r.offlineNotice(bare)
	}
	if h := r.hooks.RemotePresence; h != nil {
		for _, el := range ev.remote {
			r.submit(el.Attr("to"), func() { h(r.ctx, el) })
		}
	}
	if h := r.hooks.Changed; h != nil {
		for _, c := range ev.dataChanged {
			r.submit(c.bare, func() { h(r.ctx, c.what, c.bare) })
		}
	}
	for _, p := range ev.sync {
		go r.sync(p)
	}
}

// heartbeat says this node is alive, and finds the peers that are not.
func (r *Router) heartbeat() {
	r.stats.tick(r.now())
	var flags byte
	if r.draining.Load() {
		flags |= hbDraining
	}
	sessions := r.Table.Count()
	r.pubMu.Lock()
	seq := r.seq
	r.out.add(r.subAll, false, func(b *bytes.Buffer) { putHeartbeat(b, seq, flags, sessions, r.cfg.Address) })
	r.pubMu.Unlock()

	now := r.now()
	var ev events
	r.regMu.Lock()
	for name, p := range r.peers {
		if now.Sub(p.seen) > r.cfg.PeerTimeout {
			r.log.Warn("peer lost: no heartbeat", "peer", name, "silent", now.Sub(p.seen).Round(time.Millisecond).String(), "sessions", len(p.res))
			r.dropPeer(p, &ev)
			delete(r.peers, name)
			r.gone[name] = p.epoch
			r.stats.peersLost.Add(1)
		}
	}
	r.regMu.Unlock()
	r.act(&ev)
}

// runHeartbeats sends heartbeats until ctx ends.
func (r *Router) runHeartbeats(ctx context.Context) {
	t := time.NewTicker(r.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			r.heartbeat()
		case <-ctx.Done():
			return
		}
	}
}

// PeerInfo describes a peer, for status pages and `parley node`.
type PeerInfo struct {
	Node     string
	Seen     time.Time
	Joined   time.Time
	Synced   bool
	Draining bool
	Address  string
	Sessions int // bound sessions it announced
	Claims   int
}

// Peers lists the live peers, by name.
func (r *Router) Peers() []PeerInfo {
	r.regMu.RLock()
	out := make([]PeerInfo, 0, len(r.peers))
	for _, p := range r.peers {
		out = append(out, PeerInfo{Node: p.name, Seen: p.seen, Joined: p.joined, Synced: p.synced, Draining: p.draining,
			Address: p.address, Sessions: len(p.res), Claims: len(p.claims)})
	}
	r.regMu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out
}

// Everyone implements router.Router: this node's sessions and the
// replica of the other nodes'.
func (r *Router) Everyone() []router.Session {
	out := r.Table.All()
	r.regMu.RLock()
	defer r.regMu.RUnlock()
	for _, p := range r.peers {
		for _, rr := range p.res {
			out = append(out, rr.res.Session)
		}
	}
	return out
}

// RemoteSessions is the number of other nodes' sessions in the replica.
func (r *Router) RemoteSessions() int {
	r.regMu.RLock()
	defer r.regMu.RUnlock()
	n := 0
	for _, p := range r.peers {
		n += len(p.res)
	}
	return n
}
