package roster

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Reachable reports that a session just became a destination for
// stored messages: its first available presence with a non-negative
// priority, or a priority raised from negative to non-negative
// (XEP-0160 §3). Package im delivers offline messages then.
type Reachable struct {
	Session  router.Session
	Priority int
}

// HandlePresence processes a presence stanza sent by the client session
// s, already stamped with its full JID (RFC 6121 §4). It returns
// non-nil when the session became reachable for offline delivery.
func (e *Engine) HandlePresence(ctx context.Context, s router.Session, el *xml.Element) (*Reachable, error) {
	user := s.JID().Bare().String()
	typ := el.Attr("type")
	toAttr := el.Attr("to")
	switch typ {
	case "subscribe", "subscribed", "unsubscribe", "unsubscribed":
		to, err := parseBare(toAttr)
		if err != nil {
			s.Deliver(stanza.Error(el, stanza.JIDMalformed, ""))
			return nil, nil
		}
		if to.String() == user {
			return nil, nil // subscriptions to oneself are implicit
		}
		return nil, e.outboundSubscription(ctx, s, el, user, to.String())
	case "probe":
		return nil, nil // servers probe, clients do not (§4.3)
	case "", "unavailable", "error":
	default:
		s.Deliver(stanza.Error(el, stanza.BadRequest, "unknown presence type"))
		return nil, nil
	}
	if toAttr != "" {
		e.directedPresence(ctx, s, el, toAttr)
		return nil, nil
	}
	if typ == "error" {
		return nil, nil
	}
	if typ == "unavailable" {
		wasAvailable, _ := e.router.SetPresence(s, false, 0, nil)
		e.goUnavailable(ctx, s, el, wasAvailable)
		return nil, nil
	}
	prio := priority(el)
	wasAvailable, wasPriority := e.router.SetPresence(s, true, prio, el)
	e.broadcast(ctx, s, el)
	if !wasAvailable {
		e.probe(ctx, s)
	}
	if prio >= 0 && (!wasAvailable || wasPriority < 0) {
		return &Reachable{Session: s, Priority: prio}, nil
	}
	return nil, nil
}

// SessionEnded broadcasts unavailable presence for a session that went
// away without sending it (§4.5.1) and releases its roster.
func (e *Engine) SessionEnded(ctx context.Context, s router.Session, last router.Resource) {
	e.goUnavailable(ctx, s, stanza.NewPresence("unavailable", s.JID().String(), ""), last.Available)
	e.Release(s.JID().Bare().String())
}

// broadcast sends available presence to the contacts subscribed to the
// user and to the user's available resources (§4.2.2, §4.4.2).
func (e *Engine) broadcast(ctx context.Context, s router.Session, el *xml.Element) {
	user := s.JID().Bare().String()
	from := s.JID().String()
	r, err := e.view(ctx, user)
	if err != nil {
		e.log.Error("presence broadcast", "user", user, "err", err)
		return
	}
	// One copy from the session serves every contact: deliverPresence
	// addresses a copy to each recipient it finds.
	fromSession := stanza.WithAddress(el, from, "")
	for _, c := range r.subscribedFrom() {
		e.deliverPresence(ctx, fromSession, c)
	}
	for _, res := range e.router.Resources(user) {
		if res.Available {
			res.Session.Deliver(stanza.WithAddress(el, from, res.Session.JID().String()))
		}
	}
}

// probe collects the presence of the user's contacts and other
// resources for a newly available session (§4.3). Local contacts are
// answered directly from the session table, offline ones with their
// last unavailable presence (read for all of them in one query);
// contacts on other servers get a probe from the user's bare JID, which
// their servers answer to it (delivered to every available resource).
func (e *Engine) probe(ctx context.Context, s router.Session) {
	user := s.JID().Bare().String()
	to := s.JID().String()
	r, err := e.view(ctx, user)
	if err != nil {
		e.log.Error("presence probe", "user", user, "err", err)
		return
	}
	var offline []string
	for _, c := range r.subscribedTo() {
		cj, err := parseBare(c)
		if err != nil || e.blockedEitherWay(user, cj) {
			continue
		}
		if dest, remote := e.router.Route(cj.Domain()); dest != router.Local {
			if dest == router.Remote && remote != nil {
				remote.Receive(ctx, stanza.NewPresence("probe", user, c))
			}
			continue
		}
		sent := false
		for _, res := range e.router.Resources(c) {
			if res.Available {
				s.Deliver(stanza.WithAddress(res.Presence, res.Session.JID().String(), to))
				sent = true
			}
		}
		if !sent {
			offline = append(offline, c)
		}
	}
	e.sendLastUnavailable(ctx, s, offline)
	for _, res := range e.router.Resources(user) {
		if res.Available && res.Session != s {
			s.Deliver(stanza.WithAddress(res.Presence, res.Session.JID().String(), to))
		}
	}
	e.redeliverRequests(ctx, s)
}

// sendLastUnavailable answers a probe for offline contacts with each
// contact's last unavailable presence, stamped with when it was sent.
func (e *Engine) sendLastUnavailable(ctx context.Context, s router.Session, contacts []string) {
	if len(contacts) == 0 {
		return
	}
	last, err := e.store.LastPresences(ctx, contacts)
	if err != nil {
		e.log.Error("presence probe: last presence", "user", s.JID().Bare().String(), "err", err)
		return
	}
	for _, contact := range contacts {
		l, ok := last[contact]
		if !ok {
			continue
		}
		p, err := xml.ParseElement(l.Stanza, ns.Client, xml.DefaultLimits)
		if err != nil {
			continue
		}
		p = stanza.WithAddress(p, contact, s.JID().String())
		p.AddChild(delay(contact, l.At))
		s.Deliver(p)
	}
}

// redeliverRequests re-sends stored subscription requests (§3.1.3).
func (e *Engine) redeliverRequests(ctx context.Context, s router.Session) {
	reqs, err := e.store.SubscriptionRequests(ctx, s.JID().Bare().String())
	if err != nil {
		e.log.Error("subscription requests", "user", s.JID().Bare().String(), "err", err)
		return
	}
	for _, r := range reqs {
		p, err := xml.ParseElement(r.Stanza, ns.Client, xml.DefaultLimits)
		if err != nil {
			p = stanza.NewPresence("subscribe", r.From, "")
		}
		s.Deliver(stanza.WithAddress(p, r.From, s.JID().String()))
	}
}

// goUnavailable ends a session's availability: unavailable presence to
// subscribed contacts, the user's resources and every entity that got
// directed presence (§4.5.2); the last unavailable presence is kept.
func (e *Engine) goUnavailable(ctx context.Context, s router.Session, el *xml.Element, wasAvailable bool) {
	user := s.JID().Bare().String()
	from := s.JID().String()
	sentTo := map[string]bool{}
	if wasAvailable {
		r, err := e.view(ctx, user)
		if err != nil {
			e.log.Error("presence unavailable", "user", user, "err", err)
		} else {
			fromSession := stanza.WithAddress(el, from, "")
			for _, c := range r.subscribedFrom() {
				sentTo[c] = true
				e.deliverPresence(ctx, fromSession, c)
			}
		}
		anyAvailable := false
		for _, res := range e.router.Resources(user) {
			res.Session.Deliver(stanza.WithAddress(el, from, res.Session.JID().String()))
			anyAvailable = anyAvailable || res.Available
		}
		if !anyAvailable {
			last := stanza.WithAddress(el, "", "")
			if err := e.store.SetLastPresence(ctx, user, last.Bytes(ns.Client), time.Now().UTC()); err != nil && !errors.Is(err, store.ErrNotFound) { // not found: the account was removed
				e.log.Error("store last presence", "user", user, "err", err)
			}
		}
	}
	for _, d := range e.takeDirected(s.JID()) {
		if !sentTo[d.Bare().String()] || !d.IsBare() {
			e.deliverPresence(ctx, stanza.WithAddress(el, from, d.String()), d.String())
		}
	}
}

// directedPresence delivers presence addressed to one entity and tracks
// it for the unavailable broadcast (§4.6).
func (e *Engine) directedPresence(ctx context.Context, s router.Session, el *xml.Element, toAttr string) {
	to, err := jid.Parse(toAttr)
	if err != nil {
		s.Deliver(stanza.Error(el, stanza.JIDMalformed, ""))
		return
	}
	typ := el.Attr("type")
	if typ == "" {
		r, err := e.view(ctx, s.JID().Bare().String())
		it, ok := lookupItem(r, err, to.Bare().String())
		if !ok || !hasFrom(it) || !to.IsBare() {
			e.mu.Lock()
			set := e.directed[s.JID()]
			if set == nil {
				set = make(map[jid.JID]struct{})
				e.directed[s.JID()] = set
			}
			set[to] = struct{}{}
			e.mu.Unlock()
		}
	} else if typ == "unavailable" {
		e.mu.Lock()
		delete(e.directed[s.JID()], to)
		e.mu.Unlock()
	}
	e.deliverPresence(ctx, el, to.String())
}

func (e *Engine) takeDirected(full jid.JID) []jid.JID {
	e.mu.Lock()
	defer e.mu.Unlock()
	set := e.directed[full]
	delete(e.directed, full)
	out := make([]jid.JID, 0, len(set))
	for j := range set {
		out = append(out, j)
	}
	return out
}

// DeliverPresence routes an available, unavailable or error presence
// to a local or remote entity (§4.6.3, §8.5). Exported for package im,
// which routes presence that is not a broadcast.
func (e *Engine) DeliverPresence(ctx context.Context, el *xml.Element) {
	e.deliverPresence(ctx, el, el.Attr("to"))
}

func (e *Engine) deliverPresence(ctx context.Context, el *xml.Element, to string) {
	j, err := jid.Parse(to)
	if err != nil {
		return
	}
	if from, err := jid.Parse(el.Attr("from")); err == nil && e.blockedBetween(from, j) {
		return // XEP-0191: no presence, no error
	}
	// el may be shared by several calls (a broadcast): every stanza
	// handed on is a copy addressed to its recipient, made only once a
	// recipient is found (most contacts of a login are offline).
	if dest, c := e.router.Route(j.Domain()); dest != router.Local {
		// A component, or another server (federation); presence to a
		// remote domain without federation is dropped.
		if c != nil {
			c.Receive(ctx, stanza.WithAddress(el, el.Attr("from"), to))
		}
		return
	}
	if j.Local() == "" {
		return // presence to the server itself is not delivered
	}
	if j.IsBare() {
		e.deliverToAvailable(j.String(), el)
		return
	}
	if res, ok := e.router.Resource(j); ok {
		res.Session.Deliver(stanza.WithAddress(el, el.Attr("from"), to))
	}
}

// deliverToAvailable delivers a presence to every available resource
// of a local user (§8.5.2.1.2, §3.1.3).
func (e *Engine) deliverToAvailable(bare string, el *xml.Element) {
	for _, res := range e.router.Resources(bare) {
		if res.Available {
			res.Session.Deliver(stanza.WithAddress(el, el.Attr("from"), res.Session.JID().String()))
		}
	}
}

func (e *Engine) bounce(el *xml.Element, cond stanza.Condition) {
	from, err := jid.Parse(el.Attr("from"))
	if err != nil {
		return
	}
	reply := stanza.Error(el, cond, "")
	if from.IsBare() {
		e.deliverToAvailable(from.String(), reply)
		return
	}
	if res, ok := e.router.Resource(from); ok {
		res.Session.Deliver(reply)
	}
}

func lookupItem(r *roster, err error, contact string) (it store.RosterItem, ok bool) {
	if err != nil || r == nil {
		return it, false
	}
	return r.get(contact)
}

func parseBare(s string) (jid.JID, error) {
	j, err := jid.Parse(s)
	if err != nil {
		return j, err
	}
	return j.Bare(), nil
}

// priority reads <priority/> (-128..127, default 0; RFC 6121 §4.7.2.3).
func priority(el *xml.Element) int {
	p := el.Child("", "priority")
	if p == nil {
		return 0
	}
	n, err := strconv.Atoi(p.Text)
	if err != nil || n < -128 || n > 127 {
		return 0
	}
	return n
}

// delay builds an XEP-0203 delay element.
func delay(from string, at time.Time) *xml.Element {
	return xml.NewElement(ns.Delay, "delay",
		xml.Attr{Name: "from", Value: from},
		xml.Attr{Name: "stamp", Value: at.UTC().Format("2006-01-02T15:04:05.000Z")})
}
