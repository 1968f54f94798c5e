// Package ics reads the notifications calendar servers send to the
// calendar agent, text/calendar (RFC 5545) or the agent's text/xml
// schema, into Items, and computes when their alarms fire (VALARM
// triggers relative to the start or end, absolute, repeated; recurring
// events; time zones; all-day events and tasks).
//
// go-ical (github.com/emersion/go-ical) decodes the text/calendar
// syntax; the dates, time zones and recurrence sets are this package's
// own: go-ical's RecurrenceSet adds the EXDATEs a second time as RDATEs
// instead of reading RDATE, reads neither as lists of values, loads
// TZIDs only from Go's database (so the VTIMEZONEs Outlook sends with
// Windows zone names fail), and builds its rule without a DTSTART
// (rrule-go then starts the series now).
//
// Nothing here knows users or time: evaluation takes the user's zone
// (floating times and all-day events are read in it) and the moment to
// evaluate at.
package ics

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"strings"
	"unicode/utf8"

	goical "github.com/emersion/go-ical"
)

// Kind is what an item is.
type Kind string

// Kinds of items.
const (
	Event Kind = "event" // VEVENT
	Task  Kind = "task"  // VTODO
)

// Limits on one notification.
const (
	maxComponents = 500 // components of all kinds in one calendar
	maxDepth      = 6   // nesting of BEGIN/END
	maxAlarms     = 20  // VALARMs per component
	maxRepeat     = 100 // REPEAT of one alarm
)

// Item is one calendar item of a notification: the VEVENT or VTODO
// components that share a UID (a recurring master with its overridden
// instances, or a single instance), with the time zones they use.
type Item struct {
	Kind Kind
	UID  string // the component's UID, or a digest of it when it has none
	// RecurrenceID is the RECURRENCE-ID of an item that is a single
	// instance of a recurring one; "" for an item with its master.
	RecurrenceID string
	// Summary, Location, Description and URL are the master's (or the
	// instance's).
	Summary, Location, Description, URL string
	// Organizer is the ORGANIZER's calendar address (mailto:...); the
	// owner of the event, or of the task.
	Organizer string
	// Owner is an explicit owner: the X-CALENDAR-OWNER property (or the
	// XML payload's <owner>).
	Owner string
	// Method is the calendar's METHOD ("CANCEL", "REQUEST"...), if any.
	Method string

	master     *goical.Component   // nil for a single instance
	instances  []*goical.Component // overridden instances (RECURRENCE-ID)
	timezones  []*goical.Component // the calendar's VTIMEZONEs
	calendarPD string              // PRODID of the calendar it came from
}

// Cancelled reports why the item needs no reminder: a cancelled event
// or task, or a completed task ("" when it does need one).
func (it *Item) Cancelled() string {
	if strings.EqualFold(it.Method, "CANCEL") {
		return "cancelled"
	}
	c := it.primary()
	switch strings.ToUpper(text(c, goical.PropStatus)) {
	case "CANCELLED":
		return "cancelled"
	case "COMPLETED":
		return "completed"
	}
	if it.Kind == Task && c.Props.Get(goical.PropCompleted) != nil {
		return "completed"
	}
	return ""
}

// primary is the master, or the single instance.
func (it *Item) primary() *goical.Component {
	if it.master != nil {
		return it.master
	}
	return it.instances[0]
}

// Format names a payload's format.
type Format int

// Payload formats.
const (
	Unknown Format = iota
	ICalendar
	XML
)

// Detect tells the format of a payload: from its Content-Type when that
// names one (text/calendar; text/xml, application/xml or another +xml
// type), else by sniffing the start of the data.
func Detect(contentType string, data []byte) Format {
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		if err == nil {
			switch {
			case mt == "text/calendar":
				return ICalendar
			case mt == "application/calendar+xml":
				return Unknown // xCal (RFC 6321) is not this schema
			case mt == "text/xml" || mt == "application/xml" || strings.HasSuffix(mt, "+xml"):
				return XML
			}
		}
	}
	head := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case len(head) >= 15 && strings.EqualFold(string(head[:15]), "BEGIN:VCALENDAR"):
		return ICalendar
	case len(head) > 0 && head[0] == '<':
		return XML
	}
	return Unknown
}

// Parse reads a notification in the format Detect finds.
func Parse(contentType string, data []byte) ([]*Item, error) {
	switch Detect(contentType, data) {
	case ICalendar:
		return ParseICalendar(data)
	case XML:
		return ParseXML(data)
	}
	return nil, fmt.Errorf("%w: neither text/calendar (BEGIN:VCALENDAR) nor text/xml", ErrFormat)
}

// ParseICalendar reads a text/calendar payload: one VCALENDAR (or
// several, one after another). Each UID's VEVENT or VTODO components
// become one Item.
func ParseICalendar(data []byte) ([]*Item, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: not UTF-8", ErrInvalid)
	}
	if err := checkStructure(data); err != nil {
		return nil, err
	}
	// A byte order mark, or a last line without its line end (as
	// "$(cat file.ics)" passes it), would reach the decoder as part of
	// the first or last line.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if trimmed := bytes.TrimRight(data, " \t\r\n"); len(trimmed) < len(data) || !bytes.HasSuffix(data, []byte("\n")) {
		data = append(trimmed[:len(trimmed):len(trimmed)], '\r', '\n')
	}
	dec := goical.NewDecoder(bytes.NewReader(data))
	var items []*Item
	for n := 0; ; n++ {
		cal, err := decode(dec)
		if err != nil {
			if n > 0 && isEOF(err) {
				break
			}
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		got, err := itemsOf(cal.Component)
		if err != nil {
			return nil, err
		}
		items = append(items, got...)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%w: no VEVENT or VTODO", ErrInvalid)
	}
	return items, nil
}

// decode runs go-ical's decoder, which panics on some malformed
// content lines (a parameter without a value at the end of a line).
func decode(dec *goical.Decoder) (cal *goical.Calendar, err error) {
	defer func() {
		if r := recover(); r != nil {
			cal, err = nil, fmt.Errorf("malformed content line (%v)", r)
		}
	}()
	return dec.Decode()
}

// checkStructure bounds the nesting and number of components before
// the (recursive) decoder sees them.
func checkStructure(data []byte) error {
	depth, comps := 0, 0
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		switch {
		case len(line) >= 6 && strings.EqualFold(string(line[:6]), "BEGIN:"):
			depth++
			comps++
			if depth > maxDepth {
				return fmt.Errorf("%w: components nested deeper than %d", ErrInvalid, maxDepth)
			}
			if comps > maxComponents {
				return fmt.Errorf("%w: more than %d components", ErrInvalid, maxComponents)
			}
		case len(line) >= 4 && strings.EqualFold(string(line[:4]), "END:"):
			depth--
		}
	}
	return nil
}

func isEOF(err error) bool { return err != nil && err.Error() == "EOF" }

// itemsOf groups a VCALENDAR's VEVENTs and VTODOs into items: a master
// (no RECURRENCE-ID) with the instances of its UID, and each instance
// whose master is not there as an item of its own.
func itemsOf(cal *goical.Component) ([]*Item, error) {
	var tzs []*goical.Component
	for _, c := range cal.Children {
		if c.Name == goical.CompTimezone {
			tzs = append(tzs, c)
		}
	}
	method, prodID := text(cal, goical.PropMethod), text(cal, goical.PropProductID)
	type entry struct {
		kind Kind
		uid  string
		c    *goical.Component
	}
	var entries []entry
	masters := map[string]*Item{}
	var order []*Item
	for _, c := range cal.Children {
		var kind Kind
		switch c.Name {
		case goical.CompEvent:
			kind = Event
		case goical.CompToDo:
			kind = Task
		default:
			continue
		}
		if n := len(c.Children); n > maxAlarms {
			return nil, fmt.Errorf("%w: %d VALARMs in one component (at most %d)", ErrInvalid, n, maxAlarms)
		}
		uid := text(c, goical.PropUID)
		if uid == "" {
			// No UID (a broken sender): the component's content stands
			// in for it, so that the same one still counts once.
			sum := sha256.Sum256(encodeComponent(c))
			uid = "sha256:" + hex.EncodeToString(sum[:16])
		}
		entries = append(entries, entry{kind, uid, c})
		if c.Props.Get(goical.PropRecurrenceID) == nil {
			key := string(kind) + "\x00" + uid
			if masters[key] != nil {
				return nil, fmt.Errorf("%w: two %s components with UID %q and no RECURRENCE-ID", ErrInvalid, c.Name, uid)
			}
			it := &Item{Kind: kind, UID: uid, Method: method, timezones: tzs, calendarPD: prodID, master: c}
			masters[key] = it
			order = append(order, it)
		}
	}
	for _, e := range entries {
		if e.c.Props.Get(goical.PropRecurrenceID) == nil {
			continue
		}
		if m := masters[string(e.kind)+"\x00"+e.uid]; m != nil {
			m.instances = append(m.instances, e.c)
			continue
		}
		order = append(order, &Item{Kind: e.kind, UID: e.uid, Method: method, timezones: tzs, calendarPD: prodID,
			instances: []*goical.Component{e.c}})
	}
	for _, it := range order {
		if err := it.fill(); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// fill sets the item's descriptive fields from its primary component.
func (it *Item) fill() error {
	c := it.primary()
	if it.master == nil {
		p := c.Props.Get(goical.PropRecurrenceID)
		v, err := parseDateValue(p.Value, p.Params.Get(goical.PropTimezoneID))
		if err != nil {
			return fmt.Errorf("%w: RECURRENCE-ID: %v", ErrInvalid, err)
		}
		it.RecurrenceID = ridKey(v)
	}
	it.Summary = text(c, goical.PropSummary)
	it.Location = text(c, goical.PropLocation)
	it.Description = text(c, goical.PropDescription)
	it.URL = strings.TrimSpace(text(c, goical.PropURL))
	if p := c.Props.Get(goical.PropOrganizer); p != nil {
		it.Organizer = strings.TrimSpace(p.Value)
	}
	it.Owner = strings.TrimSpace(text(c, "X-CALENDAR-OWNER"))
	return nil
}

// ridKey is the text a recurrence id is compared and stored as, without
// the zone that is known only at evaluation: DATE values as dates, UTC
// ones in UTC, others as written plus their TZID.
func ridKey(v dateValue) string {
	switch {
	case v.date:
		return v.wall.Format("20060102")
	case v.utc:
		return v.wall.Format("20060102T150405Z")
	case v.tzid != "":
		return v.wall.Format("20060102T150405") + ";" + v.tzid
	}
	return v.wall.Format("20060102T150405")
}

// text is a TEXT property's unescaped value ("" if absent or bad).
func text(c *goical.Component, name string) string {
	p := c.Props.Get(name)
	if p == nil {
		return ""
	}
	s, err := p.Text()
	if err != nil {
		return p.Value
	}
	return s
}
