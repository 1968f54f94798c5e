package roster

import (
	"context"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/xml"
)

// What other modules (PEP, blocking, last activity, vCard avatars) read
// from rosters, and the presence they have the engine send. They read
// an online user's roster from the cache, like presence fan-out does.

// Item returns owner's roster item for contact (ok false when absent).
func (e *Engine) Item(ctx context.Context, owner, contact string) (store.RosterItem, bool, error) {
	return e.item(ctx, owner, contact)
}

// Subscribers lists the contacts subscribed to owner's presence
// (subscription from or both): who receives owner's presence and PEP
// notifications.
func (e *Engine) Subscribers(ctx context.Context, owner string) ([]string, error) {
	r, err := e.view(ctx, owner)
	if err != nil {
		return nil, err
	}
	return r.subscribedFrom(), nil
}

// Subscriptions lists the contacts whose presence owner subscribes to
// (subscription to or both).
func (e *Engine) Subscriptions(ctx context.Context, owner string) ([]string, error) {
	r, err := e.view(ctx, owner)
	if err != nil {
		return nil, err
	}
	return r.subscribedTo(), nil
}

// Broadcast sends a session's available presence again to the contacts
// subscribed to its user and to the user's resources (after the server
// changed it, e.g. a new avatar hash). The caller records it in the
// router first.
func (e *Engine) Broadcast(ctx context.Context, s router.Session, el *xml.Element) {
	e.broadcast(ctx, s, el)
}

// DeliverPresenceTo routes presence to one entity, as a directed
// presence is routed (blocked pairs excepted).
func (e *Engine) DeliverPresenceTo(ctx context.Context, el *xml.Element, to string) {
	e.deliverPresence(ctx, el, to)
}

// blockedBetween reports whether a local account among a and b blocks
// the other (XEP-0191).
func (e *Engine) blockedBetween(a, b jid.JID) bool {
	if e.blocks == nil || a.Bare() == b.Bare() {
		return false
	}
	return (a.Local() != "" && e.isLocal(a.Domain()) && e.blocks(a.Bare().String(), b)) ||
		(b.Local() != "" && e.isLocal(b.Domain()) && e.blocks(b.Bare().String(), a))
}

// blockedEitherWay is blockedBetween for the local user bare and a contact.
func (e *Engine) blockedEitherWay(user string, contact jid.JID) bool {
	u, err := jid.Parse(user)
	return err == nil && e.blockedBetween(u, contact)
}
