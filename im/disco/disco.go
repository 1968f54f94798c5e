// Package disco answers XEP-0030 service discovery for the server
// (identity server/im, the features of every registered module, and the
// server's items) and for user accounts (identity account/registered,
// plus the identities modules add, such as pubsub/pep). Modules answer
// for their own nodes (ad-hoc commands, an account's PEP nodes) through
// NodeFuncs.
package disco

import (
	"context"
	"sync"

	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Item is a disco item the server lists (a component or service, a node).
type Item struct{ JID, Name, Node string }

// Info is what a node's disco#info answers.
type Info struct {
	Identities []im.Identity
	Features   []string
}

// NodeFunc answers disco for a node of an entity: requester asks entity
// (a served domain or an account's bare JID) about node ("" for the
// entity itself; then only items are asked for, and they are added to
// the entity's own). It returns ok false when the node is not its
// business; a node the requester may not see is answered with no items.
type NodeFunc func(ctx context.Context, requester, entity jid.JID, node string) (info *Info, items []Item, ok bool)

// Service answers disco#info and disco#items.
type Service struct {
	mux   *im.Mux
	name  string
	items func(domain string) []Item

	mu    sync.RWMutex
	nodes []NodeFunc
}

// Register installs disco on mux. items may be nil.
func Register(mux *im.Mux, serverName string, items func(domain string) []Item) *Service {
	s := &Service{mux: mux, name: serverName, items: items}
	mux.Handle(ns.DiscoInfo, "query", im.ToServer|im.ToAccount|im.ToContact, s.info)
	mux.Handle(ns.DiscoItems, "query", im.ToServer|im.ToAccount|im.ToContact, s.itemsHandler)
	return s
}

// HandleNodes adds fn to the functions asked about nodes, in order.
func (s *Service) HandleNodes(fn NodeFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodes = append(s.nodes, fn)
}

// node asks the NodeFuncs about a node.
func (s *Service) node(ctx context.Context, requester, entity jid.JID, node string) (*Info, []Item, bool) {
	s.mu.RLock()
	fns := s.nodes
	s.mu.RUnlock()
	for _, fn := range fns {
		if info, items, ok := fn(ctx, requester, entity, node); ok {
			return info, items, true
		}
	}
	return nil, nil, false
}

func (s *Service) info(ctx context.Context, sess router.Session, iq *xml.Element) {
	if iq.Attr("type") != "get" {
		sess.Deliver(stanza.Error(iq, stanza.NotAllowed, ""))
		return
	}
	to := target(sess, iq)
	q := xml.NewElement(ns.DiscoInfo, "query")
	if node := iq.Children[0].Attr("node"); node != "" {
		info, _, ok := s.node(ctx, sess.JID(), to, node)
		if !ok || info == nil {
			sess.Deliver(stanza.Error(iq, stanza.ItemNotFound, "unknown node"))
			return
		}
		q.SetAttr("node", node)
		for _, id := range info.Identities {
			q.AddChild(identity(id.Category, id.Type, id.Name))
		}
		for _, f := range info.Features {
			q.AddChild(xml.NewElement(ns.DiscoInfo, "feature", xml.Attr{Name: "var", Value: f}))
		}
		sess.Deliver(stanza.Result(iq, q))
		return
	}
	var features []string
	if to.Local() == "" {
		q.AddChild(identity("server", "im", s.name))
		for _, id := range s.mux.Identities(im.ToServer) {
			q.AddChild(identity(id.Category, id.Type, id.Name))
		}
		features = s.mux.Features(im.ToServer)
	} else {
		q.AddChild(identity("account", "registered", ""))
		for _, id := range s.mux.Identities(im.ToAccount) {
			q.AddChild(identity(id.Category, id.Type, id.Name))
		}
		features = s.mux.Features(im.ToAccount)
	}
	for _, f := range features {
		q.AddChild(xml.NewElement(ns.DiscoInfo, "feature", xml.Attr{Name: "var", Value: f}))
	}
	sess.Deliver(stanza.Result(iq, q))
}

func (s *Service) itemsHandler(ctx context.Context, sess router.Session, iq *xml.Element) {
	if iq.Attr("type") != "get" {
		sess.Deliver(stanza.Error(iq, stanza.NotAllowed, ""))
		return
	}
	q := xml.NewElement(ns.DiscoItems, "query")
	to := target(sess, iq)
	node := iq.Children[0].Attr("node")
	var items []Item
	if node != "" {
		_, list, ok := s.node(ctx, sess.JID(), to, node)
		if !ok {
			sess.Deliver(stanza.Error(iq, stanza.ItemNotFound, "unknown node"))
			return
		}
		q.SetAttr("node", node)
		items = list
	} else {
		if to.Local() == "" && s.items != nil {
			items = s.items(to.Domain())
		}
		_, list, _ := s.node(ctx, sess.JID(), to, "")
		items = append(items, list...)
	}
	for _, it := range items {
		el := xml.NewElement(ns.DiscoItems, "item", xml.Attr{Name: "jid", Value: it.JID})
		if it.Node != "" {
			el.SetAttr("node", it.Node)
		}
		if it.Name != "" {
			el.SetAttr("name", it.Name)
		}
		q.AddChild(el)
	}
	sess.Deliver(stanza.Result(iq, q))
}

// target is the entity asked: the iq's 'to', or the sender's own
// account when it has none.
func target(sess router.Session, iq *xml.Element) jid.JID {
	to, err := jid.Parse(iq.Attr("to"))
	if err != nil || to.IsZero() {
		return sess.JID().Bare()
	}
	return to
}

func identity(category, typ, name string) *xml.Element {
	el := xml.NewElement(ns.DiscoInfo, "identity",
		xml.Attr{Name: "category", Value: category}, xml.Attr{Name: "type", Value: typ})
	if name != "" {
		el.SetAttr("name", name)
	}
	return el
}
