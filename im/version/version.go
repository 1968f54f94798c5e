// Package version answers XEP-0092 software version queries to the
// server.
package version

import (
	"context"
	"runtime"

	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Register installs the handler; showOS controls whether the operating
// system is revealed (XEP-0092 §4 leaves it optional).
func Register(mux *im.Mux, name, version string, showOS bool) {
	mux.Handle(ns.Version, "query", im.ToServer, func(_ context.Context, s router.Session, iq *xml.Element) {
		if iq.Attr("type") != "get" {
			s.Deliver(stanza.Error(iq, stanza.NotAllowed, "software version is read-only"))
			return
		}
		q := xml.NewElement(ns.Version, "query")
		q.AddChild(xml.NewElement(ns.Version, "name").SetText(name))
		q.AddChild(xml.NewElement(ns.Version, "version").SetText(version))
		if showOS {
			q.AddChild(xml.NewElement(ns.Version, "os").SetText(runtime.GOOS))
		}
		s.Deliver(stanza.Result(iq, q))
	})
}
