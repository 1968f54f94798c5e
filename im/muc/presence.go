package muc

import (
	"context"
	"crypto/subtle"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/time/rate"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// presence handles presence to the room or an occupant JID (§7.2-7.14).
func (r *Room) presence(ctx context.Context, el *xml.Element, from, to jid.JID) {
	typ := el.Attr("type")
	o := r.sessions[from]
	switch typ {
	case "unavailable":
		if o != nil {
			r.leave(ctx, el, from, o)
		}
		return
	case "error":
		// An occupant's client bounced something: it is gone (§7.14 allows
		// removing it); a non-occupant's error means nothing here.
		if o != nil {
			r.leave(ctx, nil, from, o)
		}
		return
	case "":
	default:
		return // subscriptions and probes to rooms are not served
	}
	nick, modified := normalizeNick(to.Resource())
	if nick == "" {
		r.errorReply(ctx, el, errNoNick, "a nickname is required to enter a room")
		if r.st == nil {
			r.abandon()
		}
		return
	}
	mucX := el.Child(NS, "x")
	switch {
	case o == nil:
		r.join(ctx, el, from, nick, modified, mucX)
	case o.nick != nick:
		r.changeNick(ctx, el, from, o, nick, modified)
	case mucX != nil:
		// The client thinks it is not in the room (it lost track, e.g.
		// after a reconnection we did not notice): send it everything a
		// join gets.
		o.presence = sanitizePresence(el)
		r.joinSequence(ctx, from, o, mucX, nil)
	default:
		o.presence = sanitizePresence(el)
		r.broadcastPresence(ctx, o, "", nil, nil)
	}
}

// normalizeNick trims white space and control characters, which the
// service does not allow at either end of a nick (status 210 tells the
// occupant the service changed it).
func normalizeNick(n string) (string, bool) {
	t := strings.TrimFunc(n, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
	return t, t != n
}

// abandon forgets a temporary room: empty, or its creation failed.
func (r *Room) abandon() {
	r.gone = true
	r.svc.forget(r)
	if r.st != nil {
		r.svc.release(r.st.Creator, r.jid.String())
	}
}

// evict unloads an empty persistent room; the next stanza for it loads
// it again from the store (so a room the CLI changed or deleted
// meanwhile is seen as stored). A room whose history lives only in
// memory (no archive) stays loaded.
func (r *Room) evict() {
	if r.st.Config.Archive || len(r.history) == 0 {
		r.gone = true
		r.svc.forget(r)
	}
}

// join admits a new session (§7.2), creating the room first if needed
// (§10.1).
func (r *Room) join(ctx context.Context, el *xml.Element, from jid.JID, nick string, modified bool, mucX *xml.Element) {
	bare := from.Bare().String()
	var codes []string
	if r.st == nil {
		if !r.svc.claim(bare, r.jid.String()) {
			r.errorReply(ctx, el, errNotAllowed, "you have created as many rooms as you may")
			r.abandon()
			return
		}
		r.st = newState(defaultConfig(r.svc.cfg.HistoryMessages), bare)
		r.st.Affiliations[bare] = Owner
		// A client speaking XEP-0045 gets a locked room to configure; an
		// old groupchat 1.0 client (no <x/>) an instant room, and so does
		// an occupant rejoining a temporary room that moved to this node
		// of a cluster (it was configured already).
		r.locked = mucX != nil && !r.rejoining
		codes = append(codes, "201")
	}
	aff := r.affiliation(bare)
	cfg := r.st.Config
	existing := r.occupants[nick]
	fail := func(cond condition, text string) {
		r.errorReply(ctx, el, cond, text)
		r.maybeEmpty() // a room nobody could enter does not linger
	}
	switch {
	case r.locked && aff != Owner:
		fail(errNotFound, "the room is locked until its owner configures it")
		return
	case aff == Outcast:
		fail(errForbidden, "you are banned from this room")
		return
	case cfg.MembersOnly && aff < Member:
		fail(errRegistration, "the room is members-only")
		return
	case cfg.Password != "" && !passwordOK(mucX, cfg.Password):
		fail(errNotAuthorized, "a password is required")
		return
	case (existing != nil && existing.bare != bare) || r.reservedBy(nick, bare):
		fail(errConflict, "that nickname is in use or reserved")
		return
	case existing == nil && r.maxUsers() > 0 && len(r.occupants) >= r.maxUsers() && aff < Admin:
		fail(errFull, "the room is full")
		return
	}
	var adm Admission
	if existing == nil {
		adm = r.svc.admit(ctx, Entry{Room: r.jid, Session: from, Nick: nick, Password: offeredPassword(mucX)})
		if adm.Refuse.Name != "" {
			fail(adm.Refuse, adm.Text)
			return
		}
	}
	o := existing
	if o == nil {
		o = &occupant{nick: nick, bare: bare, role: defaultRole(aff, cfg.Moderated)}
		if adm.Moderator {
			o.role = Moderator
		}
		if mps := r.svc.cfg.MessagesPerSecond; mps > 0 {
			o.limiter = rate.NewLimiter(rate.Limit(mps), max(1, int(mps*2)))
		}
		r.occupants[nick] = o
		r.occupantsChanged()
	}
	o.sessions = append(o.sessions, from)
	o.presence = sanitizePresence(el)
	r.sessions[from] = o
	if modified {
		codes = append(codes, "210")
	}
	if existing == nil {
		// Before anyone hears of the entry, so that what the hook
		// records (a conference starting with its host) holds by the
		// time the occupant has its self-presence.
		r.observe(ctx, Joined, o, nil)
		r.broadcastPresence(ctx, o, "", nil, nil, from)
	}
	r.joinSequence(ctx, from, o, mucX, codes)
}

// offeredPassword is the password in a join's <x/>, or "".
func offeredPassword(mucX *xml.Element) string {
	if mucX == nil {
		return ""
	}
	if p := mucX.Child(NS, "password"); p != nil {
		return p.Text
	}
	return ""
}

// passwordOK compares the offered password in constant time.
func passwordOK(mucX *xml.Element, want string) bool {
	if mucX == nil {
		return false
	}
	p := mucX.Child(NS, "password")
	if p == nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(p.Text), []byte(want)) == 1
}

// occupantsOf returns the occupants of the bare JID (one per nick it
// uses), in nick order.
func (r *Room) occupantsOf(bare string) []*occupant {
	var out []*occupant
	for _, o := range r.sortedOccupants() {
		if o.bare == bare {
			out = append(out, o)
		}
	}
	return out
}

// occupantOf returns the first occupant of the bare JID in nick order,
// if any.
func (r *Room) occupantOf(bare string) *occupant {
	if all := r.occupantsOf(bare); len(all) > 0 {
		return all[0]
	}
	return nil
}

// joinSequence sends a joining session the other occupants' presence,
// its own presence (110 and the room's codes), the history and the
// subject, in the order of §7.2.3.
func (r *Room) joinSequence(ctx context.Context, session jid.JID, o *occupant, mucX *xml.Element, codes []string) {
	seeJIDs := r.canSeeJIDs(o)
	for _, q := range r.sortedOccupants() {
		if q == o || !q.shown {
			continue // itself comes last; occupants whose role's presence is not broadcast not at all
		}
		r.svc.send(ctx, r.presenceOf(q, "", seeJIDs, nil, nil, r.occupantJID(q.nick), session.String()))
	}
	self := []string{"110"}
	if r.st.Config.nonAnonymous() {
		self = append(self, "100")
	}
	if r.st.Config.Archive {
		self = append(self, "170")
	}
	self = append(self, codes...)
	r.svc.send(ctx, r.presenceOf(o, "", true, self, nil, r.occupantJID(o.nick), session.String()))
	var h *xml.Element
	if mucX != nil {
		h = mucX.Child(NS, "history")
	}
	r.sendHistory(ctx, session, h)
	r.sendSubject(ctx, session)
}

// broadcastPresence sends o's current presence (typ "" or
// "unavailable") to every occupant: self gets 110 and selfCodes, all get
// codes. skip names a session that gets its self-presence elsewhere.
//
// The others get it only if the room broadcasts the presence of o's
// role (muc#roomconfig_presencebroadcast, §7.2.3); o itself always
// does. o.shown tracks whether the others know o, so that an occupant
// whose new role is not broadcast leaves their lists (unavailable, role
// none), one whose new role is appears, and the unavailable presence of
// an occupant they never saw is not sent to them.
func (r *Room) broadcastPresence(ctx context.Context, o *occupant, typ string, codes []string, item func(*xml.Element), skip ...jid.JID) {
	othersTyp, othersItem, others := typ, item, true
	switch {
	case typ == "unavailable":
		others = o.shown
		o.shown = false
	case r.st.Config.broadcasts(o.role):
		o.shown = true
	case o.shown:
		othersTyp, othersItem = "unavailable", noRole(item)
		o.shown = false
	default:
		others = false
	}
	for _, q := range r.sortedOccupants() {
		c, t, it := codes, othersTyp, othersItem
		switch {
		case q == o:
			c, t, it = append([]string{"110"}, codes...), typ, item
		case !others:
			continue
		}
		p := r.presenceOf(o, t, q == o || r.canSeeJIDs(q), c, it, r.occupantJID(o.nick), "")
		for _, s := range q.sessions {
			if slices.Contains(skip, s) {
				continue
			}
			r.svc.send(ctx, stanza.WithAddress(p, p.Attr("from"), s.String()))
		}
	}
}

// noRole wraps an item editor so that the item says role none: the
// occupant left the others' view.
func noRole(item func(*xml.Element)) func(*xml.Element) {
	return func(it *xml.Element) {
		if item != nil {
			item(it)
		}
		it.SetAttr("role", "none")
	}
}

// showOrHide brings the others' view of o in line with the room's
// presence broadcast setting after the owner changed it: o appears
// (its presence) or disappears (unavailable, role none). o itself is not
// told: nothing about it changed.
func (r *Room) showOrHide(ctx context.Context, o *occupant) {
	want := r.st.Config.broadcasts(o.role)
	if want == o.shown {
		return
	}
	o.shown = want
	typ, item := "", (func(*xml.Element))(nil)
	if !want {
		typ, item = "unavailable", noRole(nil)
	}
	for _, q := range r.sortedOccupants() {
		if q == o {
			continue
		}
		p := r.presenceOf(o, typ, r.canSeeJIDs(q), nil, item, r.occupantJID(o.nick), "")
		for _, s := range q.sessions {
			r.svc.send(ctx, stanza.WithAddress(p, p.Attr("from"), s.String()))
		}
	}
}

// presenceOf builds o's presence as others see it: the client's
// presence (for available), a muc#user <x/> with the item and status
// codes, and the occupant id.
func (r *Room) presenceOf(o *occupant, typ string, withJID bool, codes []string, item func(*xml.Element), from, to string) *xml.Element {
	base := o.presence
	if typ == "unavailable" {
		base = o.leaving // the status a leaving occupant gave, if any
	}
	var p *xml.Element
	if base != nil {
		p = stanza.WithAddress(base, from, to)
		p.Children = slices.Clip(p.Children)
		p.Inner = nil
	} else {
		p = stanza.NewPresence("", from, to)
	}
	if typ != "" {
		p.SetAttr("type", typ)
	}
	it := r.item(o, withJID, "", "")
	if item != nil {
		item(it)
	}
	x := xml.NewElement(NSUser, "x").AddChild(it)
	for _, c := range codes {
		x.AddChild(status(c))
	}
	p.Children = append(p.Children, x, xml.NewElement(NSOccupant, "occupant-id", xml.Attr{Name: "id", Value: r.occupantID(o.bare)}))
	return p
}

// item builds the muc#user <item/> describing o.
func (r *Room) item(o *occupant, withJID bool, actor, reason string) *xml.Element {
	it := xml.NewElement(NSUser, "item",
		xml.Attr{Name: "affiliation", Value: r.affiliation(o.bare).String()},
		xml.Attr{Name: "role", Value: o.role.String()})
	if withJID && len(o.sessions) > 0 {
		it.SetAttr("jid", o.sessions[len(o.sessions)-1].String())
	}
	if actor != "" {
		it.AddChild(xml.NewElement(NSUser, "actor", xml.Attr{Name: "nick", Value: actor}))
	}
	if reason != "" {
		it.AddChild(xml.NewElement(NSUser, "reason").SetText(reason))
	}
	return it
}

// sanitizePresence keeps what a client put in its presence for others
// to see, without addresses and without the MUC elements the service
// writes itself (no forged items, status codes or occupant ids).
func sanitizePresence(el *xml.Element) *xml.Element {
	p := stanza.WithAddress(el, "", "")
	p.Inner = nil
	p.Children = slices.DeleteFunc(slices.Clone(el.Children), func(c *xml.Element) bool {
		return (c.Name == "x" && (c.Space == NS || c.Space == NSUser)) || c.Space == NSOccupant
	})
	p.RemoveAttr("type")
	p.RemoveAttr("id")
	return p
}

// leave removes a session (§7.14). el is its unavailable presence, or
// nil when the session is gone for another reason.
func (r *Room) leave(ctx context.Context, el *xml.Element, from jid.JID, o *occupant) {
	delete(r.sessions, from)
	o.sessions = slices.DeleteFunc(o.sessions, func(s jid.JID) bool { return s == from })
	o.leaving = nil
	if el != nil {
		o.leaving = sanitizePresence(el)
	}
	if len(o.sessions) > 0 {
		// Another session keeps the nick: only this one is told it left.
		p := r.presenceOf(o, "unavailable", true, []string{"110"}, func(it *xml.Element) { it.SetAttr("role", "none") }, r.occupantJID(o.nick), from.String())
		r.svc.send(ctx, p)
		o.leaving = nil // this session's status is not the occupant's
		return
	}
	o.role = NoRole
	p := r.presenceOf(o, "unavailable", true, []string{"110"}, nil, r.occupantJID(o.nick), from.String())
	r.svc.send(ctx, p)
	delete(r.occupants, o.nick)
	r.occupantsChanged()
	r.broadcastPresence(ctx, o, "unavailable", nil, nil)
	o.leaving = nil
	r.observe(ctx, Left, o, nil)
	r.maybeEmpty()
}

// remove takes every session of o out of the room (kick, ban, §9.1),
// telling everyone with the given codes.
func (r *Room) remove(ctx context.Context, o *occupant, codes []string, actor, reason string) {
	o.role = NoRole
	withActor := func(it *xml.Element) {
		if actor != "" {
			it.AddChild(xml.NewElement(NSUser, "actor", xml.Attr{Name: "nick", Value: actor}))
		}
		if reason != "" {
			it.AddChild(xml.NewElement(NSUser, "reason").SetText(reason))
		}
	}
	r.broadcastPresence(ctx, o, "unavailable", codes, withActor)
	for _, s := range o.sessions {
		delete(r.sessions, s)
	}
	delete(r.occupants, o.nick)
	r.occupantsChanged()
	r.observe(ctx, Left, o, nil)
	r.maybeEmpty()
}

// maybeEmpty forgets a temporary room when its last occupant left, and
// unloads a persistent one.
func (r *Room) maybeEmpty() {
	switch {
	case len(r.occupants) > 0:
	case r.st == nil || !r.st.Config.Persistent:
		r.abandon()
	default:
		r.evict()
	}
}

// changeNick renames an occupant (§7.6): unavailable with 303 and the
// new nick from the old one, then available from the new.
func (r *Room) changeNick(ctx context.Context, el *xml.Element, from jid.JID, o *occupant, nick string, modified bool) {
	if other := r.occupants[nick]; other != nil || r.reservedBy(nick, o.bare) {
		r.errorReply(ctx, el, errConflict, "that nickname is in use or reserved")
		return
	}
	r.broadcastPresence(ctx, o, "unavailable", []string{"303"}, func(it *xml.Element) { it.SetAttr("nick", nick) })
	r.observe(ctx, Renamed, o, func(e *Event) { e.NewNick = nick })
	delete(r.occupants, o.nick)
	o.nick = nick
	o.presence = sanitizePresence(el)
	r.occupants[nick] = o
	r.occupantsChanged()
	var codes []string
	if modified {
		codes = []string{"210"}
	}
	r.broadcastPresence(ctx, o, "", codes, nil)
}
