package roster

import (
	"context"
	"time"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
)

// SessionLost ends the availability of a session that another node of
// the cluster lost without unbinding it (the node died): its unavailable
// presence goes to the sessions in local (this node's table only; every
// node does the same for its own) of the contacts subscribed to it and
// of its user's other resources. With storeLast, this node also stores
// the user's last unavailable presence, if the user has no available
// resource left anywhere (one node of the cluster is asked to).
func (e *Engine) SessionLost(ctx context.Context, full jid.JID, wasAvailable bool, local router.Router, storeLast bool) {
	if !wasAvailable {
		return
	}
	user := full.Bare().String()
	from := full.String()
	el := stanza.NewPresence("unavailable", from, "")
	r, err := e.view(ctx, user)
	if err != nil {
		e.log.Error("presence of a lost session", "user", user, "err", err)
	} else {
		for _, c := range r.subscribedFrom() {
			for _, res := range local.Resources(c) {
				if res.Available {
					res.Session.Deliver(stanza.WithAddress(el, from, res.Session.JID().String()))
				}
			}
		}
	}
	for _, res := range local.Resources(user) {
		res.Session.Deliver(stanza.WithAddress(el, from, res.Session.JID().String()))
	}
	if !storeLast {
		return
	}
	for _, res := range e.router.Resources(user) {
		if res.Available {
			return
		}
	}
	if err := e.store.SetLastPresence(ctx, user, stanza.WithAddress(el, "", "").Bytes(ns.Client), time.Now().UTC()); err != nil {
		e.log.Error("store last presence", "user", user, "err", err)
	}
}
