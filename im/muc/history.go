package muc

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// histItem is a message of the room's history (§7.2.15).
type histItem struct {
	el    *xml.Element // as broadcast, without 'to'; from is room/nick
	at    time.Time
	chars int // its size as XML, for maxchars
}

// remember adds a broadcast message to the history, keeping the room's
// history length.
func (r *Room) remember(el *xml.Element, at time.Time) {
	n := r.st.Config.HistoryLength
	if n <= 0 {
		r.history = nil
		return
	}
	r.history = append(r.history, histItem{el: el, at: at, chars: len(el.Bytes(ns.Client))})
	if over := len(r.history) - n; over > 0 {
		r.history = slices.Delete(r.history, 0, over)
	}
}

// sendHistory sends the history a joining session asked for with
// <history maxchars maxstanzas seconds since/> (none: all of it), each
// message with a <delay/> from the room.
func (r *Room) sendHistory(ctx context.Context, to jid.JID, h *xml.Element) {
	items := r.history
	if h != nil {
		items = filterHistory(items, h, now())
	}
	for _, it := range items {
		m := stanza.WithAddress(it.el, it.el.Attr("from"), to.String())
		m.Children = append(slices.Clip(m.Children), xml.NewElement(ns.Delay, "delay",
			xml.Attr{Name: "from", Value: r.jid.String()},
			xml.Attr{Name: "stamp", Value: it.at.UTC().Format("2006-01-02T15:04:05.000Z")}))
		m.Inner = nil
		r.svc.send(ctx, m)
	}
}

// filterHistory applies the <history/> limits; each narrows the result.
func filterHistory(items []histItem, h *xml.Element, t time.Time) []histItem {
	if v := h.Attr("seconds"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			cut := t.Add(-time.Duration(n) * time.Second)
			items = slices.DeleteFunc(slices.Clone(items), func(it histItem) bool { return it.at.Before(cut) })
		}
	}
	if v := h.Attr("since"); v != "" {
		if since, err := time.Parse(time.RFC3339Nano, v); err == nil {
			items = slices.DeleteFunc(slices.Clone(items), func(it histItem) bool { return !it.at.After(since) })
		}
	}
	if v := h.Attr("maxstanzas"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n < len(items) {
			items = items[len(items)-n:]
		}
	}
	if v := h.Attr("maxchars"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			total, i := 0, len(items)
			for i > 0 && total+items[i-1].chars <= n {
				total += items[i-1].chars
				i--
			}
			items = items[i:]
		}
	}
	return items
}

// sendSubject sends the subject, which ends the join sequence (§7.2.15):
// from the occupant JID of who set it, or the room if nobody did.
func (r *Room) sendSubject(ctx context.Context, to jid.JID) {
	from := r.jid.String()
	if r.st.SubjectBy != "" {
		from = r.occupantJID(r.st.SubjectBy)
	}
	m := stanza.NewMessage("groupchat", from, to.String(), "")
	m.AddChild(xml.NewElement(ns.Client, "subject").SetText(r.st.Subject))
	r.svc.send(ctx, m)
}

// loadHistory fills a stored room's history from its archive.
func (r *Room) loadHistory(ctx context.Context) {
	n := r.st.Config.HistoryLength
	if !r.st.Config.Archive || n <= 0 {
		return
	}
	page, err := r.svc.cfg.Store.QueryRoomArchive(ctx, r.jid.String(), store.ArchiveQuery{Max: n, Last: true})
	if err != nil {
		r.svc.log.Error("load room history", "room", r.jid.String(), "err", err)
		return
	}
	for _, m := range page.Messages {
		el, err := xml.ParseElement(m.Stanza, ns.Client, xml.Limits{MaxStanzaBytes: len(m.Stanza) + 1024, MaxDepth: 64, MaxAttrs: 256})
		if err != nil {
			continue
		}
		r.history = append(r.history, histItem{el: el, at: m.At, chars: len(m.Stanza)})
	}
}
