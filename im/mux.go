package im

import (
	"context"
	"sort"
	"sync"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/xml"
)

// Target says which addresses an IQ handler answers for.
type Target uint8

// Targets of an IQ handler.
const (
	// ToServer: iq addressed to a served domain.
	ToServer Target = 1 << iota
	// ToAccount: iq addressed to the sender's own bare JID (or with no
	// 'to', which RFC 6120 §10.3.3 treats the same).
	ToAccount
	// ToContact: iq addressed to another local account's bare JID, which
	// the server answers on the account's behalf (RFC 6121 §8.5.1): its
	// vCard, its PEP nodes, its last activity, disco#info. The handler
	// checks what the sender may see.
	ToContact
)

// Identity is a XEP-0030 identity advertised for a target.
type Identity struct{ Category, Type, Name string }

// IQFunc answers an iq get or set. The iq is stamped with the sender's
// full JID in from and its target in to; the handler must send exactly
// one result or error to s.
type IQFunc func(ctx context.Context, s router.Session, iq *xml.Element)

type iqKey struct{ space, name string }

type iqRoute struct {
	target Target
	fn     IQFunc
}

// Mux routes iq get/set stanzas by the namespace and name of their
// payload, like net/http.ServeMux routes by path.
type Mux struct {
	mu     sync.RWMutex
	routes map[iqKey]iqRoute
	extra  map[Target][]string
	ids    map[Target][]Identity
}

// NewMux returns an empty Mux.
func NewMux() *Mux {
	return &Mux{routes: make(map[iqKey]iqRoute), extra: make(map[Target][]string), ids: make(map[Target][]Identity)}
}

// Handle registers fn for payloads <name xmlns='space'/> sent to target.
func (m *Mux) Handle(space, name string, target Target, fn IQFunc) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.routes[iqKey{space, name}] = iqRoute{target, fn}
}

// AddFeature advertises a disco feature that has no IQ handler of its
// own (e.g. a stream feature or a message extension).
func (m *Mux) AddFeature(target Target, feature string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range []Target{ToServer, ToAccount, ToContact} {
		if target&t != 0 {
			m.extra[t] = append(m.extra[t], feature)
		}
	}
}

// AddIdentity advertises a disco identity besides the target's main one
// (e.g. pubsub/pep on accounts).
func (m *Mux) AddIdentity(target Target, id Identity) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range []Target{ToServer, ToAccount, ToContact} {
		if target&t != 0 {
			m.ids[t] = append(m.ids[t], id)
		}
	}
}

// Identities lists the identities added for a target, in order.
func (m *Mux) Identities(target Target) []Identity {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return append([]Identity(nil), m.ids[target]...)
}

// lookup returns the handler for a payload and target.
func (m *Mux) lookup(payload *xml.Element, target Target) (IQFunc, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r, ok := m.routes[iqKey{payload.Space, payload.Name}]
	if !ok || r.target&target == 0 {
		return nil, false
	}
	return r.fn, true
}

// Features lists the namespaces served for a target, sorted, for
// service discovery (XEP-0030).
func (m *Mux) Features(target Target) []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	seen := map[string]bool{}
	var out []string
	for k, r := range m.routes {
		if r.target&target != 0 && !seen[k.space] {
			seen[k.space] = true
			out = append(out, k.space)
		}
	}
	for _, f := range m.extra[target] {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}
