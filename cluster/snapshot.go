package cluster

import (
	"bytes"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/parley-im/parley/xmpp/jid"
)

// snapshotTimeout bounds the wait for each chunk of a peer's snapshot.
const snapshotTimeout = 10 * time.Second

// serveSnapshot answers a peer's request for this node's table: every
// local session (bind, presence, flags) and claim, as of announcement
// number seq, in as many messages as it takes, the last one ending with
// fSnapEnd.
func (r *Router) serveSnapshot(msg *nats.Msg) {
	if msg.Reply == "" {
		return
	}
	var b bytes.Buffer
	var chunks [][]byte
	flush := func(force bool) {
		if b.Len() >= r.out.maxMsg/2 || force {
			chunks = append(chunks, bytes.Clone(b.Bytes()))
			b.Reset()
			header(&b, r.cfg.Node, r.epoch, r.now())
		}
	}
	header(&b, r.cfg.Node, r.epoch, r.now())
	// The table, the bind times and the claims are read under pubMu, so
	// they are exactly the state after announcement seq.
	r.pubMu.Lock()
	seq := r.seq
	r.bmu.Lock()
	for _, s := range r.Table.All() {
		j := s.JID()
		res, ok := r.Table.Resource(j)
		if !ok {
			continue
		}
		full := j.String()
		putBind(&b, 0, full, r.bound[j])
		if res.Available {
			putPresence(&b, 0, full, true, res.Priority, res.Presence)
		}
		var flags byte
		if res.Interested {
			flags |= flagInterested
		}
		if res.Carbons {
			flags |= flagCarbons
		}
		if flags != 0 {
			putFlags(&b, 0, full, flags)
		}
		flush(false)
	}
	for key, at := range r.mine {
		putClaim(&b, 0, key, at)
		flush(false)
	}
	r.bmu.Unlock()
	r.pubMu.Unlock()
	putSnapEnd(&b, seq)
	flush(true)
	for _, c := range chunks {
		if err := r.cfg.Conn.Publish(msg.Reply, c); err != nil {
			r.log.Warn("snapshot reply", "err", err)
			return
		}
	}
	r.stats.snapshotsServed.Add(1)
}

// sync fetches peer p's table and replaces what the replica holds of it.
func (r *Router) sync(p peerRef) {
	err := r.fetch(p)
	if err != nil {
		r.log.Warn("cannot fetch a peer's sessions; trying again at its next heartbeat", "peer", p.name, "err", err)
		r.regMu.Lock()
		if cur := r.peers[p.name]; cur != nil && cur.epoch == p.epoch {
			cur.syncing, cur.pending = false, nil
		}
		r.regMu.Unlock()
	}
}

func (r *Router) fetch(p peerRef) error {
	conn := r.cfg.Conn
	inbox := conn.NewRespInbox()
	sub, err := conn.SubscribeSync(inbox)
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	sub.SetPendingLimits(-1, -1)
	if err := conn.PublishRequest("parley."+r.cfg.Name+".snap."+p.name, inbox, []byte(r.cfg.Node)); err != nil {
		return err
	}
	var frames []frame
	var end *frame
	for end == nil {
		msg, err := sub.NextMsg(snapshotTimeout)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrSnapshot, err)
		}
		m, err := decodeMessage(msg.Data)
		if err != nil {
			return err
		}
		if m.Node != p.name || m.Epoch != p.epoch {
			return fmt.Errorf("%w: answered by %s/%d", ErrSnapshot, m.Node, m.Epoch)
		}
		for i := range m.Frames {
			if m.Frames[i].Kind == fSnapEnd {
				end = &m.Frames[i]
				break
			}
			frames = append(frames, m.Frames[i])
		}
	}
	r.stats.snapshotsFetched.Add(1)

	var ev events
	r.regMu.Lock()
	cur := r.peers[p.name]
	if cur == nil || cur.epoch != p.epoch {
		r.regMu.Unlock()
		return nil // it left meanwhile
	}
	// Replace its table: what vanished is reported like a lost session
	// (a missed unbind), claims that vanished move.
	old, oldClaims := cur.res, cur.claims
	for _, rr := range old {
		r.removeRes(rr)
	}
	for key := range oldClaims {
		r.dropClaimant(key, cur.name)
	}
	cur.res, cur.claims = make(map[jid.JID]*remoteRes), make(map[string]time.Time)
	for i := range frames {
		r.applyEntry(cur, &frames[i], &ev)
	}
	for j, rr := range old {
		if _, still := cur.res[j]; !still {
			ev.changed(rr.jid.Bare().String())
		}
	}
	for _, rr := range cur.res {
		ev.changed(rr.jid.Bare().String())
	}
	for key := range oldClaims {
		if _, still := cur.claims[key]; !still {
			ev.move(key)
		}
	}
	cur.seq, cur.synced, cur.syncing = end.Seq, true, false
	// Announcements that arrived while the snapshot was on its way
	// continue it.
	for i := range cur.pending {
		f := &cur.pending[i]
		if f.Seq <= cur.seq {
			continue
		}
		if f.Seq != cur.seq+1 {
			cur.synced = false
			break
		}
		cur.seq = f.Seq
		r.applyEntry(cur, f, &ev)
	}
	cur.pending = nil
	r.regMu.Unlock()
	r.act(&ev)
	return nil
}
