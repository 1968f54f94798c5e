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
	answer := func(ctx context.Context) {
		r.answerArchive(ctx, iq, q, from)
	}
	if r.svc.cfg.Drain == nil {
		answer(ctx)
		return
	}
	// Answered beside the room, which goes on meanwhile: a page of large
	// messages waits for the querier's connection, not the room for it.
	if !r.svc.streamTo(from.String(), func() { answer(ctx) }) {
		r.errorReply(ctx, iq, errRate, "too many archive queries waiting")
	}
}

// answerArchive reads a page of the room archive and sends it, paced by
// the querier's connection when cfg.Drain is set.
func (r *Room) answerArchive(ctx context.Context, iq *xml.Element, q mam.Query, from jid.JID) {
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
	var drain func(context.Context) error
	if r.svc.cfg.Drain != nil {
		drain = func(ctx context.Context) error { return r.svc.cfg.Drain(ctx, from) }
	}
	if err := mam.Pace(ctx, results, func(m *xml.Element) { r.svc.send(ctx, m) }, drain); err != nil {
		r.svc.log.Debug("room archive query abandoned", "room", r.jid.String(), "from", from.String(), "err", err)
		return
	}
	r.svc.send(ctx, stanza.Result(iq, fin))
}

// maxWaitingQueries bounds the archive queries of one querier waiting
// for their turn (each holds only its request): more are refused.
const maxWaitingQueries = 16

// streamTo runs job after the earlier jobs for the same querier, one at
// a time and in order, on a goroutine of that querier's (so that one
// querier's pipelined queries hold one page at a time, as a session's
// own queries do), or reports false when too many wait.
func (s *Service) streamTo(querier string, job func()) bool {
	s.streamMu.Lock()
	q, running := s.streamJobs[querier]
	if len(q) >= maxWaitingQueries {
		s.streamMu.Unlock()
		return false
	}
	s.streamJobs[querier] = append(q, job)
	if running {
		s.streamMu.Unlock()
		return true
	}
	s.streams.Add(1)
	s.streamMu.Unlock()
	go func() {
		defer s.streams.Done()
		for {
			s.streamMu.Lock()
			q := s.streamJobs[querier]
			if len(q) == 0 {
				delete(s.streamJobs, querier)
				s.streamMu.Unlock()
				return
			}
			next := q[0]
			q[0] = nil
			s.streamJobs[querier] = q[1:]
			s.streamMu.Unlock()
			next()
		}
	}()
	return true
}
