package c2s

import (
	"context"
	"net/netip"
	"time"

	"github.com/parley-im/parley/internal/netlimit"
	"github.com/parley-im/parley/xmpp/stream"
)

// Connection and session limits.
//
// Every admitted connection takes a slot counted against
// MaxConnections and MaxPerIP. A session that waits for a stream
// resumption (XEP-0198) keeps the slot of the connection it lost until
// it is resumed or expires: waiting sessions count like live ones, so
// a client cannot pile them up by resetting connections. Live
// connections come first, though: at a limit, the oldest waiting
// session (of the same address for the per-address limit) ends to
// make room, and what its client never acknowledged goes to offline
// storage as when it expires.
//
// The bound sessions of an account, waiting ones included, are capped
// at MaxSessionsPerAccount; a new resource at the cap replaces the
// account's oldest waiting session, or is refused.
//
// All of this is guarded by Server.mu.

// addrKey is the key under which per-address limits count a client:
// its IPv4 address, or the /64 of its IPv6 address (netlimit.Prefix,
// as the HTTP listeners count).
func addrKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	return netlimit.Prefix(a.WithZone("")).String()
}

// connSlot is an admitted connection's place in the connection limits.
// Its connection's goroutine releases it when the connection ends,
// unless a session waiting for a resumption holds it; then it goes when
// that session is resumed or expires.
type connSlot struct {
	key      string
	held     bool // by a waiting session (Server.mu)
	released bool // (Server.mu)
}

// waitingSession is a session waiting for a resumption, as the limits
// see it.
type waitingSession struct {
	slot  *connSlot
	since time.Time
}

// admit applies the connection limits and registers s, with its slot.
// Sessions waiting for a resumption that must give way are expired in
// the background.
func (srv *Server) admit(s *Session) string {
	srv.mu.Lock()
	var victims, closing []*Session
	defer func() {
		srv.mu.Unlock()
		for _, v := range victims {
			go v.expire(context.Background())
		}
		for _, v := range closing {
			v.Close(stream.Errorf(stream.PolicyViolation, "too many connections are waiting to log in: log in faster"))
		}
	}()
	key := addrKey(s.remote)
	if srv.stopping {
		return "shutdown"
	}
	if srv.redirecting {
		return "draining"
	}
	if srv.cfg.MaxConnections > 0 && srv.conns >= srv.cfg.MaxConnections {
		v := srv.evictWaitingLocked(func(w waitingSession, _ *Session) bool { return true })
		if v == nil {
			return "max_connections"
		}
		victims = append(victims, v)
	}
	if srv.cfg.MaxPerIP > 0 && srv.perAddr[key] >= srv.cfg.MaxPerIP {
		v := srv.evictWaitingLocked(func(w waitingSession, _ *Session) bool { return w.slot.key == key })
		if v == nil {
			return "max_connections_per_ip"
		}
		victims = append(victims, v)
	}
	v, reason := srv.enterPreloginLocked(s, key)
	if reason != "" {
		return reason
	}
	if v != nil {
		srv.metrics.ConnRejected.WithLabelValues("prelogin_gave_way").Inc()
		closing = append(closing, v)
	}
	srv.sessions[s] = struct{}{}
	srv.conns++
	srv.perAddr[key]++
	s.slot = &connSlot{key: key}
	srv.wg.Add(1)
	return ""
}

// connectionDone is called when the goroutine of the connection that s
// was admitted on ends: the connection is no longer live, and its slot
// goes unless a waiting session holds it.
func (srv *Server) connectionDone(s *Session, slot *connSlot) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	delete(srv.sessions, s)
	srv.leavePreloginLocked(s)
	if !slot.held {
		srv.releaseSlotLocked(slot)
	}
}

func (srv *Server) releaseSlotLocked(slot *connSlot) {
	if slot == nil || slot.released {
		return
	}
	slot.released = true
	srv.conns--
	if srv.perAddr[slot.key]--; srv.perAddr[slot.key] <= 0 {
		delete(srv.perAddr, slot.key)
	}
}

// evictWaitingLocked picks the session that has waited longest among
// those match accepts, releases its slot and forgets it as waiting; the
// caller expires it. nil if none matches.
func (srv *Server) evictWaitingLocked(match func(waitingSession, *Session) bool) *Session {
	var oldest *Session
	var since time.Time
	for s, w := range srv.waiting {
		if match(w, s) && (oldest == nil || w.since.Before(since)) {
			oldest, since = s, w.since
		}
	}
	if oldest != nil {
		srv.releaseSlotLocked(srv.waiting[oldest].slot)
		delete(srv.waiting, oldest)
		srv.metrics.ConnRejected.WithLabelValues("waiting_session_ended").Inc()
	}
	return oldest
}

// holdWaiting records s as waiting for a resumption, holding slot
// (called with s.mu held).
func (srv *Server) holdWaiting(s *Session, slot *connSlot) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if slot == nil || slot.released {
		return
	}
	slot.held = true
	srv.waiting[s] = waitingSession{slot: slot, since: time.Now()}
}

// endWaiting forgets s as waiting and releases the slot it held:
// it was resumed (on a connection with a slot of its own) or expired.
func (srv *Server) endWaiting(s *Session) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if w, ok := srv.waiting[s]; ok {
		srv.releaseSlotLocked(w.slot)
		delete(srv.waiting, s)
	}
}

// claimAccountSession reserves a session of s.user for s, about to bind
// full; false if the account is at its limit. At the limit a binding
// that replaces a session with the same full JID is allowed, else the
// account's longest waiting session ends to make room.
func (srv *Server) claimAccountSession(s *Session, resource string) bool {
	srv.mu.Lock()
	var victim *Session
	defer func() {
		srv.mu.Unlock()
		if victim != nil {
			victim.expire(context.Background())
		}
	}()
	set := srv.accounts[s.user]
	if max := srv.cfg.MaxSessionsPerAccount; max > 0 && len(set) >= max {
		replaces := false
		for _, other := range set {
			if other.jid.Resource() == resource {
				replaces = true
			}
		}
		if !replaces {
			victim = srv.evictWaitingLocked(func(_ waitingSession, w *Session) bool { return w.user == s.user })
			if victim == nil {
				return false
			}
		}
	}
	srv.accounts[s.user] = append(set, s)
	return true
}

// dropAccountSession undoes claimAccountSession once s has ended (or
// failed to start).
func (srv *Server) dropAccountSession(s *Session) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	set := srv.accounts[s.user]
	for i, other := range set {
		if other == s {
			set[i] = set[len(set)-1]
			set[len(set)-1] = nil
			set = set[:len(set)-1]
			break
		}
	}
	if len(set) == 0 {
		delete(srv.accounts, s.user)
	} else {
		srv.accounts[s.user] = set
	}
}

// Pre-login slots.
//
// Connections that have not yet authenticated take a second slot, in a
// pool of their own: MaxPrelogin in total, MaxPreloginPerIP per
// address. Idle unauthenticated connections (cheap to open, they cost
// the attacker no account) thus never fill the connection limits that
// logged-in users need, and a login is given a shorter deadline
// (PreloginTimeout). When the pool is full, the address holding the
// most pre-login slots loses its oldest connection to a newcomer from
// an address holding fewer: an attacker who fills the pool from many
// addresses keeps losing slots to legitimate logins, each of which
// needs its slot only for the moment a login takes.

// enterPreloginLocked takes a pre-login slot for s (key is its address
// key); it returns the reason for a refusal, or the connection that
// gave way (to be closed once Server.mu is released).
func (srv *Server) enterPreloginLocked(s *Session, key string) (victim *Session, reason string) {
	if srv.cfg.MaxPreloginPerIP > 0 && len(srv.prelogin[key]) >= srv.cfg.MaxPreloginPerIP {
		return nil, "max_prelogin_connections_per_ip"
	}
	if srv.cfg.MaxPrelogin > 0 && srv.preloginCount >= srv.cfg.MaxPrelogin {
		var most string
		for k, conns := range srv.prelogin {
			if most == "" || len(conns) > len(srv.prelogin[most]) {
				most = k
			}
		}
		if most == "" || len(srv.prelogin[most]) <= len(srv.prelogin[key]) {
			return nil, "max_prelogin_connections"
		}
		victim = srv.prelogin[most][0]
		srv.leavePreloginLocked(victim)
	}
	srv.prelogin[key] = append(srv.prelogin[key], s)
	srv.preloginCount++
	s.preKey = key
	return victim, ""
}

// leavePreloginLocked gives up s's pre-login slot; false if it had none
// (it authenticated already, or gave way to another connection).
func (srv *Server) leavePreloginLocked(s *Session) bool {
	conns := srv.prelogin[s.preKey]
	for i, c := range conns {
		if c == s {
			conns = append(conns[:i], conns[i+1:]...)
			if len(conns) == 0 {
				delete(srv.prelogin, s.preKey)
			} else {
				srv.prelogin[s.preKey] = conns
			}
			srv.preloginCount--
			return true
		}
	}
	return false
}

// loggedIn moves s out of the pre-login pool once it has authenticated;
// false if s gave way to another connection meanwhile (it is closing).
func (srv *Server) loggedIn(s *Session) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.leavePreloginLocked(s)
}
