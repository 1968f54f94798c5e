// Package router keeps the table of bound client sessions and their
// presence state, and delivers stanzas to them. It knows nothing about
// rosters or storage: the delivery rules of RFC 6121 live in package im,
// which asks the router who is online.
//
// Router is the seam between the server and where sessions live: Table
// is the table of this node's sessions (a single node uses it alone);
// package cluster's Router adds the sessions bound on the other nodes of
// a cluster, whose Session values forward what is delivered to them.
//
// It also decides, in one place, where the stanzas for a domain go
// (Route): a served host (local users), a component (an internal
// service such as conference rooms, or an external component), or
// another server (the remote sender, federation). The decision is one
// atomic load and one map read.
//
// Locking (Table): one RWMutex guards the table and every Resource's presence
// fields. It is never held while calling into a Session (Deliver and
// Close only queue work), so no lock ordering issue arises with session
// locks; presence watchers (OnPresence) run after it is released. The
// domain table is copied on write under the same mutex and read
// without it.
package router

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// Session is a bound client session as the router sees it.
type Session interface {
	// JID is the session's full JID.
	JID() jid.JID
	// Deliver queues a stanza for the client; it never blocks. A session
	// whose queue overflows disconnects itself (slow consumer).
	Deliver(el *xml.Element)
	// Close ends the session with a stream error; it never blocks.
	Close(err *stream.Error)
}

// Drainer is a Session that can tell when what was delivered to it has
// left the server: producers of bulk deliveries (offline messages, an
// archive query's results) pace themselves with it instead of filling
// the session's bounded queue, which would disconnect the client as a
// slow consumer.
type Drainer interface {
	// Drain returns once everything delivered to the session before the
	// call has been written to its connection; an error if the session
	// ended or lost its connection first, or ctx ended.
	Drain(ctx context.Context) error
	// HandedOver is Drain, and with stream management (XEP-0198) also
	// waits until the client has acknowledged all of it: then the
	// client has it, and storage may forget it.
	HandedOver(ctx context.Context) error
}

// Resource is a snapshot of one bound resource and its presence.
type Resource struct {
	Session    Session
	Available  bool         // has sent available presence
	Priority   int          // from its last available presence
	Presence   *xml.Element // last available presence it broadcast (nil if none)
	Changed    time.Time    // when its presence was last set (zero before the first)
	Interested bool         // requested the roster (gets roster pushes)
	Carbons    bool         // enabled message carbons (XEP-0280)
}

// Component serves every address of a domain that is not a user host,
// such as a multi-user chat service on conference.<host>.
type Component interface {
	// Receive handles a stanza addressed to the component's domain,
	// stamped with its sender's full JID in from. It must not block on
	// the sender and must never route a stanza back into itself
	// synchronously.
	Receive(ctx context.Context, el *xml.Element)
}

// Router is what the server asks of the session table: who is bound
// where, with which presence, and where a domain's stanzas go. Table is
// the node's own table; a cluster's Router also knows the sessions of
// the other nodes.
type Router interface {
	// Bind registers s under its full JID. If a session is already bound
	// to that full JID it is replaced and returned, so the caller can
	// close it with <conflict/> (RFC 6120 §7.7.2.2: the new session
	// wins).
	Bind(s Session) (replaced Session)
	// Unbind removes s if it is still the session bound to its JID and
	// returns its last state; ok is false if it was not bound (or
	// already replaced by a newer session).
	Unbind(s Session) (last Resource, ok bool)
	// SetPresence records the session's broadcast presence and reports
	// the previous availability and priority.
	SetPresence(s Session, available bool, priority int, presence *xml.Element) (wasAvailable bool, wasPriority int)
	// SetInterested marks s as an interested resource (RFC 6121 §2.1.6).
	SetInterested(s Session)
	// SetCarbons records whether s wants message carbons (XEP-0280).
	SetCarbons(s Session, on bool)
	// Resources returns snapshots of the resources bound for a bare JID.
	Resources(bare string) []Resource
	// Resource returns the snapshot of the resource bound to a full JID.
	Resource(full jid.JID) (Resource, bool)
	// Online reports whether any resource of bare is bound.
	Online(bare string) bool
	// Count is the number of sessions bound on this node.
	Count() int
	// All returns every session bound on this node (for shutdown).
	All() []Session
	// Everyone returns every session bound anywhere: on a cluster's
	// node, this node's and the other nodes' (whose Deliver forwards);
	// on a single server, All.
	Everyone() []Session
	// OnPresence registers fn to be told of the bare JIDs whose
	// availability may have changed (see Table.OnPresence).
	OnPresence(fn func(bare string))

	// Route, SetHosts, SetInternal, SetRemote, RegisterComponent,
	// AddComponent, RemoveComponent and Component keep this node's
	// domain table (domains.go).
	Route(domain string) (Destination, Component)
	SetHosts(hosts []string)
	SetInternal(domains []string)
	SetRemote(c Component)
	RegisterComponent(domain string, c Component)
	AddComponent(domain string, c Component) bool
	RemoveComponent(domain string, c Component)
	Component(domain string) (Component, bool)
}

// Table is the table of the sessions bound on this node.
type Table struct {
	mu    sync.RWMutex
	users map[string][]*Resource // bare JID -> bound resources
	count int

	// domains is replaced, never modified (copy on write), so the
	// lookup on every routed stanza is one atomic load and a map read
	// (domains.go).
	domains atomic.Pointer[domainTable]
	// watchers are told of availability changes (OnPresence); replaced,
	// never modified.
	watchers atomic.Pointer[[]func(bare string)]
}

// OnPresence registers fn to be called with the bare JID of a user
// whose availability may have changed: a resource's presence was set
// (SetPresence) or it went away (Unbind). fn runs on the caller's
// goroutine after the table's lock is released, and must not block
// (live help collects the JIDs and looks at them on its own goroutine).
// Registered at start, before sessions bind.
func (r *Table) OnPresence(fn func(bare string)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var next []func(string)
	if cur := r.watchers.Load(); cur != nil {
		next = append(next, *cur...)
	}
	next = append(next, fn)
	r.watchers.Store(&next)
}

func (r *Table) presenceChanged(bare string) {
	if w := r.watchers.Load(); w != nil {
		for _, fn := range *w {
			fn(bare)
		}
	}
}

var _ Router = (*Table)(nil)

// New returns an empty local table.
func New() *Table {
	return &Table{users: make(map[string][]*Resource)}
}

// Bind registers s under its full JID. If a session is already bound to
// that full JID it is replaced and returned, so the caller can close it
// with <conflict/> (RFC 6120 §7.7.2.2: the new session wins).
func (r *Table) Bind(s Session) (replaced Session) {
	j := s.JID()
	bare := j.Bare().String()
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.users[bare]
	for i, res := range list {
		if res.Session.JID() == j {
			replaced = res.Session
			list[i] = &Resource{Session: s}
			return replaced
		}
	}
	r.users[bare] = append(list, &Resource{Session: s})
	r.count++
	return nil
}

// Unbind removes s if it is still the session bound to its JID and
// returns its last state; ok is false if it was not bound (or already
// replaced by a newer session).
func (r *Table) Unbind(s Session) (last Resource, ok bool) {
	bare := s.JID().Bare().String()
	last, ok = r.unbind(s, bare)
	if ok {
		r.presenceChanged(bare)
	}
	return last, ok
}

func (r *Table) unbind(s Session, bare string) (last Resource, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.users[bare]
	for i, res := range list {
		if res.Session == s {
			last = *res
			list = append(list[:i:i], list[i+1:]...)
			if len(list) == 0 {
				delete(r.users, bare)
			} else {
				r.users[bare] = list
			}
			r.count--
			return last, true
		}
	}
	return Resource{}, false
}

// SetPresence records the session's broadcast presence. It reports the
// previous availability and priority, so callers can tell initial
// presence and a priority raised to non-negative apart.
func (r *Table) SetPresence(s Session, available bool, priority int, presence *xml.Element) (wasAvailable bool, wasPriority int) {
	bare := s.JID().Bare().String()
	wasAvailable, wasPriority, found := r.setPresence(s, bare, available, priority, presence)
	if found {
		r.presenceChanged(bare)
	}
	return wasAvailable, wasPriority
}

func (r *Table) setPresence(s Session, bare string, available bool, priority int, presence *xml.Element) (wasAvailable bool, wasPriority int, found bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, res := range r.users[bare] {
		if res.Session == s {
			wasAvailable, wasPriority = res.Available, res.Priority
			res.Available, res.Priority, res.Presence = available, priority, presence
			res.Changed = time.Now()
			if !available {
				res.Presence = nil
			}
			return wasAvailable, wasPriority, true
		}
	}
	return false, 0, false
}

// SetInterested marks s as an interested resource (RFC 6121 §2.1.6).
func (r *Table) SetInterested(s Session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, res := range r.users[s.JID().Bare().String()] {
		if res.Session == s {
			res.Interested = true
		}
	}
}

// SetCarbons records whether s wants message carbons (XEP-0280).
func (r *Table) SetCarbons(s Session, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, res := range r.users[s.JID().Bare().String()] {
		if res.Session == s {
			res.Carbons = on
		}
	}
}

// Resources returns snapshots of the resources bound for a bare JID.
func (r *Table) Resources(bare string) []Resource {
	r.mu.RLock()
	defer r.mu.RUnlock()
	list := r.users[bare]
	if len(list) == 0 {
		return nil
	}
	out := make([]Resource, len(list))
	for i, res := range list {
		out[i] = *res
	}
	return out
}

// Resource returns the snapshot of the resource bound to a full JID.
func (r *Table) Resource(full jid.JID) (Resource, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, res := range r.users[full.Bare().String()] {
		if res.Session.JID() == full {
			return *res, true
		}
	}
	return Resource{}, false
}

// Online reports whether any resource of bare is bound.
func (r *Table) Online(bare string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.users[bare]) > 0
}

// Count is the number of bound sessions.
func (r *Table) Count() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.count
}

// All returns every bound session (for shutdown).
func (r *Table) All() []Session {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Session, 0, r.count)
	for _, list := range r.users {
		for _, res := range list {
			out = append(out, res.Session)
		}
	}
	return out
}

// Everyone is All: the table holds this node's sessions only.
func (r *Table) Everyone() []Session { return r.All() }
