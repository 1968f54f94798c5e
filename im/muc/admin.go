package muc

import (
	"context"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// adminChange is one validated item of a muc#admin set.
type adminChange struct {
	target *occupant // role changes
	role   Role
	bare   string // affiliation changes
	aff    Affiliation
	isRole bool
	reason string
}

// admin answers the muc#admin namespace (§8, §9, §10): role and
// affiliation changes and the lists, with the permission rules of the
// XEP's privilege tables.
func (r *Room) admin(ctx context.Context, iq *xml.Element, from jid.JID) {
	q := iq.Children[0]
	items := q.ChildrenNamed("", "item") // muc#admin, or muc#owner from older clients
	if len(items) == 0 {
		r.errorReply(ctx, iq, errBadRequest, "expected <item/>")
		return
	}
	actor := r.sessions[from]
	actorAff := r.affiliation(from.Bare().String())
	actorRole := NoRole
	actorNick := ""
	if actor != nil {
		actorRole, actorNick = actor.role, actor.nick
	}
	if iq.Attr("type") == "get" {
		r.adminList(ctx, iq, items[0], actorAff, actorRole)
		return
	}
	changes := make([]adminChange, 0, len(items))
	for _, it := range items {
		ch, cond, text := r.checkItem(it, from.Bare().String(), actorAff, actorRole)
		if text != "" {
			r.errorReply(ctx, iq, cond, text)
			return
		}
		changes = append(changes, ch)
	}
	if r.wouldLoseLastOwner(changes) {
		r.errorReply(ctx, iq, errConflict, "the room must keep at least one owner")
		return
	}
	r.svc.send(ctx, stanza.Result(iq))
	persist := false
	for _, ch := range changes {
		if ch.isRole {
			r.applyRole(ctx, ch, actorNick)
			continue
		}
		persist = true
		r.setAffiliation(ch.bare, ch.aff)
		if ch.aff < Member {
			delete(r.st.Nicks, ch.bare) // a reserved nick belongs to members
		}
		for _, o := range r.occupantsOf(ch.bare) { // every nick of the account
			r.roleForAffiliation(ctx, o, actorNick, ch.reason)
		}
	}
	if persist {
		r.persist(ctx)
	}
}

// checkItem validates one item of a set against the actor's privileges.
func (r *Room) checkItem(it *xml.Element, actorBare string, actorAff Affiliation, actorRole Role) (adminChange, condition, string) {
	ch := adminChange{}
	if rs := it.Child("", "reason"); rs != nil {
		ch.reason = rs.Text
	}
	if roleName := it.Attr("role"); roleName != "" {
		role, ok := parseRole(roleName)
		if !ok {
			return ch, errBadRequest, "unknown role"
		}
		if actorRole != Moderator {
			return ch, errForbidden, "only moderators may change roles"
		}
		t := r.occupants[it.Attr("nick")]
		if t == nil {
			return ch, errNotFound, "no occupant with that nick"
		}
		tAff := r.affiliation(t.bare)
		switch {
		case role != Moderator && tAff >= Admin:
			// Admins and owners are moderators by affiliation (§8.2, §9.7).
			return ch, errNotAllowed, "admins and owners cannot be kicked, silenced or demoted"
		case role == Moderator || t.role == Moderator:
			// Granting or revoking moderator is for admins and owners (§9.6, §9.7).
			if actorAff < Admin {
				return ch, errForbidden, "only admins and owners may grant or revoke moderator"
			}
		}
		if role < t.role && tAff > actorAff {
			return ch, errNotAllowed, "the occupant's affiliation is higher than yours"
		}
		ch.isRole, ch.target, ch.role = true, t, role
		return ch, condition{}, ""
	}
	affName := it.Attr("affiliation")
	aff, ok := parseAffiliation(affName)
	if !ok {
		return ch, errBadRequest, "an item needs a known role or affiliation"
	}
	bare := ""
	if j := it.Attr("jid"); j != "" {
		pj, err := jid.Parse(j)
		if err != nil || pj.IsZero() {
			return ch, errBadRequest, "not a JID"
		}
		bare = pj.Bare().String()
	} else if o := r.occupants[it.Attr("nick")]; o != nil && it.Attr("nick") != "" {
		bare = o.bare
	} else {
		return ch, errBadRequest, "an affiliation item needs a jid or an occupant's nick"
	}
	if actorAff < Admin {
		return ch, errForbidden, "only admins and owners may change affiliations"
	}
	cur := r.affiliation(bare)
	if actorAff != Owner {
		if aff >= Admin {
			return ch, errForbidden, "only owners may grant admin or owner"
		}
		if cur >= Admin {
			return ch, errNotAllowed, "only owners may change an admin's or owner's affiliation"
		}
	}
	ch.bare, ch.aff = bare, aff
	return ch, condition{}, ""
}

// wouldLoseLastOwner reports whether the changes leave no owner (§10.7).
func (r *Room) wouldLoseLastOwner(changes []adminChange) bool {
	owners := map[string]bool{}
	for _, j := range r.owners() {
		owners[j] = true
	}
	for _, ch := range changes {
		if !ch.isRole {
			owners[ch.bare] = ch.aff == Owner
		}
	}
	for _, v := range owners {
		if v {
			return false
		}
	}
	return true
}

// applyRole carries out a role change: kick (307), voice, moderator.
func (r *Room) applyRole(ctx context.Context, ch adminChange, actor string) {
	o := ch.target
	if r.occupants[o.nick] != o {
		return // left meanwhile (an earlier item of the same set)
	}
	if ch.role == NoRole {
		r.remove(ctx, o, []string{"307"}, actor, ch.reason)
		return
	}
	o.role = ch.role
	r.broadcastPresence(ctx, o, "", nil, withActor(actor, ch.reason))
}

func withActor(actor, reason string) func(*xml.Element) {
	return func(it *xml.Element) {
		if actor != "" {
			it.AddChild(xml.NewElement(NSUser, "actor", xml.Attr{Name: "nick", Value: actor}))
		}
		if reason != "" {
			it.AddChild(xml.NewElement(NSUser, "reason").SetText(reason))
		}
	}
}

// roleForAffiliation updates a present occupant after its affiliation
// changed: banned (301), removed from a members-only room (321), or its
// role follows the new affiliation.
func (r *Room) roleForAffiliation(ctx context.Context, o *occupant, actor, reason string) {
	a := r.affiliation(o.bare)
	switch {
	case a == Outcast:
		r.remove(ctx, o, []string{"301"}, actor, reason)
		return
	case r.st.Config.MembersOnly && a < Member:
		r.remove(ctx, o, []string{"321"}, actor, reason)
		return
	case a >= Admin:
		o.role = Moderator
	case o.role == Moderator:
		o.role = defaultRole(a, r.st.Config.Moderated)
	case a == Member && o.role == Visitor:
		o.role = Participant
	}
	r.broadcastPresence(ctx, o, "", nil, withActor(actor, reason))
}

// adminList answers a list request: an affiliation list for admins and
// owners (and, in a members-only room, the member, admin and owner lists
// for members), the member list also for occupants whose role the room
// lists in muc#roomconfig_getmemberlist, a role list for moderators.
func (r *Room) adminList(ctx context.Context, iq *xml.Element, item *xml.Element, actorAff Affiliation, actorRole Role) {
	q := xml.NewElement(iq.Children[0].Space, "query")
	if roleName := item.Attr("role"); roleName != "" {
		role, ok := parseRole(roleName)
		if !ok {
			r.errorReply(ctx, iq, errBadRequest, "unknown role")
			return
		}
		if actorRole != Moderator {
			r.errorReply(ctx, iq, errForbidden, "only moderators may list roles")
			return
		}
		for _, o := range r.sortedOccupants() {
			if o.role == role {
				it := r.item(o, true, "", "")
				it.Space = q.Space
				it.SetAttr("nick", o.nick)
				q.AddChild(it)
			}
		}
		r.svc.send(ctx, stanza.Result(iq, q))
		return
	}
	aff, ok := parseAffiliation(item.Attr("affiliation"))
	if !ok || aff == NoAffiliation {
		r.errorReply(ctx, iq, errBadRequest, "ask for the owner, admin, member or outcast list, or a role")
		return
	}
	allowed := actorAff >= Admin || (r.st.Config.MembersOnly && actorAff >= Member && aff >= Member) ||
		(aff == Member && r.st.Config.mayGetMemberList(actorRole))
	if !allowed {
		r.errorReply(ctx, iq, errForbidden, "you may not see that list")
		return
	}
	for _, j := range r.withAffiliation(aff) {
		it := xml.NewElement(q.Space, "item", xml.Attr{Name: "affiliation", Value: aff.String()}, xml.Attr{Name: "jid", Value: j})
		if o := r.occupantOf(j); o != nil {
			it.SetAttr("nick", o.nick)
		}
		q.AddChild(it)
	}
	r.svc.send(ctx, stanza.Result(iq, q))
}
