package muc

import (
	"context"
	"errors"

	"github.com/parley-im/parley/im/mam"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// queryArchive answers XEP-0313 on the room JID: the search form for a
// get, a page of the room archive for a set. Anyone may read an open
// room's archive; a members-only or password-protected room's is for its
// members and occupants; outcasts read nothing.
func (r *Room) queryArchive(ctx context.Context, iq *xml.Element, from jid.JID) {
	c := r.st.Config
	if !c.Archive || !c.Persistent {
		r.errorReply(ctx, iq, errUnavailable, "this room keeps no archive")
		return
	}
	aff := r.affiliation(from.Bare().String())
	// Members-only and password-protected rooms: the archive is for those
	// who could enter, members and occupants.
	closed := c.MembersOnly || c.Password != ""
	if aff == Outcast || (closed && aff < Member && r.sessions[from] == nil) {
		r.errorReply(ctx, iq, errForbidden, "only members and occupants may read this room's archive")
		return
	}
	if iq.Attr("type") == "get" {
		r.svc.send(ctx, stanza.Result(iq, mam.SearchForm()))
		return
	}
	q, err := mam.ParseQuery(iq.Children[0]) // 'with' names an occupant JID (room@service/nick)
	if err != nil {
		r.errorReply(ctx, iq, errBadRequest, err.Error())
		return
	}
	results, fin, err := mam.Answer(q, func(aq store.ArchiveQuery) (store.ArchivePage, error) {
		aq.MaxBytes = r.svc.cfg.ArchivePageBytes // a page of large messages ends early
		return r.svc.cfg.Store.QueryRoomArchive(ctx, r.jid.String(), aq)
	}, r.jid.String(), from.String(), r.svc.log)
	switch {
	case errors.Is(err, store.ErrNotFound):
		r.errorReply(ctx, iq, errNotFound, "no such message in the archive")
		return
	case err != nil:
		r.svc.log.Error("room archive query", "room", r.jid.String(), "err", err)
		r.errorReply(ctx, iq, errInternal, "")
		return
	}
	for _, m := range results {
		r.svc.send(ctx, m)
	}
	r.svc.send(ctx, stanza.Result(iq, fin))
}
