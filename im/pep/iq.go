package pep

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/im/disco"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/dataform"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Features are the pubsub features PEP offers on accounts (XEP-0060
// §10, XEP-0163 §5, XEP-0223 §4).
var Features = []string{
	ns.PubSub + "#access-open",
	ns.PubSub + "#access-presence",
	ns.PubSub + "#access-roster",
	ns.PubSub + "#access-whitelist",
	ns.PubSub + "#auto-create",
	ns.PubSub + "#config-node",
	ns.PubSub + "#config-node-max",
	ns.PubSub + "#create-and-configure",
	ns.PubSub + "#create-nodes",
	ns.PubSub + "#delete-items",
	ns.PubSub + "#delete-nodes",
	ns.PubSub + "#filtered-notifications",
	ns.PubSub + "#item-ids",
	ns.PubSub + "#last-published",
	ns.PubSub + "#persistent-items",
	ns.PubSub + "#presence-notifications",
	ns.PubSub + "#publish",
	ns.PubSub + "#publish-options",
	ns.PubSub + "#purge-nodes",
	ns.PubSub + "#retract-items",
	ns.PubSub + "#retrieve-default",
	ns.PubSub + "#retrieve-items",
}

// Register installs PEP on mux: the pubsub and pubsub#owner handlers for
// one's own account and others', the pubsub/pep identity and features.
func (s *Service) Register(mux *im.Mux) {
	mux.Handle(ns.PubSub, "pubsub", im.ToAccount|im.ToContact, s.HandleIQ)
	mux.Handle(ns.PubSubOwner, "pubsub", im.ToAccount|im.ToContact, s.HandleOwnerIQ)
	mux.AddIdentity(im.ToAccount, im.Identity{Category: "pubsub", Type: "pep"})
	for _, f := range Features {
		mux.AddFeature(im.ToAccount, f)
	}
}

// target returns the account an iq addresses and whether it is the
// sender's own.
func target(sess router.Session, iq *xml.Element) (owner string, own bool) {
	self := sess.JID().Bare().String()
	to, err := jid.Parse(iq.Attr("to"))
	if err != nil || to.IsZero() {
		return self, true
	}
	return to.Bare().String(), to.Bare().String() == self
}

// pubsubError is an error reply with a pubsub#errors condition.
func pubsubError(iq *xml.Element, cond stanza.Condition, app string, attrs ...xml.Attr) *xml.Element {
	reply := stanza.Error(iq, cond, "")
	if app != "" {
		reply.Child(ns.Client, "error").AddChild(xml.NewElement(ns.PubSubErrors, app, attrs...))
	}
	return reply
}

func unsupported(iq *xml.Element, feature string) *xml.Element {
	return pubsubError(iq, stanza.FeatureNotImplemented, "unsupported", xml.Attr{Name: "feature", Value: feature})
}

// errorReply maps the internal API's errors to the protocol's.
func (s *Service) errorReply(iq *xml.Element, err error) *xml.Element {
	switch {
	case errors.Is(err, ErrNodeNotFound), errors.Is(err, ErrItemNotFound):
		return stanza.Error(iq, stanza.ItemNotFound, "")
	case errors.Is(err, ErrPrecondition):
		return pubsubError(iq, stanza.Conflict, "precondition-not-met")
	case errors.Is(err, ErrBadConfig):
		return stanza.Error(iq, stanza.NotAcceptable, "a configuration value is not supported (max_items at most "+strconv.Itoa(s.cfg.MaxItems)+")")
	case errors.Is(err, ErrTooManyNodes):
		return pubsubError(iq, stanza.NotAllowed, "max-nodes-exceeded")
	case errors.Is(err, ErrPayloadTooBig):
		return pubsubError(iq, stanza.NotAcceptable, "payload-too-big")
	case errors.Is(err, ErrNodeExists):
		return stanza.Error(iq, stanza.Conflict, "the node exists")
	}
	s.log.Error("pep", "iq", iq.Attr("id"), "from", iq.Attr("from"), "err", err)
	return stanza.Error(iq, stanza.InternalServerError, "")
}

// firstAction is the first pubsub child: the action (publish, items...).
func firstAction(ps *xml.Element, space string) *xml.Element {
	for _, c := range ps.Children {
		if c.Space == space {
			return c
		}
	}
	return nil
}

// HandleIQ answers <pubsub xmlns='http://jabber.org/protocol/pubsub'/>.
func (s *Service) HandleIQ(ctx context.Context, sess router.Session, iq *xml.Element) {
	ps := iq.Children[0]
	action := firstAction(ps, ns.PubSub)
	if action == nil {
		sess.Deliver(stanza.Error(iq, stanza.BadRequest, "no pubsub action"))
		return
	}
	owner, own := target(sess, iq)
	set := iq.Attr("type") == "set"
	switch {
	case !set && action.Name == "items":
		s.items(ctx, sess, iq, owner, action)
	case set && !own && (action.Name == "publish" || action.Name == "retract" || action.Name == "create"):
		sess.Deliver(stanza.Error(iq, stanza.Forbidden, "only the account's owner publishes to its nodes"))
	case set && action.Name == "publish":
		s.handlePublish(ctx, sess, iq, owner, action, ps.Child(ns.PubSub, "publish-options"))
	case set && action.Name == "retract":
		s.handleRetract(ctx, sess, iq, owner, action)
	case set && action.Name == "create":
		s.create(ctx, sess, iq, owner, action, ps.Child(ns.PubSub, "configure"))
	case action.Name == "subscribe" || action.Name == "unsubscribe" || action.Name == "options":
		sess.Deliver(unsupported(iq, "subscribe"))
	case action.Name == "subscriptions":
		sess.Deliver(unsupported(iq, "retrieve-subscriptions"))
	case action.Name == "affiliations":
		sess.Deliver(unsupported(iq, "retrieve-affiliations"))
	default:
		sess.Deliver(stanza.Error(iq, stanza.FeatureNotImplemented, "not supported in PEP: "+action.Name))
	}
}

// HandleOwnerIQ answers <pubsub xmlns='http://jabber.org/protocol/pubsub#owner'/>.
func (s *Service) HandleOwnerIQ(ctx context.Context, sess router.Session, iq *xml.Element) {
	ps := iq.Children[0]
	action := firstAction(ps, ns.PubSubOwner)
	if action == nil {
		sess.Deliver(stanza.Error(iq, stanza.BadRequest, "no pubsub#owner action"))
		return
	}
	owner, own := target(sess, iq)
	if !own {
		sess.Deliver(stanza.Error(iq, stanza.Forbidden, "only the account's owner manages its nodes"))
		return
	}
	node := action.Attr("node")
	set := iq.Attr("type") == "set"
	switch {
	case !set && action.Name == "default":
		res := xml.NewElement(ns.PubSubOwner, "pubsub").AddChild(
			xml.NewElement(ns.PubSubOwner, "default").AddChild(DefaultConfig().form(s.cfg.MaxItems).Element()))
		sess.Deliver(stanza.Result(iq, res))
	case node == "" && (action.Name == "configure" || action.Name == "delete" || action.Name == "purge"):
		sess.Deliver(pubsubError(iq, stanza.BadRequest, "nodeid-required"))
	case !set && action.Name == "configure":
		cfg, err := s.Config(ctx, owner, node)
		if err != nil {
			sess.Deliver(s.errorReply(iq, err))
			return
		}
		res := xml.NewElement(ns.PubSubOwner, "pubsub").AddChild(
			xml.NewElement(ns.PubSubOwner, "configure", xml.Attr{Name: "node", Value: node}).AddChild(cfg.form(s.cfg.MaxItems).Element()))
		sess.Deliver(stanza.Result(iq, res))
	case set && action.Name == "configure":
		f, ok := dataform.Find(action)
		if !ok {
			sess.Deliver(stanza.Error(iq, stanza.BadRequest, "no configuration form"))
			return
		}
		if f.Type == dataform.TypeCancel {
			sess.Deliver(stanza.Result(iq))
			return
		}
		if t := f.FormType(); t != "" && t != nodeConfigForm {
			sess.Deliver(stanza.Error(iq, stanza.BadRequest, "FORM_TYPE must be "+nodeConfigForm))
			return
		}
		if err := s.Configure(ctx, owner, node, f); err != nil {
			sess.Deliver(s.errorReply(iq, err))
			return
		}
		sess.Deliver(stanza.Result(iq))
	case set && (action.Name == "delete" || action.Name == "purge"):
		after, err := s.deleteOrPurge(ctx, owner, node, action.Name == "delete")
		if err != nil {
			sess.Deliver(s.errorReply(iq, err))
			return
		}
		sess.Deliver(stanza.Result(iq))
		after(ctx)
	case action.Name == "subscriptions" || action.Name == "affiliations":
		sess.Deliver(unsupported(iq, "manage-"+action.Name))
	default:
		sess.Deliver(stanza.Error(iq, stanza.FeatureNotImplemented, "not supported in PEP: "+action.Name))
	}
}

func (s *Service) handlePublish(ctx context.Context, sess router.Session, iq *xml.Element, owner string, pub, opts *xml.Element) {
	node := pub.Attr("node")
	if node == "" {
		sess.Deliver(pubsubError(iq, stanza.BadRequest, "nodeid-required"))
		return
	}
	items := pub.ChildrenNamed(ns.PubSub, "item")
	if len(items) != 1 {
		sess.Deliver(pubsubError(iq, stanza.BadRequest, "invalid-payload"))
		return
	}
	switch len(items[0].Children) {
	case 0:
		sess.Deliver(pubsubError(iq, stanza.BadRequest, "payload-required"))
		return
	case 1:
	default:
		sess.Deliver(pubsubError(iq, stanza.BadRequest, "invalid-payload"))
		return
	}
	var form *dataform.Form
	if opts != nil {
		f, ok := dataform.Find(opts)
		if !ok {
			sess.Deliver(stanza.Error(iq, stanza.BadRequest, "publish-options without a data form"))
			return
		}
		if t := f.FormType(); t != publishOptionsForm {
			sess.Deliver(stanza.Error(iq, stanza.BadRequest, "FORM_TYPE must be "+publishOptionsForm))
			return
		}
		form = &f
	}
	id, after, err := s.publish(ctx, owner, node, items[0].Attr("id"), items[0].Children[0], form, false)
	if err != nil {
		sess.Deliver(s.errorReply(iq, err))
		return
	}
	res := xml.NewElement(ns.PubSub, "pubsub").AddChild(
		xml.NewElement(ns.PubSub, "publish", xml.Attr{Name: "node", Value: node}).AddChild(
			xml.NewElement(ns.PubSub, "item", xml.Attr{Name: "id", Value: id})))
	sess.Deliver(stanza.Result(iq, res))
	after(ctx)
}

func (s *Service) handleRetract(ctx context.Context, sess router.Session, iq *xml.Element, owner string, r *xml.Element) {
	node := r.Attr("node")
	if node == "" {
		sess.Deliver(pubsubError(iq, stanza.BadRequest, "nodeid-required"))
		return
	}
	items := r.ChildrenNamed(ns.PubSub, "item")
	if len(items) != 1 || items[0].Attr("id") == "" {
		sess.Deliver(pubsubError(iq, stanza.BadRequest, "item-required"))
		return
	}
	notify, _ := dataform.Bool(r.Attr("notify"))
	after, err := s.retract(ctx, owner, node, items[0].Attr("id"), notify)
	if err != nil {
		sess.Deliver(s.errorReply(iq, err))
		return
	}
	sess.Deliver(stanza.Result(iq))
	after(ctx)
}

func (s *Service) create(ctx context.Context, sess router.Session, iq *xml.Element, owner string, c, configure *xml.Element) {
	node := c.Attr("node")
	if node == "" {
		sess.Deliver(pubsubError(iq, stanza.NotAcceptable, "nodeid-required"))
		return
	}
	cfg := DefaultConfig()
	if configure != nil {
		if f, ok := dataform.Find(configure); ok {
			if cfg, ok = cfg.apply(f, s.cfg.MaxItems); !ok {
				sess.Deliver(s.errorReply(iq, ErrBadConfig))
				return
			}
		}
	}
	if err := s.Create(ctx, owner, node, cfg); err != nil {
		sess.Deliver(s.errorReply(iq, err))
		return
	}
	sess.Deliver(stanza.Result(iq))
}

// items answers a retrieve-items request (XEP-0060 §6.5), checked
// against the node's access model.
func (s *Service) items(ctx context.Context, sess router.Session, iq *xml.Element, owner string, req *xml.Element) {
	node := req.Attr("node")
	if node == "" {
		sess.Deliver(pubsubError(iq, stanza.BadRequest, "nodeid-required"))
		return
	}
	cfg, err := s.Config(ctx, owner, node)
	if err != nil {
		sess.Deliver(s.errorReply(iq, err))
		return
	}
	switch s.may(ctx, owner, cfg, sess.JID()) {
	case accessPresence:
		sess.Deliver(pubsubError(iq, stanza.NotAuthorized, "presence-subscription-required"))
		return
	case accessRoster:
		sess.Deliver(pubsubError(iq, stanza.NotAuthorized, "not-in-roster-group"))
		return
	case accessClosed:
		sess.Deliver(pubsubError(iq, stanza.NotAllowed, "closed-node"))
		return
	}
	var ids []string
	for _, it := range req.ChildrenNamed(ns.PubSub, "item") {
		if id := it.Attr("id"); id != "" {
			ids = append(ids, id)
		}
	}
	max := 0
	if v := req.Attr("max_items"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			sess.Deliver(stanza.Error(iq, stanza.BadRequest, "max_items must be a positive number"))
			return
		}
		max = n
	}
	list, err := s.Items(ctx, owner, node, ids, max)
	if err != nil {
		sess.Deliver(s.errorReply(iq, err))
		return
	}
	out := xml.NewElement(ns.PubSub, "items", xml.Attr{Name: "node", Value: node})
	for _, it := range list {
		out.AddChild(xml.NewElement(ns.PubSub, "item", xml.Attr{Name: "id", Value: it.ID}, xml.Attr{Name: "publisher", Value: it.Publisher}).
			AddChild(it.Payload))
	}
	sess.Deliver(stanza.Result(iq, xml.NewElement(ns.PubSub, "pubsub").AddChild(out)))
}

// DiscoNodes answers disco for accounts' nodes (XEP-0060 §5): the
// account's items are the nodes the requester may read, a node's info
// its identity, its items the item ids.
func (s *Service) DiscoNodes(ctx context.Context, requester, entity jid.JID, node string) (*disco.Info, []disco.Item, bool) {
	if entity.Local() == "" || !entity.IsBare() || !s.cfg.IsLocal(entity.Domain()) {
		return nil, nil, false
	}
	owner := entity.String()
	nodes, err := s.view(ctx, owner)
	if err != nil {
		s.log.Error("pep: disco", "owner", owner, "err", err)
		return nil, nil, false
	}
	if node == "" {
		var items []disco.Item
		for name, cfg := range nodes {
			if s.may(ctx, owner, cfg, requester) == accessOK {
				items = append(items, disco.Item{JID: owner, Node: name})
			}
		}
		slices.SortFunc(items, func(a, b disco.Item) int { return strings.Compare(a.Node, b.Node) })
		return nil, items, true
	}
	cfg, ok := nodes[node]
	if !ok || s.may(ctx, owner, cfg, requester) != accessOK {
		return nil, nil, false
	}
	info := &disco.Info{Identities: []im.Identity{{Category: "pubsub", Type: "leaf"}}, Features: []string{ns.PubSub}}
	list, err := s.Items(ctx, owner, node, nil, 0)
	if err != nil {
		return info, nil, true
	}
	var items []disco.Item
	for _, it := range list {
		items = append(items, disco.Item{JID: owner, Name: it.ID})
	}
	return info, items, true
}
