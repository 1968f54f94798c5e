package mam

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Page sizes: what a query gets without <max/>, and the most it gets;
// the stanza bytes a page holds at most unless configured (a page of
// large messages ends early, and the client pages on from its <last/>);
// and how many bytes of results go to a session before the query waits
// for its connection to take them.
const (
	DefaultPage      = 50
	MaxPage          = 250
	DefaultPageBytes = 1 << 20
	streamChunk      = 256 << 10
)

// HandleQuery answers an archive query (an im.IQFunc for the account):
// a get returns the search form, a set pages through the archive.
func (s *Service) HandleQuery(ctx context.Context, sess router.Session, iq *xml.Element) {
	if iq.Attr("type") == "get" {
		sess.Deliver(stanza.Result(iq).AddChild(SearchForm()))
		return
	}
	q, err := ParseQuery(iq.Children[0])
	if err != nil {
		sess.Deliver(stanza.Error(iq, stanza.BadRequest, err.Error()))
		return
	}
	if j, err := jid.Parse(q.With); err == nil && q.With != "" {
		q.With = j.Bare().String() // a user's archive is by contact
	}
	owner := sess.JID().Bare().String()
	results, fin, err := Answer(q, func(aq store.ArchiveQuery) (store.ArchivePage, error) {
		s.writer.sync(ctx) // what the client received is in the archive
		aq.MaxBytes = s.cfg.PageBytes
		return s.cfg.Store.QueryArchive(ctx, owner, aq)
	}, owner, sess.JID().String(), s.log)
	switch {
	case errors.Is(err, store.ErrNotFound):
		sess.Deliver(stanza.Error(iq, stanza.ItemNotFound, "no such message in the archive"))
		return
	case err != nil:
		s.log.Error("archive query", "owner", owner, "err", err)
		sess.Deliver(stanza.Error(iq, stanza.InternalServerError, ""))
		return
	}
	if err := Stream(ctx, sess, results); err != nil {
		s.log.Debug("archive query abandoned", "owner", owner, "err", err)
		return
	}
	sess.Deliver(stanza.Result(iq).AddChild(fin))
}

// Stream delivers results to sess, waiting for the session's connection
// to take each streamChunk bytes before it queues more (when sess is a
// router.Drainer): the session's outbound queue holds at most a chunk of
// them, however large the page, so a page of large messages neither
// overflows it (a slow-consumer disconnect) nor, with queries
// pipelined, piles up in memory. An error: the session went away.
func Stream(ctx context.Context, sess router.Session, results []*xml.Element) error {
	var drain func(context.Context) error
	if d, ok := sess.(router.Drainer); ok {
		drain = d.Drain
	}
	return Pace(ctx, results, sess.Deliver, drain)
}

// Pace is Stream for a sender that reaches the session another way (a
// room answering through the router): deliver queues one result, drain
// (nil: no pacing) returns once what was delivered has been written.
func Pace(ctx context.Context, results []*xml.Element, deliver func(*xml.Element), drain func(context.Context) error) error {
	queued := 0
	for i, m := range results {
		if drain != nil && queued >= streamChunk {
			if err := drain(ctx); err != nil {
				return err
			}
			queued = 0
		}
		deliver(m)
		results[i] = nil // delivered: the queue has its bytes
		queued += m.Size()
	}
	return nil
}

// parseQuery reads the data form and the RSM set of a <query/>.
func parseQuery(query *xml.Element) (q store.ArchiveQuery, flip bool, err error) {
	q.Max = DefaultPage
	if x := query.Child(ns.DataForms, "x"); x != nil {
		for _, f := range x.ChildrenNamed(ns.DataForms, "field") {
			values := fieldValues(f)
			value := ""
			if len(values) > 0 {
				value = values[0]
			}
			switch f.Attr("var") {
			case "FORM_TYPE":
				if value != ns.MAM {
					return q, false, badf("FORM_TYPE must be %s", ns.MAM)
				}
			case "with":
				j, err := jid.Parse(value)
				if err != nil || value == "" {
					return q, false, badf("'with' is not a JID")
				}
				q.With = j.String()
			case "start":
				if q.Start, err = parseTime(value); err != nil {
					return q, false, err
				}
			case "end":
				if q.End, err = parseTime(value); err != nil {
					return q, false, err
				}
			case "after-id":
				q.RangeAfterID = value
			case "before-id":
				q.RangeBeforeID = value
			case "ids":
				q.IDs = values
			default:
				return q, false, badf("field %q is not supported", f.Attr("var"))
			}
		}
	}
	if set := query.Child(ns.RSM, "set"); set != nil {
		if m := set.Child(ns.RSM, "max"); m != nil {
			n, err := strconv.Atoi(strings.TrimSpace(m.Text))
			if err != nil || n < 0 {
				return q, false, badf("<max/> must be a non-negative number")
			}
			q.Max = min(n, MaxPage)
		}
		if a := set.Child(ns.RSM, "after"); a != nil {
			q.AfterID = strings.TrimSpace(a.Text)
		}
		if b := set.Child(ns.RSM, "before"); b != nil {
			q.Last = true // <before/> alone: the last page
			q.BeforeID = strings.TrimSpace(b.Text)
		}
		if set.Child(ns.RSM, "index") != nil {
			return q, false, badf("paging by <index/> is not supported; use <after/> or <before/>")
		}
	}
	return q, query.Child(ns.MAM, "flip-page") != nil, nil
}

func fieldValues(f *xml.Element) []string {
	var out []string
	for _, v := range f.ChildrenNamed(ns.DataForms, "value") {
		out = append(out, strings.TrimSpace(v.Text))
	}
	return out
}

// parseTime reads an XEP-0082 DateTime.
func parseTime(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return t, badf("%q is not an XEP-0082 date and time", v)
	}
	return t.UTC(), nil
}

func badf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// searchForm lists the fields a query accepts (XEP-0313 §4.1.1).
func searchForm() *xml.Element {
	x := xml.NewElement(ns.DataForms, "x", xml.Attr{Name: "type", Value: "form"})
	x.AddChild(xml.NewElement(ns.DataForms, "field", xml.Attr{Name: "var", Value: "FORM_TYPE"}, xml.Attr{Name: "type", Value: "hidden"}).
		AddChild(xml.NewElement(ns.DataForms, "value").SetText(ns.MAM)))
	for _, f := range [][2]string{{"with", "jid-single"}, {"start", "text-single"}, {"end", "text-single"},
		{"before-id", "text-single"}, {"after-id", "text-single"}, {"ids", "text-multi"}} {
		x.AddChild(xml.NewElement(ns.DataForms, "field", xml.Attr{Name: "var", Value: f[0]}, xml.Attr{Name: "type", Value: f[1]}))
	}
	return x
}

// HandlePrefs gets or sets the archiving preferences (an im.IQFunc for
// the account).
func (s *Service) HandlePrefs(ctx context.Context, sess router.Session, iq *xml.Element) {
	owner := sess.JID().Bare().String()
	if iq.Attr("type") == "set" {
		p, err := parsePrefs(iq.Children[0])
		if err != nil {
			sess.Deliver(stanza.Error(iq, stanza.BadRequest, err.Error()))
			return
		}
		if err := s.cfg.Store.SetArchivePrefs(ctx, owner, p); err != nil {
			s.log.Error("set archive preferences", "owner", owner, "err", err)
			sess.Deliver(stanza.Error(iq, stanza.InternalServerError, ""))
			return
		}
		s.mu.Lock()
		delete(s.prefs, owner)
		s.mu.Unlock()
	}
	p, err := s.preferences(ctx, owner)
	if err != nil {
		s.log.Error("archive preferences", "owner", owner, "err", err)
		sess.Deliver(stanza.Error(iq, stanza.InternalServerError, ""))
		return
	}
	sess.Deliver(stanza.Result(iq).AddChild(prefsElement(p)))
}

func parsePrefs(el *xml.Element) (store.ArchivePrefs, error) {
	p := store.ArchivePrefs{Default: el.Attr("default")}
	switch p.Default {
	case Always, Never, Roster:
	default:
		return p, badf("default must be always, never or roster")
	}
	for _, list := range []struct {
		name string
		into *[]string
	}{{"always", &p.Always}, {"never", &p.Never}} {
		if l := el.Child(ns.MAM, list.name); l != nil {
			for _, j := range l.ChildrenNamed(ns.MAM, "jid") {
				parsed, err := jid.Parse(strings.TrimSpace(j.Text))
				if err != nil {
					return p, badf("%q is not a JID", j.Text)
				}
				*list.into = append(*list.into, parsed.Bare().String())
			}
		}
		slices.Sort(*list.into)
		*list.into = slices.Compact(*list.into)
	}
	return p, nil
}

func prefsElement(p store.ArchivePrefs) *xml.Element {
	el := xml.NewElement(ns.MAM, "prefs", xml.Attr{Name: "default", Value: p.Default})
	for _, list := range []struct {
		name string
		jids []string
	}{{"always", p.Always}, {"never", p.Never}} {
		l := xml.NewElement(ns.MAM, list.name)
		for _, j := range list.jids {
			l.AddChild(xml.NewElement(ns.MAM, "jid").SetText(j))
		}
		el.AddChild(l)
	}
	return el
}
