package livehelp

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"
)

// GuestContext is what a validated chat request established for a guest:
// who the visitor is to the site, whom it may talk to, about what.
type GuestContext struct {
	Guest       string // the guest's bare JID
	SiteID      string
	FromUserJID string
	DisplayName string
	Target      string // the bare JID of the group (r_groupJID) or agent (r_toJID)
	TargetName  string // the group's name, or the agent's
	IsGroup     bool
	Subject     string
}

// GuestSession is a guest's web session: the cookie the chat page set
// stands for it, and it mints the guest's login tickets.
type GuestSession struct {
	Context GuestContext
	Created time.Time
	Expires time.Time
	key     string // sha256 of the cookie value
}

// sessionLife bounds a guest's web session (a reload within it shows
// the chat again; later the visitor starts over from the site).
const sessionLife = 12 * time.Hour

// ticketsPerSession bounds the unused tickets of one web session.
const ticketsPerSession = 8

type ticket struct {
	guest   string // bare JID
	session string // the web session's key
	expires time.Time
}

// registry holds the guests' web sessions, their contexts and their
// login tickets, in memory (a restart ends them: visitors start again
// from the site). Its mutex is a leaf lock: nothing is called while it
// is held.
type registry struct {
	mu       sync.Mutex
	max      int
	sessions map[string]*GuestSession // by key
	order    []string                 // session keys, oldest first (eviction)
	contexts map[string]GuestContext  // by guest bare JID: the latest request's
	tickets  map[string]ticket        // by sha256 of the ticket
}

func newRegistry(max int) *registry {
	return &registry{max: max, sessions: make(map[string]*GuestSession), contexts: make(map[string]GuestContext),
		tickets: make(map[string]ticket)}
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashKey(v string) string {
	s := sha256.Sum256([]byte(v))
	return string(s[:])
}

// open starts a web session for a context and returns its cookie value.
func (r *registry) open(c GuestContext, now time.Time) (string, *GuestSession) {
	value := randomToken()
	gs := &GuestSession{Context: c, Created: now, Expires: now.Add(sessionLife), key: hashKey(value)}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.contexts[c.Guest] = c
	r.sessions[gs.key] = gs
	r.order = append(r.order, gs.key)
	for len(r.sessions) > r.max && len(r.order) > 0 {
		delete(r.sessions, r.order[0])
		r.order = r.order[1:]
	}
	if len(r.order) > 2*r.max+16 { // compact the keys of sessions gone
		kept := r.order[:0]
		for _, k := range r.order {
			if r.sessions[k] != nil {
				kept = append(kept, k)
			}
		}
		r.order = kept
	}
	return value, gs
}

// session returns the live web session of a cookie value.
func (r *registry) session(value string, now time.Time) (*GuestSession, bool) {
	if value == "" {
		return nil, false
	}
	k := hashKey(value)
	r.mu.Lock()
	defer r.mu.Unlock()
	gs := r.sessions[k]
	if gs == nil || !now.Before(gs.Expires) {
		delete(r.sessions, k)
		return nil, false
	}
	return gs, true
}

// close ends a web session (and its unused tickets).
func (r *registry) close(value string) {
	k := hashKey(value)
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.sessions, k)
	for t, tk := range r.tickets {
		if tk.session == k {
			delete(r.tickets, t)
		}
	}
}

// context returns a guest's current context.
func (r *registry) context(guest string) (GuestContext, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.contexts[guest]
	return c, ok
}

// forget drops the context of a guest (expired).
func (r *registry) forget(guest string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.contexts, guest)
}

// mint returns a new single-use login ticket for the session's guest.
func (r *registry) mint(gs *GuestSession, now time.Time, life time.Duration) string {
	value := randomToken()
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for t, tk := range r.tickets {
		switch {
		case !now.Before(tk.expires):
			delete(r.tickets, t)
		case tk.session == gs.key:
			n++
			if n >= ticketsPerSession {
				delete(r.tickets, t) // the page only ever needs the newest
			}
		}
	}
	r.tickets[hashKey(value)] = ticket{guest: gs.Context.Guest, session: gs.key, expires: now.Add(life)}
	return value
}

// redeem consumes a ticket and returns its guest's bare JID; a ticket
// works once, before it expires, and only while its session lives.
func (r *registry) redeem(value string, now time.Time) (string, bool) {
	k := hashKey(value)
	r.mu.Lock()
	defer r.mu.Unlock()
	tk, ok := r.tickets[k]
	if !ok {
		return "", false
	}
	delete(r.tickets, k)
	gs := r.sessions[tk.session]
	if !now.Before(tk.expires) || gs == nil || !now.Before(gs.Expires) || gs.Context.Guest != tk.guest {
		return "", false
	}
	return tk.guest, true
}
