// Package disco answers XEP-0030 service discovery for the server
// (identity server/im, the features of every registered module, and the
// server's items) and for user accounts (identity account/registered).
package disco

import (
	"context"

	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Item is a disco item the server lists (a component or service).
type Item struct{ JID, Name string }

// Service answers disco#info and disco#items.
type Service struct {
	mux   *im.Mux
	name  string
	items func(domain string) []Item
}

// Register installs disco on mux. items may be nil.
func Register(mux *im.Mux, serverName string, items func(domain string) []Item) *Service {
	s := &Service{mux: mux, name: serverName, items: items}
	mux.Handle(ns.DiscoInfo, "query", im.ToServer|im.ToAccount, s.info)
	mux.Handle(ns.DiscoItems, "query", im.ToServer|im.ToAccount, s.itemsHandler)
	return s
}

func (s *Service) info(_ context.Context, sess router.Session, iq *xml.Element) {
	if iq.Attr("type") != "get" {
		sess.Deliver(stanza.Error(iq, stanza.NotAllowed, ""))
		return
	}
	if node := iq.Children[0].Attr("node"); node != "" {
		sess.Deliver(stanza.Error(iq, stanza.ItemNotFound, "unknown node"))
		return
	}
	to, _ := jid.Parse(iq.Attr("to"))
	q := xml.NewElement(ns.DiscoInfo, "query")
	var features []string
	if to.Local() == "" && !to.IsZero() {
		q.AddChild(identity("server", "im", s.name))
		features = s.mux.Features(im.ToServer)
	} else {
		q.AddChild(identity("account", "registered", ""))
		features = s.mux.Features(im.ToAccount)
	}
	for _, f := range features {
		q.AddChild(xml.NewElement(ns.DiscoInfo, "feature", xml.Attr{Name: "var", Value: f}))
	}
	sess.Deliver(stanza.Result(iq, q))
}

func (s *Service) itemsHandler(_ context.Context, sess router.Session, iq *xml.Element) {
	if iq.Attr("type") != "get" {
		sess.Deliver(stanza.Error(iq, stanza.NotAllowed, ""))
		return
	}
	q := xml.NewElement(ns.DiscoItems, "query")
	to, _ := jid.Parse(iq.Attr("to"))
	if to.Local() == "" && !to.IsZero() && s.items != nil {
		for _, it := range s.items(to.Domain()) {
			el := xml.NewElement(ns.DiscoItems, "item", xml.Attr{Name: "jid", Value: it.JID})
			if it.Name != "" {
				el.SetAttr("name", it.Name)
			}
			q.AddChild(el)
		}
	}
	sess.Deliver(stanza.Result(iq, q))
}

func identity(category, typ, name string) *xml.Element {
	el := xml.NewElement(ns.DiscoInfo, "identity",
		xml.Attr{Name: "category", Value: category}, xml.Attr{Name: "type", Value: typ})
	if name != "" {
		el.SetAttr("name", name)
	}
	return el
}
