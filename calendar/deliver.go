package calendar

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/parley-im/parley/calendar/ics"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// NS is the namespace of the reminder's extension element, which
// carries the item as text/calendar for a client's pop-up:
//
//	<calendar xmlns='urn:parley:calendar:0' type='text/calendar' kind='event'
//	          uid='...' recurrence-id='...' trigger='2026-03-03T12:45:00Z'
//	          start='2026-03-03T13:00:00Z' end='2026-03-03T14:00:00Z'>BEGIN:VCALENDAR...</calendar>
const NS = ics.NS

// deliver sends the reminder of trigger t to owner's available
// resources, if owner has reminders on; it returns how many got it, or
// why none did.
func (a *Agent) deliver(ctx context.Context, owner string, it *ics.Item, t ics.Trigger, now time.Time) (int, string) {
	discard := func(reason string, args ...any) (int, string) {
		a.discarded(reason)
		a.log.Info("reminder discarded", append([]any{"reason", reason, "owner", owner, "uid", it.UID,
			"recurrence_id", t.RecurrenceID, "trigger", triggerText(t)}, args...)...)
		return 0, reason
	}
	prefs, err := a.cfg.Store.CalendarPrefs(ctx, owner)
	if err != nil {
		a.log.Error("reminder settings", "owner", owner, "err", err)
		return discard(ReasonStoreError)
	}
	if !a.remindersOn(prefs) {
		return discard(ReasonRemindersOff)
	}
	all := a.cfg.Sessions.Resources(owner)
	var targets []router.Resource
	for _, r := range all {
		if r.Available && r.Priority >= 0 {
			targets = append(targets, r)
		}
	}
	if len(targets) == 0 {
		if len(all) == 0 {
			return discard(ReasonOffline)
		}
		return discard(ReasonUnavailable, "sessions", len(all))
	}
	first, err := a.cfg.Store.MarkDelivered(ctx, owner, it.UID, t.RecurrenceID, t.At, now)
	if err != nil {
		a.log.Error("mark reminder delivered", "owner", owner, "uid", it.UID, "err", err)
		return discard(ReasonStoreError)
	}
	if !first {
		return discard(ReasonDuplicate)
	}
	from := a.componentOf(owner)
	loc := a.userZone(ctx, owner)
	data := it.Encode()
	for _, r := range targets {
		r.Session.Deliver(reminderMessage(from, r.Session.JID().String(), it, t, loc, data))
	}
	a.stats.delivered(a.cfg.Metrics)
	a.log.Info("reminder delivered", "owner", owner, "uid", it.UID, "recurrence_id", t.RecurrenceID,
		"trigger", triggerText(t), "resources", len(targets))
	return len(targets), ""
}

func (a *Agent) remindersOn(p store.CalendarPrefs) bool {
	switch p.Reminders {
	case store.RemindersOn:
		return true
	case store.RemindersOff:
		return false
	}
	return a.cfg.RemindersDefault
}

// componentOf is the agent's domain on owner's host.
func (a *Agent) componentOf(owner string) string {
	host := owner
	if j, err := jid.Parse(owner); err == nil {
		host = j.Domain()
	}
	for d, h := range a.domains {
		if h == host {
			return d
		}
	}
	return "calendar." + host
}

func triggerText(t ics.Trigger) string {
	if !t.Alarm {
		return "none"
	}
	return t.At.UTC().Format(time.RFC3339)
}

// reminderMessage builds the reminder for one resource: a headline
// (never stored offline) with a subject, a readable body, the link
// (XEP-0066) and the item as text/calendar.
func reminderMessage(from, to string, it *ics.Item, t ics.Trigger, loc *time.Location, data []byte) *xml.Element {
	title := strings.TrimSpace(it.Summary)
	if title == "" {
		title = "(no title)"
	}
	subject := "Reminder: " + title
	if it.Kind == ics.Task {
		subject = "Task reminder: " + title
	}
	m := stanza.NewMessage("headline", from, to, reminderBody(subject, it, t, loc))
	m.SetAttr("id", newID())
	m.AddChild(xml.NewElement(ns.Client, "subject").SetText(subject))
	if u := it.URL; u != "" {
		x := xml.NewElement("jabber:x:oob", "x")
		x.AddChild(xml.NewElement("jabber:x:oob", "url").SetText(u))
		m.AddChild(x)
	}
	c := xml.NewElement(NS, "calendar", xml.Attr{Name: "type", Value: "text/calendar"}, xml.Attr{Name: "kind", Value: string(it.Kind)},
		xml.Attr{Name: "uid", Value: it.UID})
	if t.RecurrenceID != "" {
		c.SetAttr("recurrence-id", t.RecurrenceID)
	}
	if t.Alarm {
		c.SetAttr("trigger", t.At.UTC().Format(time.RFC3339))
	}
	if !t.Start.IsZero() {
		c.SetAttr("start", t.Start.UTC().Format(time.RFC3339))
	}
	if !t.End.IsZero() {
		c.SetAttr("end", t.End.UTC().Format(time.RFC3339))
	}
	c.SetText(string(data))
	m.AddChild(c)
	m.AddChild(xml.NewElement(ns.Hints, "no-store"))
	return m
}

// reminderBody is the text a client without pop-ups shows:
//
//	Reminder: Design review
//	When: Tuesday 3 March 2026, 14:00–15:00 CET
//	Where: Room 4
//	Link: https://cal.example.com/e/42
func reminderBody(subject string, it *ics.Item, t ics.Trigger, loc *time.Location) string {
	var b strings.Builder
	b.WriteString(subject)
	if when := whenText(it.Kind, t.Occurrence, loc); when != "" {
		b.WriteString("\n" + when)
	}
	if l := strings.TrimSpace(it.Location); l != "" {
		b.WriteString("\nWhere: " + l)
	}
	if it.URL != "" {
		b.WriteString("\nLink: " + it.URL)
	}
	return b.String()
}

// whenText shows an occurrence's time in loc.
func whenText(kind ics.Kind, o ics.Occurrence, loc *time.Location) string {
	const day = "Monday 2 January 2006"
	if o.AllDay {
		start := o.Start.In(loc)
		last := o.End.In(loc).AddDate(0, 0, -1)
		if o.End.IsZero() || !last.After(start) {
			return "When: " + start.Format(day) + " (all day)"
		}
		return "When: " + start.Format(day) + " – " + last.Format(day) + " (all day)"
	}
	zone := func(t time.Time) string {
		name, off := t.Zone()
		if name == "" || name[0] == '+' || name[0] == '-' {
			sign := '+'
			if off < 0 {
				sign, off = '-', -off
			}
			return fmt.Sprintf("UTC%c%02d:%02d", sign, off/3600, off%3600/60)
		}
		return name
	}
	switch {
	case kind == ics.Task && o.Start.IsZero() && !o.End.IsZero():
		e := o.End.In(loc)
		return "Due: " + e.Format(day+", 15:04") + " " + zone(e)
	case o.Start.IsZero():
		return ""
	}
	s := o.Start.In(loc)
	text := s.Format(day + ", 15:04")
	if e := o.End.In(loc); !o.End.IsZero() && o.End.After(o.Start) {
		if e.YearDay() == s.YearDay() && e.Year() == s.Year() {
			text += "–" + e.Format("15:04")
		} else {
			text += " – " + e.Format(day+", 15:04")
		}
		if kind == ics.Task {
			return "Start: " + s.Format(day+", 15:04") + " " + zone(s) + "\nDue: " + e.Format(day+", 15:04") + " " + zone(e)
		}
	}
	return "When: " + text + " " + zone(s)
}

func newID() string {
	var b [9]byte
	rand.Read(b[:])
	return "cal-" + hex.EncodeToString(b[:])
}
