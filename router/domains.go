package router

// Destination says where the stanzas addressed to a domain go.
type Destination uint8

// The destinations of Route.
const (
	// Remote: a domain not served here; its stanzas go to its own
	// server (federation, through the remote sender), or bounce when
	// federation is off.
	Remote Destination = iota
	// Local: a served host; package im delivers to its users.
	Local
	// Service: a component (an internal service such as conference
	// rooms, or an external XEP-0114 component) serves the domain.
	Service
)

func (d Destination) String() string {
	switch d {
	case Local:
		return "local"
	case Service:
		return "service"
	}
	return "remote"
}

// domainTable is an immutable snapshot: where each known domain goes,
// and the sender for every other one.
type domainTable struct {
	domains map[string]destination
	remote  Component // nil: federation is off
}

type destination struct {
	kind Destination
	c    Component
}

// Route tells where the stanzas for domain (a normalized domainpart)
// go. For Service it returns the component; for Remote the remote
// sender (package s2s), or nil when federation is off and the stanza
// must bounce with <remote-server-not-found/>. It costs one atomic load
// and one map read: the hot path of every routed stanza.
func (r *Table) Route(domain string) (Destination, Component) {
	t := r.domains.Load()
	if t == nil {
		return Remote, nil
	}
	if d, ok := t.domains[domain]; ok {
		return d.kind, d.c
	}
	return Remote, t.remote
}

// SetHosts declares the served hosts (Local). Called at start, before
// sessions bind.
func (r *Table) SetHosts(hosts []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.editDomains(func(t *domainTable) {
		for d, dest := range t.domains {
			if dest.kind == Local {
				delete(t.domains, d)
			}
		}
		for _, h := range hosts {
			t.domains[h] = destination{kind: Local}
		}
	})
}

// SetInternal declares domains whose addresses live on this server but
// that only the parts owning them reach (conference guests' sessions):
// Route calls them Remote with no sender, so that their stanzas bounce
// (or drop) as for an unreachable domain and never go to other servers.
// Called at start.
func (r *Table) SetInternal(domains []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.editDomains(func(t *domainTable) {
		for _, d := range domains {
			t.domains[d] = destination{kind: Remote}
		}
	})
}

// SetRemote makes c the sender for every domain that is neither a host
// nor a component (federation); nil turns federation off. c.Receive
// must never block nor call back into the caller synchronously: a
// component may send under its own locks.
func (r *Table) SetRemote(c Component) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.editDomains(func(t *domainTable) { t.remote = c })
}

// RegisterComponent routes every stanza addressed to domain (and its
// users and resources) to c. Registered at start, before sessions bind.
func (r *Table) RegisterComponent(domain string, c Component) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.editDomains(func(t *domainTable) { t.domains[domain] = destination{kind: Service, c: c} })
}

// AddComponent registers c for domain unless the domain is already a
// host or served by a component, and reports whether it did. External
// components (XEP-0114) connect and disconnect while the server runs;
// the first connection for a domain keeps it.
func (r *Table) AddComponent(domain string, c Component) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.domains.Load(); t != nil {
		if _, taken := t.domains[domain]; taken {
			return false
		}
	}
	r.editDomains(func(t *domainTable) { t.domains[domain] = destination{kind: Service, c: c} })
	return true
}

// RemoveComponent unregisters c from domain, if c still serves it.
func (r *Table) RemoveComponent(domain string, c Component) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.domains.Load()
	if t == nil || t.domains[domain].c != c || t.domains[domain].kind != Service {
		return
	}
	r.editDomains(func(t *domainTable) { delete(t.domains, domain) })
}

// Component returns the component serving domain, if any.
func (r *Table) Component(domain string) (Component, bool) {
	if kind, c := r.Route(domain); kind == Service {
		return c, true
	}
	return nil, false
}

// editDomains publishes a copy of the domain table changed by edit
// (r.mu held).
func (r *Table) editDomains(edit func(*domainTable)) {
	next := &domainTable{domains: make(map[string]destination)}
	if cur := r.domains.Load(); cur != nil {
		for k, v := range cur.domains {
			next.domains[k] = v
		}
		next.remote = cur.remote
	}
	edit(next)
	r.domains.Store(next)
}
