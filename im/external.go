package im

import (
	"context"

	"github.com/parley-im/parley/router"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// FromExternal routes a stanza an external component (XEP-0114) sent,
// like FromComponent, except that an iq request no session takes is
// answered through reply (RFC 6120 §8.2.3): one to a served domain by
// the server's own handlers (disco, ping, version...), any other with
// service-unavailable. An internal component cannot be answered this
// way (it sends under its own locks); an external one's reply never
// blocks.
func (d *Dispatcher) FromExternal(ctx context.Context, el *xml.Element, reply func(*xml.Element)) {
	to, err := jid.Parse(el.Attr("to"))
	typ := stanza.Type(el)
	if err != nil || el.Name != stanza.IQ || (typ != "get" && typ != "set") || !d.local(to.Domain()) {
		d.FromComponent(ctx, el)
		return
	}
	if !to.IsBare() {
		if res, ok := d.router.Resource(to); ok {
			res.Session.Deliver(el)
			return
		}
	}
	if len(el.Children) != 1 {
		reply(stanza.Error(el, stanza.BadRequest, "an iq get or set carries exactly one payload"))
		return
	}
	if to.Local() == "" && to.Resource() == "" {
		from, err := jid.Parse(el.Attr("from"))
		if err == nil {
			d.serve(ctx, replySession{jid: from, reply: reply}, el, ToServer)
			return
		}
	}
	reply(stanza.Error(el, stanza.ServiceUnavailable, ""))
}

// replySession stands for an external component where the server's iq
// handlers expect the asking client's session.
type replySession struct {
	jid   jid.JID
	reply func(*xml.Element)
}

func (s replySession) JID() jid.JID            { return s.jid }
func (s replySession) Deliver(el *xml.Element) { s.reply(el) }
func (s replySession) Close(*stream.Error)     {}

// local reports whether a domain is a served host.
func (d *Dispatcher) local(domain string) bool {
	dest, _ := d.router.Route(domain)
	return dest == router.Local
}
