package muc

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Room archive page sizes, as for user archives.
const (
	defaultPage = 50
	maxPage     = 250
)

// queryArchive answers XEP-0313 on the room JID: the search form for a
// get, a page of the room archive for a set. Anyone may read an open
// room's archive; a members-only room's is for its members and
// occupants; outcasts read nothing.
func (r *Room) queryArchive(ctx context.Context, iq *xml.Element, from jid.JID) {
	c := r.st.Config
	if !c.Archive || !c.Persistent {
		r.errorReply(ctx, iq, errUnavailable, "this room keeps no archive")
		return
	}
	aff := r.affiliation(from.Bare().String())
	if aff == Outcast || (c.MembersOnly && aff < Member && r.sessions[from] == nil) {
		r.errorReply(ctx, iq, errForbidden, "only members and occupants may read this room's archive")
		return
	}
	query := iq.Children[0]
	if iq.Attr("type") == "get" {
		r.svc.send(ctx, stanza.Result(iq, xml.NewElement(ns.MAM, "query").AddChild(searchForm())))
		return
	}
	q, flip, bad := parseArchiveQuery(query)
	if bad != "" {
		r.errorReply(ctx, iq, errBadRequest, bad)
		return
	}
	countOnly := q.Max == 0
	if countOnly {
		q.Max = 1
	}
	page, err := r.svc.cfg.Store.QueryRoomArchive(ctx, r.jid.String(), q)
	switch {
	case errors.Is(err, store.ErrNotFound):
		r.errorReply(ctx, iq, errNotFound, "no such message in the archive")
		return
	case err != nil:
		r.svc.log.Error("room archive query", "room", r.jid.String(), "err", err)
		r.errorReply(ctx, iq, errInternal, "")
		return
	}
	msgs := page.Messages
	if countOnly {
		msgs, page.Complete = nil, page.Count == 0
	}
	if flip {
		msgs = slices.Clone(msgs)
		slices.Reverse(msgs)
	}
	queryID := query.Attr("queryid")
	for _, m := range msgs {
		el, err := xml.ParseElement(m.Stanza, ns.Client, xml.Limits{MaxStanzaBytes: len(m.Stanza) + 1024, MaxDepth: 64, MaxAttrs: 256})
		if err != nil {
			r.svc.log.Error("room archive message unreadable, skipped", "room", r.jid.String(), "id", m.ID, "err", err)
			continue
		}
		result := xml.NewElement(ns.MAM, "result", xml.Attr{Name: "id", Value: m.ID})
		if queryID != "" {
			result.SetAttr("queryid", queryID)
		}
		fwd := xml.NewElement(ns.Forward, "forwarded").
			AddChild(xml.NewElement(ns.Delay, "delay", xml.Attr{Name: "stamp", Value: m.At.UTC().Format("2006-01-02T15:04:05.000000Z")})).
			AddChild(el)
		r.svc.send(ctx, xml.NewElement(ns.Client, "message", xml.Attr{Name: "from", Value: r.jid.String()},
			xml.Attr{Name: "to", Value: from.String()}).AddChild(result.AddChild(fwd)))
	}
	fin := xml.NewElement(ns.MAM, "fin")
	if page.Complete {
		fin.SetAttr("complete", "true")
	}
	set := xml.NewElement(ns.RSM, "set")
	if len(msgs) > 0 {
		set.AddChild(xml.NewElement(ns.RSM, "first").SetText(msgs[0].ID))
		set.AddChild(xml.NewElement(ns.RSM, "last").SetText(msgs[len(msgs)-1].ID))
	}
	set.AddChild(xml.NewElement(ns.RSM, "count").SetText(strconv.Itoa(page.Count)))
	r.svc.send(ctx, stanza.Result(iq, fin.AddChild(set)))
}

// parseArchiveQuery reads the form and RSM set of a room archive query;
// 'with' names an occupant JID (room@service/nick).
func parseArchiveQuery(query *xml.Element) (q store.ArchiveQuery, flip bool, bad string) {
	q.Max = defaultPage
	if x := query.Child(ns.DataForms, "x"); x != nil {
		for name, values := range formFields(x) {
			v := first(values)
			var err error
			switch name {
			case "FORM_TYPE":
				if v != ns.MAM {
					return q, false, "FORM_TYPE must be " + ns.MAM
				}
			case "with":
				j, perr := jid.Parse(v)
				if perr != nil || v == "" {
					return q, false, "'with' is not a JID"
				}
				q.With = j.String()
			case "start":
				q.Start, err = time.Parse(time.RFC3339Nano, v)
			case "end":
				q.End, err = time.Parse(time.RFC3339Nano, v)
			case "after-id":
				q.RangeAfterID = v
			case "before-id":
				q.RangeBeforeID = v
			case "ids":
				q.IDs = values
			default:
				return q, false, "field " + name + " is not supported"
			}
			if err != nil {
				return q, false, v + " is not an XEP-0082 date and time"
			}
		}
	}
	if set := query.Child(ns.RSM, "set"); set != nil {
		if m := set.Child(ns.RSM, "max"); m != nil {
			n, err := strconv.Atoi(strings.TrimSpace(m.Text))
			if err != nil || n < 0 {
				return q, false, "<max/> must be a non-negative number"
			}
			q.Max = min(n, maxPage)
		}
		if a := set.Child(ns.RSM, "after"); a != nil {
			q.AfterID = strings.TrimSpace(a.Text)
		}
		if b := set.Child(ns.RSM, "before"); b != nil {
			q.Last = true
			q.BeforeID = strings.TrimSpace(b.Text)
		}
		if set.Child(ns.RSM, "index") != nil {
			return q, false, "paging by <index/> is not supported"
		}
	}
	return q, query.Child(ns.MAM, "flip-page") != nil, ""
}

// searchForm lists the fields a query accepts (XEP-0313 §4.1.1).
func searchForm() *xml.Element {
	x := xml.NewElement(ns.DataForms, "x", xml.Attr{Name: "type", Value: "form"})
	x.AddChild(hiddenField("FORM_TYPE", ns.MAM))
	for _, f := range [][2]string{{"with", "jid-single"}, {"start", "text-single"}, {"end", "text-single"},
		{"before-id", "text-single"}, {"after-id", "text-single"}, {"ids", "text-multi"}} {
		x.AddChild(field(f[0], f[1], ""))
	}
	return x
}
