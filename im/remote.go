package im

import (
	"context"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// RemotePresence tells that presence from another server reached a
// local user (network presence watches it).
type RemotePresence struct {
	From, To jid.JID
	Presence *xml.Element
}

// FromRemote routes a stanza another server sent (package s2s checked
// that its from belongs to that server's authenticated domain and its
// to to ours), or an error for a stanza of ours that could not reach
// its server. The rules are those for stanzas from any entity (RFC 6121
// §8.5): messages to local users are delivered, archived, stored
// offline and pushed like local ones; presence goes to the roster
// engine (subscriptions, probes, presence); iq requests to the server or
// to a user's bare JID are answered on the user's behalf by the handlers
// that may answer anyone, never by those that act for the account
// itself; answers travel back through federation. Stanzas to a
// component go to it.
func (d *Dispatcher) FromRemote(ctx context.Context, el *xml.Element) {
	from, err1 := jid.Parse(el.Attr("from"))
	to, err2 := jid.Parse(el.Attr("to"))
	if err1 != nil || err2 != nil {
		return
	}
	switch dest, c := d.router.Route(to.Domain()); dest {
	case router.Service:
		c.Receive(ctx, el)
		return
	case router.Remote:
		return // never relayed from one server to another
	}
	switch el.Name {
	case stanza.Message:
		d.route(ctx, el, to, true)
	case stanza.Presence:
		d.roster.RemotePresence(ctx, el)
		if d.onRemotePresence != nil && to.Local() != "" {
			d.onRemotePresence(ctx, RemotePresence{From: from, To: to, Presence: el})
		}
	case stanza.IQ:
		d.remoteIQ(ctx, el, from, to)
	}
}

// remoteIQ routes an iq from another server to a local address.
func (d *Dispatcher) remoteIQ(ctx context.Context, el *xml.Element, from, to jid.JID) {
	typ := el.Attr("type")
	request := typ == "get" || typ == "set"
	asker := replySession{jid: from, reply: func(r *xml.Element) { d.deliverIQ(ctx, r, from) }}
	switch {
	case el.Attr("id") == "" || (!request && typ != "result" && typ != "error"):
		if stanza.CanReplyWithError(el) {
			asker.Deliver(stanza.Error(el, stanza.BadRequest, "iq needs an id and a type of get, set, result or error"))
		}
	case !to.IsBare():
		res, ok := d.router.Resource(to)
		switch {
		case ok && !d.blockedInbound(to, from):
			res.Session.Deliver(el)
		case request:
			// Not there, or blocking the sender (XEP-0191 §3.3): the same
			// answer, so that a blocked sender learns nothing.
			asker.Deliver(stanza.Error(el, stanza.ServiceUnavailable, ""))
		}
	case !request:
		// Answers to the server's own requests go to whoever waits for
		// them; answers to a bare JID, nothing waits for.
		if to.Local() == "" && d.calls != nil {
			d.calls.Resolve(el)
		}
	case len(el.Children) != 1:
		asker.Deliver(stanza.Error(el, stanza.BadRequest, "an iq get or set carries exactly one payload"))
	case to.Local() == "":
		d.serve(ctx, asker, el, ToServer)
	default:
		d.contactIQ(ctx, asker, el, to)
	}
}
