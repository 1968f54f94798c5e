// Package presence serves presence over HTTP from the live session
// table: the Presence Services of the integration services (seed 001:
// the presence URL /imtapp/Presence with its K1 hash in IMG and JS
// modes, getPresence and getBulkPresence), the HTTP presence endpoint of
// seed 004 (/plugins/presence/status), and the built-in icon sets both
// use.
//
// Presence is read from router.Router on every request, so a change
// sent over XMPP is visible at once; the only caching is what the HTTP
// headers allow clients (max-age 60, the seed's presence cache, and an
// ETag for cheap revalidation).
//
// Safety rules (SPEC-NOTES and issue 5): the presence URL needs a live
// PRESENCE token and a valid K1 over a query that passes the rules of
// parseQuery (which make K1's encoding unambiguous and stop length
// extension); failures all look alike. The seed-004 endpoint's signed
// proof has its own message (StatusK1Message). The seed-004
// endpoint shows only users who opted in (store.PresenceSharing) or
// whose domain is public, unless the request proves who asks; custom
// images are redirects to allow-listed hosts, never fetched.
package presence

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/xml"
)

// State is a presence state, named as seed 004 names its images.
type State string

// The states. Error is not a presence: it is what an invalid request
// shows.
const (
	Available State = "available"
	Chat      State = "chat"
	Away      State = "away"
	XA        State = "xa"
	DND       State = "dnd"
	Offline   State = "offline"
	Forbidden State = "forbidden"
	Error     State = "error"
)

// States lists every state an icon set draws, in a stable order.
var States = []State{Available, Chat, Away, XA, DND, Offline, Forbidden, Error}

// stateOfShow maps an XMPP <show/> value (RFC 6121 §4.7.2.1) to a state;
// an absent or unknown show is plain availability.
func stateOfShow(show string) State {
	switch show {
	case "chat":
		return Chat
	case "away":
		return Away
	case "xa":
		return XA
	case "dnd":
		return DND
	}
	return Available
}

// Show is the integration services' vocabulary (seed 001 JS mode and
// PresentityResource.show): AVAILABLE, AWAY, DND or OFFLINE.
func (s State) Show() string {
	switch s {
	case Available, Chat:
		return "AVAILABLE"
	case Away, XA:
		return "AWAY"
	case DND:
		return "DND"
	}
	return "OFFLINE"
}

// Portal is the portal's vocabulary (seed 000): online, busy, away or
// offline.
func (s State) Portal() string {
	switch s {
	case Available, Chat:
		return "online"
	case Away, XA:
		return "away"
	case DND:
		return "busy"
	}
	return "offline"
}

// Label is the words a person reads for the state (a tooltip, or the
// JS mode's status when the user set no status message).
func (s State) Label() string {
	switch s {
	case Available:
		return "Available"
	case Chat:
		return "Free to chat"
	case Away:
		return "Away"
	case XA:
		return "Extended away"
	case DND:
		return "Do not disturb"
	case Forbidden:
		return "Not shared"
	case Error:
		return "Unknown"
	}
	return "Offline"
}

// ResourcePresence is the presence of one online resource.
type ResourcePresence struct {
	Resource string
	State    State
	Status   string // the status message; "" if none
	Priority int
	Changed  time.Time // when the resource last sent presence
}

// Snapshot is the presence of one user: their available resources,
// the default one first (highest priority; ties: most recent), then the
// others in the same order. Empty means offline.
type Snapshot struct {
	JID       string
	Resources []ResourcePresence
}

// Default returns the default resource (SPEC-NOTES: the available
// resource with the highest priority, ties going to the most recent),
// or false when the user is offline.
func (p Snapshot) Default() (ResourcePresence, bool) {
	if len(p.Resources) == 0 {
		return ResourcePresence{}, false
	}
	return p.Resources[0], true
}

// Resource returns the named resource if it is online.
func (p Snapshot) Resource(name string) (ResourcePresence, bool) {
	for _, r := range p.Resources {
		if r.Resource == name {
			return r, true
		}
	}
	return ResourcePresence{}, false
}

// State is the aggregate state: the default resource's, or Offline.
func (p Snapshot) State() State {
	if r, ok := p.Default(); ok {
		return r.State
	}
	return Offline
}

// Sessions is the live session table (router.Router).
type Sessions interface {
	Resources(bare string) []router.Resource
}

// Lookup reads the presence of bare (a normalized bare JID) from the
// session table.
func Lookup(sessions Sessions, bare string) Snapshot {
	list := sessions.Resources(bare)
	// Newest binding first, so that equal times go to the later one.
	slices.Reverse(list)
	stanzas := make([]Stanza, 0, len(list))
	for _, res := range list {
		if res.Available && res.Presence != nil {
			stanzas = append(stanzas, Stanza{Resource: res.Session.JID().Resource(), Presence: res.Presence,
				Priority: res.Priority, Changed: res.Changed})
		}
	}
	return FromStanzas(bare, stanzas)
}

// Stanza is the last available presence of one resource.
type Stanza struct {
	Resource string
	Presence *xml.Element
	Priority int
	Changed  time.Time
}

// FromStanzas is the presence of bare given its resources' available
// presence stanzas: states from <show/>, status messages, the default
// resource first (highest priority; ties: most recent, then the earlier
// in list).
func FromStanzas(bare string, list []Stanza) Snapshot {
	snap := Snapshot{JID: bare}
	for _, st := range list {
		rp := ResourcePresence{Resource: st.Resource, State: Available, Priority: st.Priority, Changed: st.Changed}
		if show := st.Presence.Child("", "show"); show != nil {
			rp.State = stateOfShow(strings.TrimSpace(show.Text))
		}
		if s := st.Presence.Child("", "status"); s != nil {
			rp.Status = strings.TrimSpace(s.Text)
		}
		snap.Resources = append(snap.Resources, rp)
	}
	slices.SortStableFunc(snap.Resources, func(a, b ResourcePresence) int {
		if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
			return c
		}
		return b.Changed.Compare(a.Changed)
	})
	return snap
}

// Network answers for users whose presence is that of an account on
// another network (seed 000, "network presence").
type Network interface {
	// NetworkPresence returns the presence standing for bare's; ok is
	// false when bare has no network presence.
	NetworkPresence(ctx context.Context, bare string) (snap Snapshot, ok bool)
}
