package muc

import (
	"context"
	"slices"
	"sort"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// maxHistoryLength bounds a room's configured history length.
const maxHistoryLength = 1000

func sortStrings(s []string) { sort.Strings(s) }

// owner answers the muc#owner namespace: the configuration form (§10.1,
// §10.2) and destruction (§10.9). Only owners may use it.
func (r *Room) owner(ctx context.Context, iq *xml.Element, from jid.JID) {
	q := iq.Children[0]
	if r.affiliation(from.Bare().String()) != Owner {
		r.errorReply(ctx, iq, errForbidden, "only owners may configure or destroy the room")
		return
	}
	if iq.Attr("type") == "get" {
		r.svc.send(ctx, stanza.Result(iq, xml.NewElement(NSOwner, "query").AddChild(r.configForm())))
		return
	}
	if d := q.Child(NSOwner, "destroy"); d != nil {
		reason, password := "", ""
		if rs := d.Child(NSOwner, "reason"); rs != nil {
			reason = rs.Text
		}
		if p := d.Child(NSOwner, "password"); p != nil {
			password = p.Text
		}
		if alt := d.Attr("jid"); alt != "" {
			if _, err := jid.Parse(alt); err != nil {
				r.errorReply(ctx, iq, errBadRequest, "the alternate venue is not a JID")
				return
			}
		}
		r.destroy(ctx, reason, d.Attr("jid"), password)
		r.svc.send(ctx, stanza.Result(iq))
		return
	}
	x := q.Child(ns.DataForms, "x")
	if x == nil {
		r.errorReply(ctx, iq, errBadRequest, "expected a data form or <destroy/>")
		return
	}
	switch x.Attr("type") {
	case "cancel":
		if r.locked {
			// Creation cancelled (§10.1.3): the room goes away.
			r.svc.send(ctx, stanza.Result(iq))
			r.destroy(ctx, "", "", "")
			return
		}
		r.svc.send(ctx, stanza.Result(iq))
		return
	case "submit":
	default:
		r.errorReply(ctx, iq, errBadRequest, "submit or cancel the form")
		return
	}
	ch, bad := parseConfig(r.st.Config, x, maxHistoryLength)
	if bad != "" {
		r.errorReply(ctx, iq, errNotAcceptable, bad)
		return
	}
	if ch.owners != nil && len(ch.owners) == 0 {
		ch.owners = nil // a room never loses its last owner: an empty list changes nothing
	}
	for _, list := range [][]string{ch.owners, ch.admins} {
		for _, s := range list {
			if j, err := jid.Parse(s); err != nil || j.IsZero() {
				r.errorReply(ctx, iq, errNotAcceptable, "not a JID: "+s)
				return
			}
		}
	}
	// Applied (and stored) before the result, so that the owner who sees
	// the result sees the new configuration everywhere.
	r.applyConfig(ctx, ch, from)
	r.svc.send(ctx, stanza.Result(iq))
}

// applyConfig changes the configuration and tells the occupants (§10.2.1).
func (r *Room) applyConfig(ctx context.Context, ch configChange, from jid.JID) {
	old := r.st.Config
	cfg := ch.cfg
	wasLocked := r.locked
	r.locked = false
	r.st.Config = cfg
	var affected []string
	setList := func(list []string, a Affiliation) {
		if list == nil {
			return
		}
		want := map[string]bool{}
		for _, s := range list {
			j, _ := jid.Parse(s)
			want[j.Bare().String()] = true
		}
		for j, b := range r.st.Affiliations {
			if b == a && !want[j] {
				r.setAffiliation(j, NoAffiliation)
				affected = append(affected, j)
			}
		}
		for j := range want {
			if r.st.Affiliations[j] != a {
				r.setAffiliation(j, a)
				affected = append(affected, j)
			}
		}
	}
	setList(ch.owners, Owner)
	setList(ch.admins, Admin)
	if len(r.owners()) == 0 {
		r.setAffiliation(from.Bare().String(), Owner) // never ownerless
	}
	if len(r.history) > cfg.HistoryLength {
		r.history = slices.Clone(r.history[len(r.history)-cfg.HistoryLength:])
	}
	switch {
	case cfg.Persistent:
		r.persist(ctx)
	case old.Persistent:
		r.unpersist(ctx)
	}
	for _, j := range affected {
		for _, o := range r.occupantsOf(j) {
			r.roleForAffiliation(ctx, o, "", "")
		}
	}
	if cfg.MembersOnly && !old.MembersOnly {
		for _, o := range r.sortedOccupants() {
			if r.affiliation(o.bare) < Member {
				r.remove(ctx, o, []string{"322"}, "", "")
			}
		}
	}
	if cfg.Moderated != old.Moderated {
		for _, o := range r.sortedOccupants() {
			a := r.affiliation(o.bare)
			if want := defaultRole(a, cfg.Moderated); a < Admin && want != o.role && o.role != Moderator {
				o.role = want
				r.broadcastPresence(ctx, o, "", nil, nil)
			}
		}
	}
	for _, o := range r.sortedOccupants() {
		r.showOrHide(ctx, o) // the roles whose presence is broadcast may have changed
	}
	if wasLocked {
		return // nobody else is in a room being created
	}
	codes := []string{"104"}
	if cfg.Archive != old.Archive {
		codes = append(codes, map[bool]string{true: "170", false: "171"}[cfg.Archive])
	}
	if cfg.nonAnonymous() != old.nonAnonymous() {
		codes = append(codes, map[bool]string{true: "172", false: "173"}[cfg.nonAnonymous()])
	}
	r.statusMessage(ctx, codes...)
	if len(r.occupants) == 0 && !cfg.Persistent {
		r.abandon()
	}
}
