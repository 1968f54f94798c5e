package muc

import (
	"context"
	"strconv"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

func isPing(iq *xml.Element) bool {
	return len(iq.Children) == 1 && iq.Children[0].Space == ns.Ping && iq.Children[0].Name == "ping"
}

// iq handles an iq to the room or to an occupant.
func (r *Room) iq(ctx context.Context, iq *xml.Element, from, to jid.JID) {
	typ := iq.Attr("type")
	if !to.IsBare() {
		r.occupantIQ(ctx, iq, from, to)
		return
	}
	if typ != "get" && typ != "set" {
		return
	}
	if len(iq.Children) != 1 {
		r.errorReply(ctx, iq, errBadRequest, "an iq get or set carries exactly one payload")
		return
	}
	p := iq.Children[0]
	if r.locked && r.affiliation(from.Bare().String()) != Owner {
		r.errorReply(ctx, iq, errNotFound, "the room is locked")
		return
	}
	switch {
	case p.Space == NSOwner && p.Name == "query" && p.Child(NSOwner, "item") != nil:
		// Owner and admin lists through muc#owner (XEP-0045 before 1.20).
		r.admin(ctx, iq, from)
	case p.Space == NSOwner && p.Name == "query":
		r.owner(ctx, iq, from)
	case p.Space == NSAdmin && p.Name == "query":
		r.admin(ctx, iq, from)
	case p.Space == ns.DiscoInfo && p.Name == "query" && typ == "get":
		r.discoInfo(ctx, iq)
	case p.Space == ns.DiscoItems && p.Name == "query" && typ == "get":
		r.svc.send(ctx, stanza.Result(iq, xml.NewElement(ns.DiscoItems, "query")))
	case p.Space == ns.MAM && p.Name == "query":
		r.queryArchive(ctx, iq, from)
	case p.Space == NSRegister && p.Name == "query":
		r.register(ctx, iq, from)
	case isPing(iq):
		r.svc.send(ctx, stanza.Result(iq))
	default:
		r.errorReply(ctx, iq, errUnavailable, "")
	}
}

// occupantIQ answers a self-ping (XEP-0410) and relays other iqs
// between occupants (§7.7 allows the service to proxy them): a request
// from an occupant to another's nick goes to that occupant under an id
// the room chose, and only the answer carrying that id goes back, to
// the session that asked, with its own id.
func (r *Room) occupantIQ(ctx context.Context, iq *xml.Element, from, to jid.JID) {
	o := r.sessions[from]
	request := iq.Attr("type") == "get" || iq.Attr("type") == "set"
	if o == nil {
		if request {
			r.errorReply(ctx, iq, errNotAcceptable, "you are not an occupant of this room")
		}
		return
	}
	if !request {
		p, ok := r.pending[iq.Attr("id")]
		if !ok || p.target != from {
			return // not an answer to anything the room relayed
		}
		delete(r.pending, iq.Attr("id"))
		out := stanza.WithAddress(iq, r.occupantJID(o.nick), p.asker.String())
		out.SetAttr("id", p.id)
		r.svc.send(ctx, out)
		return
	}
	target := r.occupants[to.Resource()]
	if isPing(iq) && target == o {
		r.svc.send(ctx, stanza.Result(iq))
		return
	}
	if target == nil || len(target.sessions) == 0 {
		r.errorReply(ctx, iq, errNotFound, "no such occupant")
		return
	}
	for len(r.pendingOrder) >= maxPendingIQs {
		delete(r.pending, r.pendingOrder[0]) // never answered (or answered already)
		r.pendingOrder = r.pendingOrder[1:]
	}
	r.iqSeq++
	id := "muc" + strconv.FormatUint(r.iqSeq, 36)
	r.pending[id] = pendingIQ{asker: from, id: iq.Attr("id"), target: target.sessions[0]}
	r.pendingOrder = append(r.pendingOrder, id)
	out := stanza.WithAddress(iq, r.occupantJID(o.nick), target.sessions[0].String())
	out.SetAttr("id", id)
	r.svc.send(ctx, out)
}

// maxPendingIQs bounds the relayed requests awaiting an answer per room;
// requests nobody answers are dropped oldest-first as new ones come.
const maxPendingIQs = 256

// pendingIQ is a relayed request awaiting its answer.
type pendingIQ struct {
	asker  jid.JID // the session that asked
	id     string  // its id
	target jid.JID // the session asked
}

// discoInfo describes the room (§6.4) with its features and the
// muc#roominfo form.
func (r *Room) discoInfo(ctx context.Context, iq *xml.Element) {
	switch node := iq.Children[0].Attr("node"); node {
	case "":
	case "x-roomuser-item":
		// The reserved nickname (§7.12): an identity naming it, or none.
		q := xml.NewElement(ns.DiscoInfo, "query", xml.Attr{Name: "node", Value: node})
		from, _ := jid.Parse(iq.Attr("from"))
		if nick := r.st.Nicks[from.Bare().String()]; nick != "" {
			q.AddChild(xml.NewElement(ns.DiscoInfo, "identity", xml.Attr{Name: "category", Value: "conference"},
				xml.Attr{Name: "type", Value: "text"}, xml.Attr{Name: "name", Value: nick}))
		}
		r.svc.send(ctx, stanza.Result(iq, q))
		return
	default:
		r.errorReply(ctx, iq, errNotFound, "unknown node")
		return
	}
	c := r.st.Config
	q := xml.NewElement(ns.DiscoInfo, "query")
	name := c.Name
	if name == "" {
		name = r.jid.Local()
	}
	q.AddChild(xml.NewElement(ns.DiscoInfo, "identity", xml.Attr{Name: "category", Value: "conference"},
		xml.Attr{Name: "type", Value: "text"}, xml.Attr{Name: "name", Value: name}))
	pick := func(b bool, yes, no string) string {
		if b {
			return yes
		}
		return no
	}
	features := []string{NS, NSUser, NSRequest, NSRegister, NSSelfPing, NSStableID, NSOccupant, ns.DiscoInfo, ns.Ping, ns.StanzaID,
		pick(c.Public, "muc_public", "muc_hidden"),
		pick(c.Persistent, "muc_persistent", "muc_temporary"),
		pick(c.MembersOnly, "muc_membersonly", "muc_open"),
		pick(c.Moderated, "muc_moderated", "muc_unmoderated"),
		pick(c.nonAnonymous(), "muc_nonanonymous", "muc_semianonymous"),
		pick(c.Password != "", "muc_passwordprotected", "muc_unsecured"),
	}
	if c.Archive && c.Persistent {
		features = append(features, ns.MAM, ns.MAMExt)
	}
	sortStrings(features)
	for _, f := range features {
		q.AddChild(xml.NewElement(ns.DiscoInfo, "feature", xml.Attr{Name: "var", Value: f}))
	}
	x := xml.NewElement(ns.DataForms, "x", xml.Attr{Name: "type", Value: "result"})
	x.AddChild(hiddenField("FORM_TYPE", NSRoomInfo))
	x.AddChild(field("muc#roominfo_description", "text-single", "Description", c.Description))
	if c.Lang != "" {
		// The muc#roominfo registry (§15.5.4) has the language; the roles
		// of presence broadcast and member list retrieval are the owner's
		// business only and have no muc#roominfo field.
		x.AddChild(field("muc#roominfo_lang", "text-single", "Natural Language for Room Discussions", c.Lang))
	}
	x.AddChild(field("muc#roominfo_occupants", "text-single", "Number of occupants", strconv.Itoa(len(r.occupants))))
	x.AddChild(field("muc#roominfo_subject", "text-single", "Subject", r.st.Subject))
	x.AddChild(field("muc#roominfo_subjectmod", "boolean", "Occupants may change the subject", boolValue(c.ChangeSubject)))
	x.AddChild(field("muc#roomconfig_roomname", "text-single", "Name", c.Name))
	if m := r.maxUsers(); m > 0 {
		x.AddChild(field("muc#maxusers", "text-single", "Maximum occupants", strconv.Itoa(m)))
	}
	x.AddChild(field("muc#roomconfig_allowinvites", "boolean", "Occupants may invite", boolValue(c.AllowInvites)))
	x.AddChild(field("muc#roomconfig_allowpm", "list-single", "Who may send private messages", c.AllowPM))
	q.AddChild(x)
	r.svc.send(ctx, stanza.Result(iq, q))
}
