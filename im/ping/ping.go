// Package ping answers XEP-0199 pings addressed to the server or to the
// user's own account. Server-initiated pings of idle clients are sent
// by package c2s, which owns the connection's timers.
package ping

import (
	"context"

	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Register installs the ping handler on mux.
func Register(mux *im.Mux) {
	mux.Handle(ns.Ping, "ping", im.ToServer|im.ToAccount, handle)
}

func handle(_ context.Context, s router.Session, iq *xml.Element) {
	if iq.Attr("type") != "get" {
		s.Deliver(stanza.Error(iq, stanza.BadRequest, "ping is an iq get"))
		return
	}
	s.Deliver(stanza.Result(iq))
}
