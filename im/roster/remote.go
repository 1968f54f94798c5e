package roster

import (
	"context"
	"errors"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// RemotePresence handles presence another server sent to a local
// address (federation; package s2s checked that from belongs to the
// sending server): subscription stanzas change the local user's roster
// as if sent by a local contact (§3), a probe is answered (§4.3.2), and
// other presence is delivered (§4.6, §8.5).
func (e *Engine) RemotePresence(ctx context.Context, el *xml.Element) {
	from, err1 := jid.Parse(el.Attr("from"))
	to, err2 := jid.Parse(el.Attr("to"))
	if err1 != nil || err2 != nil {
		return
	}
	switch el.Attr("type") {
	case "subscribe", "subscribed", "unsubscribe", "unsubscribed":
		if to.Local() == "" {
			return // subscriptions to the server itself are not served
		}
		// Subscriptions are between bare JIDs (§3.1.3), whatever the
		// other server stamped.
		p := stanza.WithAddress(el, from.Bare().String(), to.Bare().String())
		if err := e.inboundSubscription(ctx, p, to.Bare().String()); err != nil {
			e.log.Error("subscription from another server", "from", from.String(), "to", to.String(), "err", err)
		}
	case "probe":
		if to.Local() != "" {
			e.answerProbe(ctx, from.Bare().String(), to.Bare().String())
		}
	default:
		e.deliverPresence(ctx, el, to.String())
	}
}

// answerProbe answers a probe from prober (on another server) for the
// presence of the local user owner (§4.3.2): the presence of each
// available resource if prober is subscribed, else the last unavailable
// presence; "unsubscribed" if prober is not subscribed (which lets its
// server fix a roster that drifted), unless prober's own subscription
// request is pending, which such an answer would cancel.
func (e *Engine) answerProbe(ctx context.Context, prober, owner string) {
	send := func(p *xml.Element) { e.deliverPresence(ctx, p, prober) }
	if pj, err := jid.Parse(prober); err != nil || e.blockedEitherWay(owner, pj) {
		return // XEP-0191: a blocked entity learns nothing
	}
	if !e.exists(ctx, owner) {
		send(stanza.NewPresence("unsubscribed", owner, prober))
		return
	}
	it, found, err := e.item(ctx, owner, prober)
	if err != nil {
		e.log.Error("presence probe", "user", owner, "from", prober, "err", err)
		return
	}
	if !found || !hasFrom(it) {
		reqs, err := e.store.SubscriptionRequests(ctx, owner)
		if err != nil || pendingFrom(reqs, prober) {
			return
		}
		send(stanza.NewPresence("unsubscribed", owner, prober))
		return
	}
	sent := false
	for _, res := range e.router.Resources(owner) {
		if res.Available && res.Presence != nil {
			send(stanza.WithAddress(res.Presence, res.Session.JID().String(), prober))
			sent = true
		}
	}
	if sent {
		return
	}
	p := stanza.NewPresence("unavailable", owner, prober)
	if raw, at, err := e.store.LastPresence(ctx, owner); err == nil {
		if last, err := xml.ParseElement(raw, ns.Client, xml.DefaultLimits); err == nil {
			p = stanza.WithAddress(last, owner, prober)
			p.AddChild(delay(owner, at))
		}
	}
	send(p)
}

// ErrRosterFull: owner's roster has no room for another contact.
var ErrRosterFull = errors.New("roster: the roster is full")

// SubscribeFor asks contact for its presence on owner's behalf, as
// owner's client would (§3.1.2): the contact joins owner's roster with
// a pending subscription, and the request goes to it. Network presence
// uses it. subscribed reports that owner already receives the contact's
// presence; nothing is sent then, nor when a request is already pending.
func (e *Engine) SubscribeFor(ctx context.Context, owner, contact string) (subscribed bool, err error) {
	it, found, err := e.item(ctx, owner, contact)
	if err != nil {
		return false, err
	}
	switch {
	case found && hasTo(it):
		return true, nil
	case found && it.AskOut:
		return false, nil
	}
	if !found {
		if full, err := e.full(ctx, owner); err != nil || full {
			if full {
				err = ErrRosterFull
			}
			return false, err
		}
	}
	return false, e.outboundSubscription(ctx, discard{}, stanza.NewPresence("subscribe", owner, contact), owner, contact)
}

// ProbeFor asks contact's server for its presence on owner's behalf
// (§4.3), to be answered to owner's bare JID.
func (e *Engine) ProbeFor(ctx context.Context, owner, contact string) {
	e.deliverPresence(ctx, stanza.NewPresence("probe", owner, contact), contact)
}

// discard stands for a client where the engine acts on its own.
type discard struct{}

func (discard) JID() jid.JID         { return jid.JID{} }
func (discard) Deliver(*xml.Element) {}
func (discard) Close(*stream.Error)  {}

// Priority reads a presence's <priority/> (RFC 6121 §4.7.2.3; 0 when
// absent or invalid).
func Priority(el *xml.Element) int { return priority(el) }
