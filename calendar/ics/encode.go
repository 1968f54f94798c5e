package ics

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	goical "github.com/emersion/go-ical"
)

// ProductID is the PRODID of calendars this package writes for items
// that came without one (from the XML schema).
const ProductID = "-//Parley//Calendar agent//EN"

// Encode writes the item as a text/calendar object: a VCALENDAR with
// the item's components and the VTIMEZONEs they refer to. Decode reads
// it back; it is also what a reminder carries for clients.
//
// go-ical's own encoder is not used: it refuses components that lack a
// property RFC 5545 requires (a VEVENT without DTSTAMP), and a
// reminder should pass on what the calendar server sent.
func (it *Item) Encode() []byte {
	var b bytes.Buffer
	writeLine(&b, "BEGIN", nil, "VCALENDAR")
	writeLine(&b, "VERSION", nil, "2.0")
	pid := it.calendarPD
	if pid == "" {
		pid = ProductID
	}
	writeLine(&b, "PRODID", nil, pid)
	if it.Method != "" {
		writeLine(&b, "METHOD", nil, it.Method)
	}
	used := map[string]bool{}
	for _, c := range it.components() {
		collectTZIDs(c, used)
	}
	for _, tz := range it.timezones {
		if used[text(tz, goical.PropTimezoneID)] {
			writeComponent(&b, tz)
		}
	}
	for _, c := range it.components() {
		writeComponent(&b, c)
	}
	writeLine(&b, "END", nil, "VCALENDAR")
	return b.Bytes()
}

// Decode reads an item Encode wrote.
func Decode(data []byte) (*Item, error) {
	items, err := ParseICalendar(data)
	if err != nil {
		return nil, err
	}
	if len(items) != 1 {
		return nil, fmt.Errorf("%w: %d items in a stored item", ErrInvalid, len(items))
	}
	return items[0], nil
}

// components lists the master (if any) and the instances.
func (it *Item) components() []*goical.Component {
	var out []*goical.Component
	if it.master != nil {
		out = append(out, it.master)
	}
	return append(out, it.instances...)
}

func collectTZIDs(c *goical.Component, into map[string]bool) {
	for _, ps := range c.Props {
		for _, p := range ps {
			if tz := p.Params.Get(goical.PropTimezoneID); tz != "" {
				into[tz] = true
			}
		}
	}
	for _, ch := range c.Children {
		collectTZIDs(ch, into)
	}
}

// encodeComponent serializes one component (for digests).
func encodeComponent(c *goical.Component) []byte {
	var b bytes.Buffer
	writeComponent(&b, c)
	return b.Bytes()
}

func writeComponent(b *bytes.Buffer, c *goical.Component) {
	writeLine(b, "BEGIN", nil, c.Name)
	names := make([]string, 0, len(c.Props))
	for n := range c.Props {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		for _, p := range c.Props[n] {
			writeLine(b, n, p.Params, p.Value)
		}
	}
	for _, ch := range c.Children {
		writeComponent(b, ch)
	}
	writeLine(b, "END", nil, c.Name)
}

// writeLine writes one content line, folded at 75 octets (RFC 5545
// 3.1) without splitting a UTF-8 sequence.
func writeLine(b *bytes.Buffer, name string, params goical.Params, value string) {
	var l strings.Builder
	l.WriteString(name)
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		l.WriteByte(';')
		l.WriteString(k)
		l.WriteByte('=')
		for i, v := range params[k] {
			if i > 0 {
				l.WriteByte(',')
			}
			v = strings.ReplaceAll(v, `"`, "'")
			if strings.ContainsAny(v, ":;,") {
				v = `"` + v + `"`
			}
			l.WriteString(v)
		}
	}
	l.WriteByte(':')
	l.WriteString(strings.NewReplacer("\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(value))
	line := l.String()
	for limit := 75; len(line) > limit; limit = 74 { // a continuation's space counts
		cut := limit
		for cut > 1 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n ")
		line = line[cut:]
	}
	b.WriteString(line)
	b.WriteString("\r\n")
}

// EncodeCalendar writes a calendar go-ical decoded (a CalDAV object)
// back as text/calendar, for Parse.
func EncodeCalendar(c *goical.Calendar) []byte {
	var b bytes.Buffer
	writeComponent(&b, c.Component)
	return b.Bytes()
}
