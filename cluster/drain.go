package cluster

import (
	"context"
	"sort"
)

// Drain prepares this node to stop: it tells the peers it is draining
// (they stop sending it new rooms), and gives up every key it holds:
// each service unloads it and the sessions that had joined it (on every
// node, this one's included) rejoin it on its next owner. It returns the
// number of keys given up. The server then asks its clients to
// reconnect elsewhere (ReconnectTo).
func (r *Router) Drain(ctx context.Context) int {
	if r.draining.Swap(true) {
		return 0
	}
	r.log.Info("draining: giving up rooms and services")
	r.heartbeat() // tell the peers now, not at the next tick
	n := 0
	for _, key := range r.keysHeld() {
		if ctx.Err() != nil {
			break
		}
		w := r.ownedFor(keyDomain(key))
		if w != nil {
			w.Service.Unload(ctx, key)
		}
		if r.release(key) {
			n++
			r.moved(key)
		}
	}
	return n
}

// ReconnectTo names where this node's clients should go when it drains:
// the advertised address of a live peer that is not draining, taking
// them in turn ("" if none advertises one: clients then reconnect to
// the address they used, the load balancer's).
func (r *Router) ReconnectTo() string {
	now := r.now()
	r.regMu.RLock()
	defer r.regMu.RUnlock()
	var addrs []string
	for _, p := range r.peers {
		if !p.draining && p.address != "" && r.fresh(p, now) {
			addrs = append(addrs, p.address)
		}
	}
	if len(addrs) == 0 {
		return ""
	}
	sort.Strings(addrs)
	i := r.nextAddr.Add(1)
	return addrs[int(i%uint64(len(addrs)))]
}

// Leads reports whether this node comes first, by name, among itself
// and the peers it hears: for work one node of the cluster does on
// behalf of all (storing a lost session's last presence).
func (r *Router) Leads() bool {
	now := r.now()
	r.regMu.RLock()
	defer r.regMu.RUnlock()
	for _, p := range r.peers {
		if p.name < r.cfg.Node && r.fresh(p, now) {
			return false
		}
	}
	return true
}
