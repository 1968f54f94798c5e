package mam

import (
	"log/slog"
	"slices"
	"strconv"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// Query is a parsed XEP-0313 <query/>, for any archive: a user's (this
// package) or a room's (package muc).
type Query struct {
	store.ArchiveQuery        // With holds the 'with' field as given; an archive may narrow it (users: the bare JID)
	Flip               bool   // <flip-page/>: the page's messages in reverse order
	ID                 string // queryid, echoed in each result
}

// ParseQuery reads the data form and the RSM set of a <query/>; an error
// is a bad request, its text fit for the client.
func ParseQuery(query *xml.Element) (Query, error) {
	q, flip, err := parseQuery(query)
	return Query{ArchiveQuery: q, Flip: flip, ID: query.Attr("queryid")}, err
}

// SearchForm is the answer to an iq get of <query/>: the fields a query
// accepts (XEP-0313 §4.1.1).
func SearchForm() *xml.Element {
	return xml.NewElement(ns.MAM, "query").AddChild(searchForm())
}

// Answer runs q through fetch (which reads one archive) and renders the
// XEP-0313 answer: a <message/> from `from` to `to` per result, and the
// <fin/> for the iq result. An error is fetch's: store.ErrNotFound for an
// RSM or range id the archive does not hold. Messages that cannot be
// read back are skipped and logged.
func Answer(q Query, fetch func(store.ArchiveQuery) (store.ArchivePage, error), from, to string, log *slog.Logger) ([]*xml.Element, *xml.Element, error) {
	aq := q.ArchiveQuery
	countOnly := aq.Max == 0 // RSM §2.6: <max>0</max> asks for the count alone
	if countOnly {
		aq.Max = 1
	}
	page, err := fetch(aq)
	if err != nil {
		return nil, nil, err
	}
	msgs := page.Messages
	if countOnly {
		msgs, page.Complete = nil, page.Count == 0
	}
	if q.Flip {
		msgs = slices.Clone(msgs)
		slices.Reverse(msgs)
	}
	results := make([]*xml.Element, 0, len(msgs))
	for _, m := range msgs {
		fwd, err := forwarded(m)
		if err != nil {
			log.Error("archived message unreadable, skipped", "archive", from, "id", m.ID, "err", err)
			continue
		}
		result := xml.NewElement(ns.MAM, "result", xml.Attr{Name: "id", Value: m.ID})
		if q.ID != "" {
			result.SetAttr("queryid", q.ID)
		}
		results = append(results, xml.NewElement(ns.Client, "message",
			xml.Attr{Name: "from", Value: from}, xml.Attr{Name: "to", Value: to}).AddChild(result.AddChild(fwd)))
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
	return results, fin.AddChild(set), nil
}

// forwarded wraps an archived message as XEP-0297 with its time.
func forwarded(m store.ArchivedMessage) (*xml.Element, error) {
	el, err := xml.ParseElement(m.Stanza, ns.Client, xml.Limits{MaxStanzaBytes: len(m.Stanza) + 1024, MaxDepth: 64, MaxAttrs: 256})
	if err != nil {
		return nil, err
	}
	delay := xml.NewElement(ns.Delay, "delay", xml.Attr{Name: "stamp", Value: m.At.UTC().Format("2006-01-02T15:04:05.000000Z")})
	return xml.NewElement(ns.Forward, "forwarded").AddChild(delay).AddChild(el), nil
}
