package roster

import (
	"context"
	"errors"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

var errItemNotFound = errors.New("roster: item not found")

// Outbound subscription stanzas (RFC 6121 §3), sent by user to contact.
// Each changes the user's roster, then the contact side is processed
// as inbound (both are local) or the stanza is bounced (remote).

func (e *Engine) outboundSubscription(ctx context.Context, s router.Session, el *xml.Element, user, contact string) error {
	typ := el.Attr("type")
	mu := e.stripe(user)
	mu.Lock()
	it, found, err := e.item(ctx, user, contact)
	if err != nil {
		mu.Unlock()
		return err
	}
	if !found && (typ == "subscribe" || typ == "subscribed") {
		// Both add the contact to the user's roster.
		full, ferr := e.full(ctx, user)
		if ferr != nil || full {
			mu.Unlock()
			if full {
				s.Deliver(stanza.Error(el, stanza.PolicyViolation, e.rosterFull()))
			}
			return ferr
		}
	}
	if !found {
		it = store.RosterItem{Contact: contact, Subscription: store.SubNone}
	}
	route := true
	changed := false
	switch typ {
	case "subscribe": // §3.1.2
		if !hasTo(it) && !it.AskOut {
			it.AskOut, changed = true, true
		}
	case "unsubscribe": // §3.3.2
		if hasTo(it) || it.AskOut {
			it.Subscription = dropTo(it.Subscription)
			it.AskOut, changed = false, true
		}
	case "subscribed": // §3.1.5 approval, or §3.4 pre-approval
		if hasFrom(it) {
			route = false
			break
		}
		reqs, rerr := e.store.SubscriptionRequests(ctx, user)
		if rerr != nil {
			mu.Unlock()
			return rerr
		}
		if pendingFrom(reqs, contact) {
			it.Subscription = addFrom(it.Subscription)
			changed = true
			if err := e.store.DeleteSubscriptionRequest(ctx, user, contact); err != nil {
				mu.Unlock()
				return err
			}
		} else {
			route = false
			if !it.Approved {
				it.Approved, changed = true, true
			}
		}
	case "unsubscribed": // §3.2.2 cancel or deny
		reqs, rerr := e.store.SubscriptionRequests(ctx, user)
		if rerr != nil {
			mu.Unlock()
			return rerr
		}
		pending := pendingFrom(reqs, contact)
		if pending {
			if err := e.store.DeleteSubscriptionRequest(ctx, user, contact); err != nil {
				mu.Unlock()
				return err
			}
		}
		switch {
		case hasFrom(it):
			it.Subscription = dropFrom(it.Subscription)
			changed = true
		case it.Approved:
			it.Approved, changed, route = false, true, false
		case !pending:
			route = false
		}
	}
	if changed {
		err = e.put(ctx, user, it)
	}
	mu.Unlock()
	if err != nil || !route {
		return err
	}

	out := stanza.WithAddress(el, user, contact)
	if err := e.inbound(ctx, out, contact); err != nil {
		return err
	}
	// After approving or cancelling, the user's server sends the user's
	// current presence or unavailable presence to the contact (§3.1.5, §3.2.2).
	switch typ {
	case "subscribed":
		for _, res := range e.router.Resources(user) {
			if res.Available {
				e.deliverPresence(ctx, stanza.WithAddress(res.Presence, res.Session.JID().String(), contact), contact)
			}
		}
	case "unsubscribed":
		for _, res := range e.router.Resources(user) {
			if res.Available {
				e.deliverPresence(ctx, stanza.NewPresence("unavailable", res.Session.JID().String(), contact), contact)
			}
		}
	}
	return nil
}

// inbound routes a subscription stanza to contact: processed locally,
// handed to the component or the other server (federation) that serves
// the contact, or bounced when no one does.
func (e *Engine) inbound(ctx context.Context, el *xml.Element, contact string) error {
	j, _ := parseBare(contact)
	switch dest, c := e.router.Route(j.Domain()); {
	case dest == router.Local:
		return e.inboundSubscription(ctx, el, contact)
	case c != nil:
		c.Receive(ctx, el)
	default:
		e.bounce(el, stanza.RemoteServerNotFound)
	}
	return nil
}

// inboundSubscription processes a subscription stanza addressed to the
// local user owner, sent by the bare JID in el's from (§3.1.3, §3.1.6,
// §3.2.3, §3.3.3).
func (e *Engine) inboundSubscription(ctx context.Context, el *xml.Element, owner string) error {
	from := el.Attr("from")
	typ := el.Attr("type")
	if fj, err := jid.Parse(from); err == nil && e.blockedEitherWay(owner, fj) {
		return nil // XEP-0191: dropped without an answer
	}
	if !e.exists(ctx, owner) {
		if typ == "subscribe" {
			// §3.1.3: a subscription to a non-existent account is refused.
			e.reply(ctx, "unsubscribed", owner, from)
		}
		return nil
	}
	mu := e.stripe(owner)
	mu.Lock()
	it, found, err := e.item(ctx, owner, from)
	if err != nil {
		mu.Unlock()
		return err
	}
	if !found {
		it = store.RosterItem{Contact: from, Subscription: store.SubNone}
	}
	deliver := false
	autoReply := ""
	switch typ {
	case "subscribe":
		switch {
		case hasFrom(it):
			autoReply = "subscribed" // already approved: answer on the user's behalf
		case it.Approved:
			it.Approved = false
			it.Subscription = addFrom(it.Subscription)
			err = e.put(ctx, owner, it)
			autoReply = "subscribed"
		default:
			err = e.store.PutSubscriptionRequest(ctx, owner, store.SubscriptionRequest{From: from, Stanza: el.Bytes("jabber:client")})
			deliver = true
		}
	case "subscribed":
		if found && it.AskOut {
			it.AskOut = false
			it.Subscription = addTo(it.Subscription)
			err = e.put(ctx, owner, it)
			deliver = true
		}
	case "unsubscribe":
		if derr := e.store.DeleteSubscriptionRequest(ctx, owner, from); derr != nil {
			err = derr
		}
		if err == nil && found && hasFrom(it) {
			it.Subscription = dropFrom(it.Subscription)
			err = e.put(ctx, owner, it)
			deliver = true
		}
	case "unsubscribed":
		if found && (hasTo(it) || it.AskOut) {
			it.AskOut = false
			it.Subscription = dropTo(it.Subscription)
			err = e.put(ctx, owner, it)
			deliver = true
		}
	}
	mu.Unlock()
	if err != nil {
		return err
	}
	if deliver {
		e.deliverToAvailable(owner, el)
	}
	switch autoReply {
	case "subscribed":
		e.reply(ctx, "subscribed", owner, from)
		for _, res := range e.router.Resources(owner) {
			if res.Available {
				e.deliverPresence(ctx, stanza.WithAddress(res.Presence, res.Session.JID().String(), from), from)
			}
		}
	}
	if typ == "unsubscribe" && deliver {
		// The contact lost the subscription: it gets unavailable presence.
		for _, res := range e.router.Resources(owner) {
			if res.Available {
				e.deliverPresence(ctx, stanza.NewPresence("unavailable", res.Session.JID().String(), from), from)
			}
		}
	}
	return nil
}

// reply sends a subscription answer from owner's bare JID to a local
// or remote entity, processed as inbound at the other side.
func (e *Engine) reply(ctx context.Context, typ, owner, to string) {
	p := stanza.NewPresence(typ, owner, to)
	j, err := parseBare(to)
	if err != nil {
		return
	}
	if dest, c := e.router.Route(j.Domain()); dest != router.Local {
		if c != nil {
			c.Receive(ctx, p)
		}
		return
	}
	if err := e.inboundSubscription(ctx, p, j.String()); err != nil {
		e.log.Error("subscription reply", "from", owner, "to", to, "err", err)
	}
}

// removeContact removes a roster item and cancels both directions of
// the subscription (§2.5.2).
func (e *Engine) removeContact(ctx context.Context, s router.Session, owner, contact string) error {
	mu := e.stripe(owner)
	mu.Lock()
	it, found, err := e.item(ctx, owner, contact)
	if err == nil && !found {
		err = errItemNotFound
	}
	if err == nil {
		err = e.remove(ctx, owner, it)
	}
	if err == nil {
		err = e.store.DeleteSubscriptionRequest(ctx, owner, contact)
	}
	mu.Unlock()
	if err != nil {
		return err
	}
	if hasTo(it) || it.AskOut {
		if err := e.inbound(ctx, stanza.NewPresence("unsubscribe", owner, contact), contact); err != nil {
			return err
		}
	}
	if hasFrom(it) {
		if err := e.inbound(ctx, stanza.NewPresence("unsubscribed", owner, contact), contact); err != nil {
			return err
		}
		for _, res := range e.router.Resources(owner) {
			if res.Available {
				e.deliverPresence(ctx, stanza.NewPresence("unavailable", res.Session.JID().String(), contact), contact)
			}
		}
	}
	return nil
}

func pendingFrom(reqs []store.SubscriptionRequest, from string) bool {
	for _, r := range reqs {
		if r.From == from {
			return true
		}
	}
	return false
}

func addFrom(sub string) string {
	if sub == store.SubTo || sub == store.SubBoth {
		return store.SubBoth
	}
	return store.SubFrom
}

func addTo(sub string) string {
	if sub == store.SubFrom || sub == store.SubBoth {
		return store.SubBoth
	}
	return store.SubTo
}

func dropFrom(sub string) string {
	if sub == store.SubBoth || sub == store.SubTo {
		return store.SubTo
	}
	return store.SubNone
}

func dropTo(sub string) string {
	if sub == store.SubBoth || sub == store.SubFrom {
		return store.SubFrom
	}
	return store.SubNone
}
