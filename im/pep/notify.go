package pep

import (
	"context"
	"sort"
	"time"

	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/im/caps"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// notify sends an event of owner's node to every available resource
// that may read the node and asked for its notifications (+notify):
// the owner's resources and those of contacts subscribed to the owner's
// presence.
func (s *Service) notify(ctx context.Context, owner, node string, cfg NodeConfig, event *xml.Element) {
	msg := eventMessage(owner, event)
	want := node + "+notify"
	send := func(res router.Resource) {
		if !res.Available {
			return
		}
		if f, ok := s.features(res); ok && f.Has(want) {
			res.Session.Deliver(withTo(msg, res.Session.JID().String()))
		}
	}
	for _, res := range s.cfg.Router.Resources(owner) {
		send(res)
	}
	if cfg.AccessModel == AccessWhitelist {
		return
	}
	contacts, err := s.cfg.Roster.Subscribers(ctx, owner)
	if err != nil {
		s.log.Error("pep: notification recipients", "owner", owner, "err", err)
		return
	}
	sort.Strings(contacts)
	for _, c := range contacts {
		cj, err := jid.Parse(c)
		if err != nil || cj.Local() == "" || !s.cfg.IsLocal(cj.Domain()) {
			continue
		}
		resources := s.cfg.Router.Resources(c)
		if len(resources) == 0 || s.may(ctx, owner, cfg, cj) != accessOK {
			continue
		}
		for _, res := range resources {
			send(res)
		}
	}
}

// features returns what a resource's current capabilities stand for,
// if known (asking for them otherwise happens on its presence).
func (s *Service) features(res router.Resource) (caps.Features, bool) {
	cp, ok := caps.FromPresence(res.Presence)
	if !ok || s.cfg.Caps == nil {
		return nil, false
	}
	return s.cfg.Caps.Lookup(res.Session, cp, nil)
}

func eventMessage(owner string, event *xml.Element) *xml.Element {
	msg := xml.NewElement(ns.Client, "message",
		xml.Attr{Name: "from", Value: owner}, xml.Attr{Name: "type", Value: "headline"},
		xml.Attr{Name: "id", Value: newItemID()})
	msg.AddChild(xml.NewElement(ns.PubSubEvent, "event").AddChild(event))
	return msg
}

func withTo(msg *xml.Element, to string) *xml.Element {
	c := *msg
	c.Attrs = append(append([]xml.Attr(nil), msg.Attrs...), xml.Attr{Name: "to", Value: to})
	return &c
}

// PresenceChanged sends a resource that becomes available, or that
// announces new capabilities, the last item of every node it may read
// and asked notifications of (XEP-0163 §4.3.4): its own account's and
// its contacts'. When its capabilities are not known yet they are asked
// for (once per hash) and the items follow the answer.
func (s *Service) PresenceChanged(ctx context.Context, ev im.PresenceChanged) {
	full := ev.Session.JID()
	if ev.Presence == nil {
		s.mu.Lock()
		delete(s.seen, full)
		s.mu.Unlock()
		return
	}
	cp, ok := caps.FromPresence(ev.Presence)
	key := ""
	if ok {
		key = cp.Hash + " " + cp.Ver
	}
	s.mu.Lock()
	prev, was := s.seen[full]
	s.seen[full] = key
	s.mu.Unlock()
	if !ok || (was && prev == key) || s.cfg.Caps == nil {
		return
	}
	sess := ev.Session
	f, known := s.cfg.Caps.Lookup(sess, cp, func(f caps.Features) {
		if f == nil {
			return
		}
		// Still the same resource with the same capabilities?
		res, ok := s.cfg.Router.Resource(full)
		if now, cok := caps.FromPresence(res.Presence); !ok || res.Session != sess || !res.Available || !cok || now != cp {
			return
		}
		since := s.cfg.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s.sendLastItems(ctx, sess, f, since)
	})
	if known {
		// Known capabilities: sess has been a recipient of live
		// notifications since the router took this presence, which may
		// be a while before this event reaches here.
		since := s.cfg.Now()
		if res, ok := s.cfg.Router.Resource(full); ok && res.Session == sess && !res.Changed.IsZero() && res.Changed.Before(since) {
			since = res.Changed
		}
		s.sendLastItems(ctx, sess, f, since)
	}
}

// sendLastItems delivers to sess the last item of every node of its
// own account and of its contacts' that it may read and wants, among
// those published before since. From since on, sess is available with
// known capabilities, so what is published later reaches it as a live
// notification: reading the nodes takes a while (a database round trip
// per owner), and an item published meanwhile must not come twice, the
// second time as an old one after its retraction, say.
func (s *Service) sendLastItems(ctx context.Context, sess router.Session, f caps.Features, since time.Time) {
	user := sess.JID().Bare().String()
	owners := []string{user}
	contacts, err := s.cfg.Roster.Subscriptions(ctx, user)
	if err != nil {
		s.log.Error("pep: contacts for last items", "user", user, "err", err)
	}
	sort.Strings(contacts)
	for _, c := range contacts {
		if cj, err := jid.Parse(c); err == nil && cj.Local() != "" && s.cfg.IsLocal(cj.Domain()) && !s.blocked(user, cj) {
			owners = append(owners, c)
		}
	}
	to := sess.JID().String()
	for _, owner := range owners {
		nodes, err := s.view(ctx, owner)
		if err != nil {
			s.log.Error("pep: nodes for last items", "owner", owner, "err", err)
			continue
		}
		names := make([]string, 0, len(nodes))
		for n := range nodes {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, node := range names {
			cfg := nodes[node]
			if cfg.SendLast == SendNever || !f.Has(node+"+notify") {
				continue
			}
			if owner != user && (cfg.AccessModel == AccessWhitelist || !s.mayContact(ctx, owner, cfg, sess.JID())) {
				continue
			}
			it, ok, err := s.lastItem(ctx, owner, node)
			if err != nil {
				s.log.Error("pep: last item", "owner", owner, "node", node, "err", err)
				continue
			}
			if !ok || it.Published.After(since) {
				continue
			}
			s.deliverItem(sess, to, owner, node, it)
		}
	}
}

// mayContact is may for a contact whose roster has owner with a
// subscription to owner's presence: the presence model's check is then
// implied (the two rosters mirror each other for local accounts), and
// only the roster model needs owner's roster item.
func (s *Service) mayContact(ctx context.Context, owner string, cfg NodeConfig, requester jid.JID) bool {
	if cfg.AccessModel == AccessPresence || cfg.AccessModel == AccessOpen {
		return !s.blocked(owner, requester)
	}
	return s.may(ctx, owner, cfg, requester) == accessOK
}

func (s *Service) deliverItem(sess router.Session, to, owner, node string, it store.PEPItem) {
	payload, err := parsePayload(it.Payload)
	if err != nil {
		s.log.Error("pep: stored payload does not parse", "owner", owner, "node", node, "item", it.ID, "err", err)
		return
	}
	event := xml.NewElement(ns.PubSubEvent, "items", xml.Attr{Name: "node", Value: node}).
		AddChild(xml.NewElement(ns.PubSubEvent, "item", xml.Attr{Name: "id", Value: it.ID}, xml.Attr{Name: "publisher", Value: it.Publisher}).AddChild(payload))
	msg := withTo(eventMessage(owner, event), to)
	msg.AddChild(xml.NewElement(ns.Delay, "delay",
		xml.Attr{Name: "from", Value: owner},
		xml.Attr{Name: "stamp", Value: it.Published.UTC().Format("2006-01-02T15:04:05.000Z")}))
	sess.Deliver(msg)
}
