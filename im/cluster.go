package im

import (
	"context"
	"errors"

	"github.com/parley-im/parley/im/offline"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Undeliverable takes a stanza that another node of a cluster routed to
// a session of this node that is gone (it unbound while the stanza was
// on its way). The sending node archived a message already: here a
// chat or normal message goes to offline storage (OfflineStored then
// has it delivered to wherever the user is), an iq request is answered
// with <service-unavailable/>, anything else is dropped, as for a
// resource that is not there (RFC 6121 §8.5.3.2). It never routes to
// another node, so a stanza cannot travel in circles.
func (d *Dispatcher) Undeliverable(ctx context.Context, el *xml.Element, to jid.JID) {
	switch el.Name {
	case stanza.IQ:
		if t := stanza.Type(el); t == "get" || t == "set" {
			d.bounce(ctx, el, stanza.ServiceUnavailable)
		}
		return
	case stanza.Message:
		if copied(el) {
			return // a carbon or an archive result: for that session only
		}
	default:
		return
	}
	bare := to.Bare().String()
	if d.offline == nil || !offline.Storable(el) || !d.exists(ctx, bare) {
		return
	}
	err := d.offline.Store(ctx, bare, el)
	switch {
	case errors.Is(err, offline.ErrFull):
		d.bounce(ctx, el, stanza.ServiceUnavailable)
	case err != nil:
		d.log.Error("offline store", "to", bare, "err", err)
	default:
		if d.metrics.Stored != nil {
			d.metrics.Stored()
		}
		if d.offlineStored != nil {
			d.offlineStored(bare)
		}
	}
}

// copied reports whether a message is a copy made for one session: a
// carbon (XEP-0280) or an archive query's result (XEP-0313).
func copied(el *xml.Element) bool {
	for _, c := range el.Children {
		if c.Space == ns.Carbons || (c.Space == ns.MAM && c.Name == "result") {
			return true
		}
	}
	return false
}
