// Package entitytime answers entity time (XEP-0202) for the server: its
// clock in UTC. Queries to a client's full JID go to the client.
package entitytime

import (
	"context"
	"time"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Handler answers <time xmlns='urn:xmpp:time'/> with the clock now.
func Handler(now func() time.Time) func(context.Context, router.Session, *xml.Element) {
	return func(_ context.Context, sess router.Session, iq *xml.Element) {
		if iq.Attr("type") != "get" {
			sess.Deliver(stanza.Error(iq, stanza.BadRequest, "the time is only read"))
			return
		}
		t := now()
		_, offset := t.Zone()
		sign := '+'
		if offset < 0 {
			sign, offset = '-', -offset
		}
		tzo := string(sign) + twoDigits(offset/3600) + ":" + twoDigits(offset%3600/60)
		q := xml.NewElement(ns.Time, "time").
			AddChild(xml.NewElement(ns.Time, "tzo").SetText(tzo)).
			AddChild(xml.NewElement(ns.Time, "utc").SetText(t.UTC().Format("2006-01-02T15:04:05.000Z")))
		sess.Deliver(stanza.Result(iq, q))
	}
}

func twoDigits(n int) string {
	return string(rune('0'+n/10)) + string(rune('0'+n%10))
}
