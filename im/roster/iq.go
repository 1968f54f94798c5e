package roster

import (
	"context"
	"strconv"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// HandleIQ answers a jabber:iq:roster get or set from the client
// session s (RFC 6121 §2.1.3, §2.1.5). iq is already stamped with the
// session's full JID.
func (e *Engine) HandleIQ(ctx context.Context, s router.Session, iq *xml.Element) {
	owner := s.JID().Bare().String()
	if to := iq.Attr("to"); to != "" && to != owner {
		// Only the user's own roster can be managed (§2.1.1).
		s.Deliver(stanza.Error(iq, stanza.Forbidden, ""))
		return
	}
	query := iq.Child(ns.Roster, "query")
	switch iq.Attr("type") {
	case "get":
		e.rosterGet(ctx, s, iq, query, owner)
	case "set":
		e.rosterSet(ctx, s, iq, query, owner)
	default:
		s.Deliver(stanza.Error(iq, stanza.BadRequest, ""))
	}
}

func (e *Engine) rosterGet(ctx context.Context, s router.Session, iq, query *xml.Element, owner string) {
	if len(query.Children) > 0 {
		s.Deliver(stanza.Error(iq, stanza.BadRequest, "a roster get carries no items"))
		return
	}
	e.router.SetInterested(s)
	r, err := e.view(ctx, owner)
	if err != nil {
		e.log.Error("roster get", "user", owner, "err", err)
		s.Deliver(stanza.Error(iq, stanza.InternalServerError, ""))
		return
	}
	// XEP-0237: an up-to-date client gets an empty result and no pushes
	// are owed, since every change since its version would be pushed live.
	if query.HasAttr("ver") && query.Attr("ver") == strconv.FormatInt(r.ver(), 10) {
		s.Deliver(stanza.Result(iq))
		return
	}
	ver, items := r.sortedItems()
	q := xml.NewElement(ns.Roster, "query", xml.Attr{Name: "ver", Value: strconv.FormatInt(ver, 10)})
	for _, it := range items {
		q.AddChild(itemElement(it, false))
	}
	s.Deliver(stanza.Result(iq, q))
}

func (e *Engine) rosterSet(ctx context.Context, s router.Session, iq, query *xml.Element, owner string) {
	items := query.ChildrenNamed(ns.Roster, "item")
	if len(items) != 1 || len(query.Children) != 1 {
		s.Deliver(stanza.Error(iq, stanza.BadRequest, "a roster set carries exactly one item"))
		return
	}
	el := items[0]
	contact, err := jid.Parse(el.Attr("jid"))
	if err != nil || !contact.IsBare() {
		s.Deliver(stanza.Error(iq, stanza.JIDMalformed, "item jid must be a valid bare JID"))
		return
	}
	if contact.String() == owner {
		s.Deliver(stanza.Error(iq, stanza.NotAllowed, "you cannot add yourself to your roster"))
		return
	}
	cj := contact.String()
	if el.Attr("subscription") == "remove" {
		if err := e.removeContact(ctx, s, owner, cj); err != nil {
			if err == errItemNotFound {
				s.Deliver(stanza.Error(iq, stanza.ItemNotFound, ""))
				return
			}
			e.log.Error("roster remove", "user", owner, "err", err)
			s.Deliver(stanza.Error(iq, stanza.InternalServerError, ""))
			return
		}
		s.Deliver(stanza.Result(iq))
		return
	}
	if sub := el.Attr("subscription"); sub != "" && sub != store.SubNone {
		// Clients cannot set subscription states (§2.1.2.5); "none" is tolerated.
		s.Deliver(stanza.Error(iq, stanza.BadRequest, "subscription can only be set to remove"))
		return
	}
	groups, ok := itemGroups(el)
	if !ok {
		s.Deliver(stanza.Error(iq, stanza.NotAcceptable, "groups must be non-empty and unique"))
		return
	}
	if len(el.Attr("name")) > 1023 {
		s.Deliver(stanza.Error(iq, stanza.NotAcceptable, "name too long"))
		return
	}

	mu := e.stripe(owner)
	mu.Lock()
	it, found, err := e.item(ctx, owner, cj)
	full := false
	if err == nil && !found {
		full, err = e.full(ctx, owner)
	}
	if err == nil && !full {
		if !found {
			it = store.RosterItem{Contact: cj, Subscription: store.SubNone}
		}
		it.Name, it.Groups = el.Attr("name"), groups
		err = e.put(ctx, owner, it)
	}
	mu.Unlock()
	if full {
		// RFC 6121 §2.3.3 answers a roster set beyond a server-configured
		// limit (of a name's or a group's length) with <not-acceptable/>;
		// a roster's size is such a limit.
		s.Deliver(stanza.Error(iq, stanza.NotAcceptable, e.rosterFull()))
		return
	}
	if err != nil {
		e.log.Error("roster set", "user", owner, "err", err)
		s.Deliver(stanza.Error(iq, stanza.InternalServerError, ""))
		return
	}
	s.Deliver(stanza.Result(iq))
}

func itemGroups(el *xml.Element) ([]string, bool) {
	var groups []string
	seen := map[string]bool{}
	for _, g := range el.ChildrenNamed(ns.Roster, "group") {
		name := g.Text
		if name == "" || seen[name] || len(name) > 1023 {
			return nil, false
		}
		seen[name] = true
		groups = append(groups, name)
	}
	return groups, true
}

// itemElement renders a roster item; remove renders a removal push.
func itemElement(it store.RosterItem, remove bool) *xml.Element {
	el := xml.NewElement(ns.Roster, "item", xml.Attr{Name: "jid", Value: it.Contact})
	if remove {
		el.SetAttr("subscription", "remove")
		return el
	}
	if it.Name != "" {
		el.SetAttr("name", it.Name)
	}
	el.SetAttr("subscription", it.Subscription)
	if it.AskOut {
		el.SetAttr("ask", "subscribe")
	}
	if it.Approved {
		el.SetAttr("approved", "true")
	}
	for _, g := range it.Groups {
		el.AddChild(xml.NewElement(ns.Roster, "group").SetText(g))
	}
	return el
}

// push sends a roster push to every interested resource of owner
// (§2.1.6).
func (e *Engine) push(owner string, ver int64, it store.RosterItem, remove bool) {
	for _, res := range e.router.Resources(owner) {
		if !res.Interested {
			continue
		}
		q := xml.NewElement(ns.Roster, "query", xml.Attr{Name: "ver", Value: strconv.FormatInt(ver, 10)})
		q.AddChild(itemElement(it, remove))
		res.Session.Deliver(stanza.NewIQ("set", "push"+strconv.FormatInt(ver, 10), "", res.Session.JID().String(), q))
	}
}
