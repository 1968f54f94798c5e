package muc

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"sort"
	"sync"

	"golang.org/x/time/rate"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Room is one live room. Every field is guarded by mu.
type Room struct {
	jid jid.JID
	svc *Service

	mu           sync.Mutex
	st           *state                // nil until the creator's join fills it
	locked       bool                  // created, not yet configured (§10.1)
	gone         bool                  // destroyed or emptied and forgotten
	occupants    map[string]*occupant  // nick -> occupant
	order        []*occupant           // occupants in nick order; nil when stale (sortedOccupants)
	sessions     map[jid.JID]*occupant // real full JID -> occupant
	history      []histItem
	pending      map[string]pendingIQ // relayed iq id -> who asked (occupantIQ)
	pendingOrder []string             // relayed ids, oldest first (bounds pending)
	iqSeq        uint64
	rejoining    bool // handling a join replayed after the room moved (Service.Rejoin)
}

// occupant is a nick in the room, used by one or more sessions of the
// same bare JID (multi-session nicks).
type occupant struct {
	nick     string
	bare     string
	role     Role
	sessions []jid.JID    // real full JIDs, in joining order
	presence *xml.Element // last presence, sanitized, without addresses
	leaving  *xml.Element // the unavailable presence it left with (status text)
	shown    bool         // the other occupants have its presence (muc#roomconfig_presencebroadcast)
	limiter  *rate.Limiter
}

func newRoom(s *Service, j jid.JID, st *state) *Room {
	return &Room{jid: j, svc: s, st: st, pending: map[string]pendingIQ{},
		occupants: map[string]*occupant{}, sessions: map[jid.JID]*occupant{}}
}

// handle processes a stanza for the room; false if the room is gone
// and the caller must look it up again. rejoin marks a join replayed
// after the room moved here.
func (r *Room) handle(ctx context.Context, el *xml.Element, from, to jid.JID, rejoin bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gone {
		return false
	}
	r.rejoining = rejoin
	defer func() { r.rejoining = false }()
	if r.st == nil && !(el.Name == stanza.Presence && el.Attr("type") == "") {
		r.svc.noRoom(ctx, el, to)
		return true
	}
	switch el.Name {
	case stanza.Presence:
		r.presence(ctx, el, from, to)
	case stanza.Message:
		r.message(ctx, el, from, to)
	case stanza.IQ:
		r.iq(ctx, el, from, to)
	}
	if !r.gone && len(r.occupants) == 0 && r.st != nil && r.st.Config.Persistent {
		r.evict() // loaded for a query (disco, archive, admin): not kept
	}
	return true
}

func (r *Room) affiliation(bare string) Affiliation {
	if r.st == nil {
		return NoAffiliation
	}
	return r.st.Affiliations[bare]
}

func (r *Room) setAffiliation(bare string, a Affiliation) {
	if a == NoAffiliation {
		delete(r.st.Affiliations, bare)
		return
	}
	r.st.Affiliations[bare] = a
}

func (r *Room) owners() []string {
	var out []string
	for j, a := range r.st.Affiliations {
		if a == Owner {
			out = append(out, j)
		}
	}
	sort.Strings(out)
	return out
}

// occupantJID is room@service/nick.
func (r *Room) occupantJID(nick string) string { return r.jid.String() + "/" + nick }

// occupantID is the XEP-0421 id of a real bare JID: a keyed hash,
// stable for the room's life (and across restarts when persistent).
func (r *Room) occupantID(bare string) string {
	m := hmac.New(sha256.New, r.st.OccupantKey)
	m.Write([]byte(bare))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// canSeeJIDs reports whether an occupant sees others' real JIDs.
func (r *Room) canSeeJIDs(o *occupant) bool {
	return r.st.Config.nonAnonymous() || o.role == Moderator
}

// maxUsers is the effective occupant limit (0 = none).
func (r *Room) maxUsers() int {
	m, svc := r.st.Config.MaxUsers, r.svc.cfg.MaxOccupants
	switch {
	case m == 0:
		return svc
	case svc == 0:
		return m
	}
	return min(m, svc)
}

// persist writes a persistent room's state.
func (r *Room) persist(ctx context.Context) {
	if r.st == nil || !r.st.Config.Persistent {
		return
	}
	if err := r.svc.cfg.Store.PutRoom(ctx, store.Room{JID: r.jid.String(), State: r.st.encode()}); err != nil {
		r.svc.log.Error("store room", "room", r.jid.String(), "err", err)
	}
}

// unpersist removes a room from the store (it became temporary or was
// destroyed).
func (r *Room) unpersist(ctx context.Context) {
	if err := r.svc.cfg.Store.DeleteRoom(ctx, r.jid.String()); err != nil && !errors.Is(err, store.ErrNotFound) {
		r.svc.log.Error("delete room", "room", r.jid.String(), "err", err)
	}
}

// sendTo sends el to every session of o.
func (r *Room) sendTo(ctx context.Context, o *occupant, el *xml.Element, from string) {
	for _, s := range o.sessions {
		r.svc.send(ctx, stanza.WithAddress(el, from, s.String()))
	}
}

// sortedOccupants returns the occupants in nick order (stable output).
// The order is kept between calls and rebuilt only after the occupants
// changed (occupantsChanged), not sorted again for every message; the
// slice is never modified in place, so a caller may range over it while
// the room changes, and must not modify it.
func (r *Room) sortedOccupants() []*occupant {
	if r.order != nil && len(r.order) == len(r.occupants) {
		return r.order
	}
	out := make([]*occupant, 0, len(r.occupants))
	for _, o := range r.occupants {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].nick < out[j].nick })
	r.order = out
	return out
}

// occupantsChanged forgets the occupant order after a join, a leave or
// a nick change.
func (r *Room) occupantsChanged() { r.order = nil }

// errorFrom sends an error reply to el from the room or occupant JID it
// was sent to.
func (r *Room) errorReply(ctx context.Context, el *xml.Element, cond stanza.Condition, text string) {
	r.svc.reply(ctx, el, cond, text)
}

// statusMessage sends every occupant a message from the room with
// status codes (configuration changes, §10.2.1).
func (r *Room) statusMessage(ctx context.Context, codes ...string) {
	if len(codes) == 0 {
		return
	}
	x := xml.NewElement(NSUser, "x")
	for _, c := range codes {
		x.AddChild(status(c))
	}
	msg := xml.NewElement(ns.Client, "message", xml.Attr{Name: "type", Value: "groupchat"}).AddChild(x)
	for _, o := range r.sortedOccupants() {
		r.sendTo(ctx, o, msg, r.jid.String())
	}
}

func status(code string) *xml.Element {
	return xml.NewElement(NSUser, "status", xml.Attr{Name: "code", Value: code})
}

// destroy ends the room: each occupant gets unavailable presence with
// <destroy/> (§10.9), the store forgets it.
func (r *Room) destroy(ctx context.Context, reason, alternate, password string) {
	d := xml.NewElement(NSUser, "destroy")
	if alternate != "" {
		d.SetAttr("jid", alternate)
	}
	if reason != "" {
		d.AddChild(xml.NewElement(NSUser, "reason").SetText(reason))
	}
	if password != "" {
		d.AddChild(xml.NewElement(NSUser, "password").SetText(password))
	}
	for _, o := range r.sortedOccupants() {
		x := xml.NewElement(NSUser, "x").AddChild(
			xml.NewElement(NSUser, "item", xml.Attr{Name: "affiliation", Value: "none"}, xml.Attr{Name: "role", Value: "none"})).AddChild(d)
		for _, s := range o.sessions {
			p := stanza.NewPresence("unavailable", r.occupantJID(o.nick), s.String())
			x := x.Copy()
			x.AddChild(status("110"))
			r.svc.send(ctx, p.AddChild(x))
		}
	}
	r.occupants, r.sessions = map[string]*occupant{}, map[jid.JID]*occupant{}
	r.occupantsChanged()
	if r.st != nil && r.st.Config.Persistent {
		r.unpersist(ctx)
	}
	r.observe(ctx, Destroyed, nil, nil)
	r.gone = true
	r.svc.forget(r)
	if r.st != nil {
		r.svc.release(r.st.Creator, r.jid.String())
	}
}

// shutdown tells the occupants the service is going away (332).
func (r *Room) shutdown(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gone {
		return
	}
	for _, o := range r.sortedOccupants() {
		for _, s := range o.sessions {
			x := xml.NewElement(NSUser, "x").AddChild(r.item(o, true, "", "")).AddChild(status("110")).AddChild(status("332"))
			x.Children[0].SetAttr("role", "none")
			r.svc.send(ctx, stanza.NewPresence("unavailable", r.occupantJID(o.nick), s.String()).AddChild(x))
		}
	}
	r.occupants, r.sessions = map[string]*occupant{}, map[jid.JID]*occupant{}
	r.occupantsChanged()
	r.gone = true
	r.svc.forget(r)
	r.observe(ctx, Shutdown, nil, nil)
}
