package muc

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// message handles a message to the room or to an occupant (§7.4-7.9).
func (r *Room) message(ctx context.Context, el *xml.Element, from, to jid.JID) {
	typ := stanza.Type(el)
	if typ == "error" {
		return
	}
	o := r.sessions[from]
	if !to.IsBare() {
		r.private(ctx, el, from, to, o)
		return
	}
	if typ == "groupchat" {
		if o == nil {
			r.errorReply(ctx, el, errNotAcceptable, "only occupants may send messages to the room")
			return
		}
		r.groupchat(ctx, el, o)
		return
	}
	if x := el.Child(NSUser, "x"); x != nil {
		if invites := x.ChildrenNamed(NSUser, "invite"); len(invites) > 0 {
			r.invite(ctx, el, from, o, invites)
			return
		}
		if d := x.Child(NSUser, "decline"); d != nil {
			r.decline(ctx, el, from, d)
			return
		}
	}
	if form := el.Child(ns.DataForms, "x"); form != nil && formType(form) == NSRequest {
		r.voiceRequest(ctx, el, o, form)
		return
	}
	r.errorReply(ctx, el, errBadRequest, "send groupchat messages to the room, private messages to an occupant")
}

// groupchat broadcasts an occupant's message (§7.4), or changes the
// subject (§8.1).
func (r *Room) groupchat(ctx context.Context, el *xml.Element, o *occupant) {
	body := el.Child(ns.Client, "body")
	if subj := el.Child(ns.Client, "subject"); subj != nil && body == nil {
		r.changeSubject(ctx, el, o, subj.Text)
		return
	}
	if o.role < Participant {
		r.errorReply(ctx, el, errForbidden, "visitors may not speak in a moderated room; request voice")
		return
	}
	// Chat states and other body-less messages pass through without
	// counting against the rate, history or archive.
	if body != nil && o.limiter != nil && !o.limiter.Allow() {
		r.errorReply(ctx, el, errRate, "too many messages: slow down")
		return
	}
	msg := r.reflect(el, o)
	from := r.occupantJID(o.nick)
	at := now()
	if body != nil && storable(el) {
		if id := r.archive(ctx, msg, from, at); id != "" {
			msg.Children = append(msg.Children, xml.NewElement(ns.StanzaID, "stanza-id",
				xml.Attr{Name: "id", Value: id}, xml.Attr{Name: "by", Value: r.jid.String()}))
		}
	}
	// Serialized once: each recipient's copy only gets its own start
	// tag (sendTo), the payload is copied verbatim.
	msg.SerializeInner()
	if body != nil && storable(el) {
		r.remember(stanza.WithAddress(msg, from, ""), at)
	}
	for _, q := range r.sortedOccupants() {
		r.sendTo(ctx, q, msg, from)
	}
	r.observe(ctx, Message, o, func(e *Event) { e.Message = msg })
}

// reflect builds the message the room broadcasts for an occupant: the
// client's message without forged stanza-ids by the room or occupant
// ids, with the occupant's id.
func (r *Room) reflect(el *xml.Element, o *occupant) *xml.Element {
	msg := stanza.WithAddress(el, "", "")
	msg.Inner = nil
	room := r.jid.String()
	msg.Children = slices.DeleteFunc(slices.Clone(el.Children), func(c *xml.Element) bool {
		return c.Space == NSOccupant || (c.Space == ns.StanzaID && c.Name == "stanza-id" && c.Attr("by") == room)
	})
	msg.SetAttr("type", "groupchat")
	msg.Children = append(msg.Children, xml.NewElement(NSOccupant, "occupant-id", xml.Attr{Name: "id", Value: r.occupantID(o.bare)}))
	return msg
}

// storable: not hinted away from storage (XEP-0334).
func storable(el *xml.Element) bool {
	return el.Child(ns.Hints, "no-store") == nil && el.Child(ns.Hints, "no-permanent-store") == nil
}

// archive appends a broadcast message to the room archive when the room
// keeps one, returning its id ("" when not archived).
func (r *Room) archive(ctx context.Context, msg *xml.Element, from string, at time.Time) string {
	if !r.st.Config.Archive || !r.st.Config.Persistent {
		return ""
	}
	stored := stanza.WithAddress(msg, from, "")
	id, err := r.svc.cfg.Store.AppendRoomArchive(ctx, r.jid.String(), store.ArchivedMessage{
		With: from, At: at, Stanza: stored.Bytes(ns.Client)})
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			r.svc.log.Error("room archive", "room", r.jid.String(), "err", err)
		}
		return ""
	}
	return id
}

// changeSubject sets the subject if o may (§8.1).
func (r *Room) changeSubject(ctx context.Context, el *xml.Element, o *occupant, subject string) {
	if !(o.role == Moderator || (r.st.Config.ChangeSubject && o.role >= Participant)) {
		r.errorReply(ctx, el, errForbidden, "you may not change the subject")
		return
	}
	r.st.Subject, r.st.SubjectBy = subject, o.nick
	r.persist(ctx)
	msg := r.reflect(el, o)
	for _, q := range r.sortedOccupants() {
		r.sendTo(ctx, q, msg, r.occupantJID(o.nick))
	}
}

// private relays a private message between occupants (§7.5), or an iq
// style error to a message sent to a nick in the wrong way.
func (r *Room) private(ctx context.Context, el *xml.Element, from, to jid.JID, o *occupant) {
	if o == nil {
		r.errorReply(ctx, el, errNotAcceptable, "only occupants may send private messages")
		return
	}
	if stanza.Type(el) == "groupchat" {
		r.errorReply(ctx, el, errBadRequest, "groupchat messages go to the room")
		return
	}
	allowed := false
	switch r.st.Config.AllowPM {
	case "anyone", "":
		allowed = true
	case "participants":
		allowed = o.role >= Participant
	case "moderators":
		allowed = o.role == Moderator
	}
	if !allowed {
		r.errorReply(ctx, el, errForbidden, "private messages are not allowed in this room")
		return
	}
	target := r.occupants[to.Resource()]
	if target == nil {
		r.errorReply(ctx, el, errNotFound, "no such occupant")
		return
	}
	msg := stanza.WithAddress(el, "", "")
	msg.Inner = nil
	msg.Children = slices.DeleteFunc(slices.Clone(el.Children), func(c *xml.Element) bool {
		return (c.Space == NSUser && c.Name == "x") || c.Space == NSOccupant
	})
	msg.Children = append(msg.Children, xml.NewElement(NSUser, "x"),
		xml.NewElement(NSOccupant, "occupant-id", xml.Attr{Name: "id", Value: r.occupantID(o.bare)}))
	r.sendTo(ctx, target, msg, r.occupantJID(o.nick))
}

// invite relays mediated invitations (§7.8.2).
func (r *Room) invite(ctx context.Context, el *xml.Element, from jid.JID, o *occupant, invites []*xml.Element) {
	if o == nil {
		r.errorReply(ctx, el, errNotAcceptable, "only occupants may invite")
		return
	}
	aff := r.affiliation(o.bare)
	cfg := r.st.Config
	// An invitation to an open room grants nothing, so any occupant may
	// send one; to a members-only room it makes the invitee a member, so
	// only admins, owners and moderators may, and members where the room
	// allows it (§7.8.2; off by default, as in ejabberd and Prosody).
	allowed := aff >= Admin || o.role == Moderator || !cfg.MembersOnly ||
		(cfg.AllowInvites && aff >= Member)
	if !allowed {
		r.errorReply(ctx, el, errForbidden, "you may not invite people to this room")
		return
	}
	var targets []jid.JID
	for _, inv := range invites {
		t, err := jid.Parse(inv.Attr("to"))
		if err != nil || t.IsZero() {
			r.errorReply(ctx, el, errBadRequest, "an invitation needs a 'to' address")
			return
		}
		targets = append(targets, t)
	}
	changed := false
	for i, inv := range invites {
		t := targets[i]
		if cfg.MembersOnly && r.affiliation(t.Bare().String()) < Member && r.affiliation(t.Bare().String()) != Outcast {
			// The invitee could not enter otherwise (§7.8.2 allows this).
			r.setAffiliation(t.Bare().String(), Member)
			changed = true
		}
		out := xml.NewElement(NSUser, "invite", xml.Attr{Name: "from", Value: from.Bare().String()})
		reason := ""
		if rs := inv.Child(NSUser, "reason"); rs != nil {
			reason = rs.Text
			out.AddChild(xml.NewElement(NSUser, "reason").SetText(rs.Text))
		}
		if cont := inv.Child(NSUser, "continue"); cont != nil {
			// Converting a one-to-one chat into a conference (§7.9).
			out.AddChild(xml.NewElement(NSUser, "continue", cont.Attrs...))
		}
		ux := xml.NewElement(NSUser, "x").AddChild(out)
		if cfg.Password != "" {
			ux.AddChild(xml.NewElement(NSUser, "password").SetText(cfg.Password))
		}
		body := from.Bare().String() + " invites you to the room " + r.jid.String()
		if reason != "" {
			body += ": " + reason
		}
		m := stanza.NewMessage("normal", r.jid.String(), t.String(), body)
		m.AddChild(ux)
		r.svc.send(ctx, m)
	}
	if changed {
		r.persist(ctx)
	}
}

// decline relays a declined invitation to the inviter (§7.8.2).
func (r *Room) decline(ctx context.Context, el *xml.Element, from jid.JID, d *xml.Element) {
	to, err := jid.Parse(d.Attr("to"))
	if err != nil || to.IsZero() {
		r.errorReply(ctx, el, errBadRequest, "a decline needs a 'to' address")
		return
	}
	out := xml.NewElement(NSUser, "decline", xml.Attr{Name: "from", Value: from.Bare().String()})
	if rs := d.Child(NSUser, "reason"); rs != nil {
		out.AddChild(xml.NewElement(NSUser, "reason").SetText(rs.Text))
	}
	m := stanza.NewMessage("normal", r.jid.String(), to.String(), "")
	m.AddChild(xml.NewElement(NSUser, "x").AddChild(out))
	r.svc.send(ctx, m)
}

// voiceRequest forwards a visitor's request for voice to the moderators,
// or applies a moderator's answer to one (§8.6, §7.13).
func (r *Room) voiceRequest(ctx context.Context, el *xml.Element, o *occupant, form *xml.Element) {
	if o == nil {
		r.errorReply(ctx, el, errNotAcceptable, "only occupants may request voice")
		return
	}
	fields := formFields(form)
	if o.role == Moderator && fields["muc#roomnick"] != nil {
		nick := first(fields["muc#roomnick"])
		if !truthy(first(fields["muc#request_allow"])) {
			return // the moderator denied it: nothing to tell (§8.6)
		}
		target := r.occupants[nick]
		if target == nil {
			r.errorReply(ctx, el, errNotFound, "no such occupant")
			return
		}
		if target.role == Visitor {
			target.role = Participant
			r.broadcastPresence(ctx, target, "", nil, nil)
		}
		return
	}
	if first(fields["muc#role"]) != "participant" {
		r.errorReply(ctx, el, errBadRequest, "only voice (muc#role participant) can be requested")
		return
	}
	if o.role != Visitor {
		return // has voice already
	}
	req := xml.NewElement("jabber:x:data", "x", xml.Attr{Name: "type", Value: "form"})
	req.AddChild(xml.NewElement("jabber:x:data", "title").SetText("Voice request"))
	req.AddChild(xml.NewElement("jabber:x:data", "instructions").SetText("To approve this request for voice, select the \"Grant voice to this person?\" checkbox and submit this form."))
	req.AddChild(hiddenField("FORM_TYPE", NSRequest))
	req.AddChild(field("muc#role", "list-single", "Requested role", "participant"))
	if len(o.sessions) > 0 {
		req.AddChild(field("muc#jid", "jid-single", "User ID", o.sessions[0].String()))
	}
	req.AddChild(field("muc#roomnick", "text-single", "Room Nickname", o.nick))
	req.AddChild(field("muc#request_allow", "boolean", "Grant voice to this person?", "false"))
	for _, q := range r.sortedOccupants() {
		if q.role == Moderator {
			m := stanza.NewMessage("normal", "", "", strings.TrimSpace(o.nick+" requests voice in "+r.jid.String()))
			m.AddChild(req)
			r.sendTo(ctx, q, m, r.jid.String())
		}
	}
}
