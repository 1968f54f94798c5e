package muc

import (
	"context"
	"sort"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// serviceStanza handles stanzas to the service's domain itself: disco
// (§6.1-6.3) and ping; nothing else is served there.
func (s *Service) serviceStanza(ctx context.Context, el *xml.Element, from, to jid.JID) {
	if el.Name != stanza.IQ {
		if el.Name == stanza.Message {
			s.reply(ctx, el, errNotAcceptable, "send messages to a room")
		}
		return
	}
	typ := el.Attr("type")
	if typ != "get" && typ != "set" {
		return
	}
	if len(el.Children) != 1 {
		s.reply(ctx, el, errBadRequest, "an iq get or set carries exactly one payload")
		return
	}
	p := el.Children[0]
	switch {
	case isPing(el):
		s.send(ctx, stanza.Result(el))
	case p.Space == ns.DiscoInfo && typ == "get":
		if p.Attr("node") != "" {
			s.reply(ctx, el, errNotFound, "unknown node")
			return
		}
		q := xml.NewElement(ns.DiscoInfo, "query")
		q.AddChild(xml.NewElement(ns.DiscoInfo, "identity", xml.Attr{Name: "category", Value: "conference"},
			xml.Attr{Name: "type", Value: "text"}, xml.Attr{Name: "name", Value: s.cfg.Name}))
		for _, f := range []string{NS, NSUser, NSOccupant, NSSelfPing, ns.DiscoInfo, ns.DiscoItems, ns.Ping} {
			q.AddChild(xml.NewElement(ns.DiscoInfo, "feature", xml.Attr{Name: "var", Value: f}))
		}
		s.send(ctx, stanza.Result(el, q))
	case p.Space == ns.DiscoItems && typ == "get":
		q := xml.NewElement(ns.DiscoItems, "query")
		for _, it := range s.PublicRooms(ctx, to.Domain()) {
			q.AddChild(xml.NewElement(ns.DiscoItems, "item", xml.Attr{Name: "jid", Value: it[0]}, xml.Attr{Name: "name", Value: it[1]}))
		}
		s.send(ctx, stanza.Result(el, q))
	default:
		s.reply(ctx, el, errUnavailable, "")
	}
}

// PublicRooms lists the public, configured rooms of a domain (live and
// stored) as (JID, name) pairs sorted by JID.
func (s *Service) PublicRooms(ctx context.Context, domain string) [][2]string {
	seen := map[string][2]string{}
	hidden := map[string]bool{}
	for _, r := range s.liveRooms() {
		r.mu.Lock()
		if !r.gone && r.st != nil && r.jid.Domain() == domain {
			if r.st.Config.Public && !r.locked {
				seen[r.jid.String()] = [2]string{r.jid.String(), roomName(r.jid, r.st.Config)}
			} else {
				hidden[r.jid.String()] = true
			}
		}
		r.mu.Unlock()
	}
	stored, err := s.cfg.Store.ListRooms(ctx, domain)
	if err != nil {
		s.log.Error("list rooms", "domain", domain, "err", err)
	}
	for _, sr := range stored {
		if _, ok := seen[sr.JID]; ok || hidden[sr.JID] {
			continue
		}
		st, err := decodeState(sr.State)
		if err != nil || !st.Config.Public {
			continue
		}
		j, err := jid.Parse(sr.JID)
		if err != nil {
			continue
		}
		seen[sr.JID] = [2]string{sr.JID, roomName(j, st.Config)}
	}
	out := make([][2]string, 0, len(seen))
	for _, v := range seen {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

func roomName(j jid.JID, c RoomConfig) string {
	if c.Name != "" {
		return c.Name
	}
	return j.Local()
}
