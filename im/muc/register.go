package muc

import (
	"context"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// NSRegisterForm is the FORM_TYPE of room registration (§7.10).
const NSRegisterForm = "http://jabber.org/protocol/muc#register"

// register answers jabber:iq:register on the room (§7.10): registering
// makes the user a member with a reserved nickname; <remove/> cancels
// it. In a members-only room only members may reserve a nickname (an
// admin grants membership).
func (r *Room) register(ctx context.Context, iq *xml.Element, from jid.JID) {
	bare := from.Bare().String()
	q := iq.Children[0]
	aff := r.affiliation(bare)
	if iq.Attr("type") == "get" {
		res := xml.NewElement(NSRegister, "query")
		if nick := r.st.Nicks[bare]; nick != "" {
			res.AddChild(xml.NewElement(NSRegister, "registered"))
			res.AddChild(xml.NewElement(NSRegister, "username").SetText(nick))
		} else {
			res.AddChild(xml.NewElement(NSRegister, "instructions").SetText("Choose the nickname to reserve in this room."))
			x := xml.NewElement(ns.DataForms, "x", xml.Attr{Name: "type", Value: "form"})
			x.AddChild(hiddenField("FORM_TYPE", NSRegisterForm))
			x.AddChild(field("muc#register_roomnick", "text-single", "Desired Nickname").
				AddChild(xml.NewElement(ns.DataForms, "required")))
			res.AddChild(x)
		}
		r.svc.send(ctx, stanza.Result(iq, res))
		return
	}
	if q.Child(NSRegister, "remove") != nil {
		if r.st.Nicks[bare] == "" && aff != Member {
			r.errorReply(ctx, iq, errNotFound, "you are not registered with this room")
			return
		}
		delete(r.st.Nicks, bare)
		if aff == Member {
			r.setAffiliation(bare, NoAffiliation)
		}
		r.persist(ctx)
		r.svc.send(ctx, stanza.Result(iq))
		for _, o := range r.occupantsOf(bare) {
			r.roleForAffiliation(ctx, o, "", "")
		}
		return
	}
	x := q.Child(ns.DataForms, "x")
	if x == nil || x.Attr("type") != "submit" {
		r.errorReply(ctx, iq, errBadRequest, "submit the registration form")
		return
	}
	if ft := formType(x); ft != "" && ft != NSRegisterForm {
		r.errorReply(ctx, iq, errBadRequest, "FORM_TYPE must be "+NSRegisterForm)
		return
	}
	nick, _ := normalizeNick(first(formFields(x)["muc#register_roomnick"]))
	switch {
	case nick == "":
		r.errorReply(ctx, iq, errNotAcceptable, "a nickname is required")
		return
	case aff == Outcast:
		r.errorReply(ctx, iq, errForbidden, "you are banned from this room")
		return
	case r.st.Config.MembersOnly && aff < Member:
		r.errorReply(ctx, iq, errRegistration, "only members may register in a members-only room")
		return
	case r.nickTaken(nick, bare):
		r.errorReply(ctx, iq, errConflict, "that nickname is reserved or in use")
		return
	}
	if r.st.Nicks == nil {
		r.st.Nicks = map[string]string{}
	}
	r.st.Nicks[bare] = nick
	if aff < Member {
		r.setAffiliation(bare, Member)
	}
	r.persist(ctx)
	r.svc.send(ctx, stanza.Result(iq))
	if aff < Member {
		for _, o := range r.occupantsOf(bare) {
			r.roleForAffiliation(ctx, o, "", "")
		}
	}
}

// nickTaken reports whether nick is reserved by, or in use by, someone
// other than bare.
func (r *Room) nickTaken(nick, bare string) bool {
	if o := r.occupants[nick]; o != nil && o.bare != bare {
		return true
	}
	return r.reservedBy(nick, bare)
}

// reservedBy reports whether another user than bare reserved nick.
func (r *Room) reservedBy(nick, bare string) bool {
	for b, n := range r.st.Nicks {
		if n == nick && b != bare {
			return true
		}
	}
	return false
}
