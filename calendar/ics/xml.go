package ics

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	goical "github.com/emersion/go-ical"
)

// NS is the namespace of the text/xml notification schema (elements
// without a namespace are accepted too). A notification is one <event>
// or <task>, or a <notifications> element holding several:
//
//	<notifications xmlns="urn:parley:calendar:0">
//	  <event>
//	    <uid>meeting-42@cal.example.com</uid>
//	    <owner>mailto:alice@example.com</owner>        explicit owner (X-CALENDAR-OWNER)
//	    <organizer>mailto:alice@example.com</organizer>
//	    <summary>Design review</summary>
//	    <location>Room 4</location>
//	    <description>Bring the mock-ups</description>
//	    <url>https://cal.example.com/e/42</url>
//	    <start tz="Europe/Berlin">2026-03-03T14:00:00</start>
//	    <end tz="Europe/Berlin">2026-03-03T15:00:00</end>
//	    <rrule>FREQ=WEEKLY;COUNT=4</rrule>
//	    <alarm><trigger related="start">-PT15M</trigger></alarm>
//	  </event>
//	  <task>
//	    <uid>task-7</uid> <summary>Send the report</summary>
//	    <due>2026-03-04T17:00:00Z</due>
//	    <alarm><trigger>2026-03-04T16:00:00Z</trigger><repeat>2</repeat><duration>PT10M</duration></alarm>
//	  </task>
//	</notifications>
//
// Dates are RFC 3339 date-times with Z or an offset (instants), local
// date-times with a tz attribute (an IANA zone) or without (the user's
// zone), or dates (2026-03-03: all day). Triggers are ISO 8601
// durations relative to the start (related="end": to the end or due
// date) or date-times. Elements: uid, recurrence-id, owner, organizer,
// summary, location, description, url, status (e.g. CANCELLED,
// COMPLETED), start, end (events), due (tasks), duration, rrule
// (RFC 5545 RRULE value), rdate and exdate (repeatable), alarm (with
// trigger, repeat, duration, action). Everything but one of start, end
// or due is optional.
const NS = "urn:parley:calendar:0"

type xmlDate struct {
	Value string `xml:",chardata"`
	TZ    string `xml:"tz,attr"`
}

type xmlTrigger struct {
	Value   string `xml:",chardata"`
	Related string `xml:"related,attr"`
}

type xmlAlarm struct {
	Trigger  xmlTrigger `xml:"trigger"`
	Repeat   string     `xml:"repeat"`
	Duration string     `xml:"duration"`
	Action   string     `xml:"action"`
}

type xmlItem struct {
	XMLName      xml.Name
	UID          string     `xml:"uid"`
	RecurrenceID xmlDate    `xml:"recurrence-id"`
	Owner        string     `xml:"owner"`
	Organizer    string     `xml:"organizer"`
	Summary      string     `xml:"summary"`
	Location     string     `xml:"location"`
	Description  string     `xml:"description"`
	URL          string     `xml:"url"`
	Status       string     `xml:"status"`
	Start        xmlDate    `xml:"start"`
	End          xmlDate    `xml:"end"`
	Due          xmlDate    `xml:"due"`
	Duration     string     `xml:"duration"`
	RRule        string     `xml:"rrule"`
	RDates       []xmlDate  `xml:"rdate"`
	ExDates      []xmlDate  `xml:"exdate"`
	Alarms       []xmlAlarm `xml:"alarm"`
}

// ParseXML reads a text/xml notification (the schema of NS).
func ParseXML(data []byte) ([]*Item, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	var root *xml.StartElement
	for root == nil {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: XML: %v", ErrInvalid, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			root = &se
		}
	}
	if root.Name.Space != "" && root.Name.Space != NS {
		return nil, fmt.Errorf("%w: XML root <%s> in namespace %q, want %q", ErrInvalid, root.Name.Local, root.Name.Space, NS)
	}
	var xs []xmlItem
	switch root.Name.Local {
	case "event", "task":
		var x xmlItem
		if err := dec.DecodeElement(&x, root); err != nil {
			return nil, fmt.Errorf("%w: XML: %v", ErrInvalid, err)
		}
		xs = append(xs, x)
	case "notifications":
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%w: XML: unexpected end", ErrInvalid)
			}
			if err != nil {
				return nil, fmt.Errorf("%w: XML: %v", ErrInvalid, err)
			}
			if _, ok := tok.(xml.EndElement); ok {
				break
			}
			se, ok := tok.(xml.StartElement)
			if !ok {
				continue
			}
			if se.Name.Local != "event" && se.Name.Local != "task" {
				return nil, fmt.Errorf("%w: XML: <%s> in <notifications>, want <event> or <task>", ErrInvalid, se.Name.Local)
			}
			if len(xs) == maxComponents {
				return nil, fmt.Errorf("%w: more than %d items", ErrInvalid, maxComponents)
			}
			var x xmlItem
			if err := dec.DecodeElement(&x, &se); err != nil {
				return nil, fmt.Errorf("%w: XML: %v", ErrInvalid, err)
			}
			xs = append(xs, x)
		}
	default:
		return nil, fmt.Errorf("%w: XML root <%s>, want <notifications>, <event> or <task>", ErrInvalid, root.Name.Local)
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("%w: no <event> or <task>", ErrInvalid)
	}
	cal := goical.NewComponent(goical.CompCalendar)
	for _, x := range xs {
		c, err := x.component()
		if err != nil {
			return nil, err
		}
		cal.Children = append(cal.Children, c)
	}
	return itemsOf(cal)
}

// component converts an XML item to the iCalendar component it stands for.
func (x xmlItem) component() (*goical.Component, error) {
	name := goical.CompEvent
	if x.XMLName.Local == "task" {
		name = goical.CompToDo
	}
	c := goical.NewComponent(name)
	setText := func(prop, v string) {
		if v = strings.TrimSpace(v); v != "" {
			p := goical.NewProp(prop)
			p.SetText(v)
			c.Props.Set(p)
		}
	}
	setRaw := func(prop, v string) {
		if v = strings.TrimSpace(v); v != "" {
			p := goical.NewProp(prop)
			p.Value = v
			c.Props.Set(p)
		}
	}
	setText(goical.PropUID, x.UID)
	setText(goical.PropSummary, x.Summary)
	setText(goical.PropLocation, x.Location)
	setText(goical.PropDescription, x.Description)
	setRaw(goical.PropURL, x.URL)
	setRaw(goical.PropStatus, strings.ToUpper(x.Status))
	setRaw(goical.PropOrganizer, x.Organizer)
	setText("X-CALENDAR-OWNER", x.Owner)
	setRaw(goical.PropRecurrenceRule, x.RRule)
	if x.Duration != "" {
		if _, err := parseDuration(x.Duration); err != nil {
			return nil, err
		}
		setRaw(goical.PropDuration, x.Duration)
	}
	for _, d := range []struct {
		prop string
		v    xmlDate
	}{{goical.PropRecurrenceID, x.RecurrenceID}, {goical.PropDateTimeStart, x.Start}, {goical.PropDateTimeEnd, x.End}, {goical.PropDue, x.Due}} {
		if strings.TrimSpace(d.v.Value) == "" {
			continue
		}
		if d.prop == goical.PropDateTimeEnd && name == goical.CompToDo || d.prop == goical.PropDue && name == goical.CompEvent {
			return nil, fmt.Errorf("%w: XML: <%s> in <%s>", ErrInvalid, strings.ToLower(d.prop), x.XMLName.Local)
		}
		p, err := xmlDateProp(d.prop, d.v)
		if err != nil {
			return nil, err
		}
		c.Props.Set(p)
	}
	for _, list := range []struct {
		prop string
		vs   []xmlDate
	}{{goical.PropRecurrenceDates, x.RDates}, {goical.PropExceptionDates, x.ExDates}} {
		for _, v := range list.vs {
			p, err := xmlDateProp(list.prop, v)
			if err != nil {
				return nil, err
			}
			c.Props.Add(p)
		}
	}
	for _, a := range x.Alarms {
		al := goical.NewComponent(goical.CompAlarm)
		action := strings.ToUpper(strings.TrimSpace(a.Action))
		if action == "" {
			action = "DISPLAY"
		}
		al.Props.Set(&goical.Prop{Name: goical.PropAction, Params: goical.Params{}, Value: action})
		trig := strings.TrimSpace(a.Trigger.Value)
		if trig == "" {
			return nil, fmt.Errorf("%w: XML: <alarm> without <trigger>", ErrInvalid)
		}
		tp := goical.NewProp(goical.PropTrigger)
		if d := strings.TrimLeft(trig, "+-"); strings.HasPrefix(strings.ToUpper(d), "P") {
			if _, err := parseDuration(trig); err != nil {
				return nil, err
			}
			tp.Value = strings.ToUpper(trig)
			if strings.EqualFold(a.Trigger.Related, "end") {
				tp.Params.Set(goical.ParamRelated, "END")
			}
		} else {
			t, err := time.Parse(time.RFC3339, trig)
			if err != nil {
				return nil, fmt.Errorf("%w: XML: trigger %q is neither a duration nor an RFC 3339 date-time", ErrInvalid, trig)
			}
			tp.Params.Set(goical.ParamValue, "DATE-TIME")
			tp.Value = t.UTC().Format("20060102T150405Z")
		}
		al.Props.Set(tp)
		if a.Repeat != "" || a.Duration != "" {
			if _, err := parseDuration(a.Duration); err != nil {
				return nil, err
			}
			al.Props.Set(&goical.Prop{Name: goical.PropRepeat, Params: goical.Params{}, Value: strings.TrimSpace(a.Repeat)})
			al.Props.Set(&goical.Prop{Name: goical.PropDuration, Params: goical.Params{}, Value: strings.TrimSpace(a.Duration)})
		}
		c.Children = append(c.Children, al)
	}
	return c, nil
}

// xmlDateProp converts an XML date to an iCalendar date property.
func xmlDateProp(prop string, d xmlDate) (*goical.Prop, error) {
	v := strings.TrimSpace(d.Value)
	tz := strings.TrimSpace(d.TZ)
	p := goical.NewProp(prop)
	if t, err := time.Parse("2006-01-02", v); err == nil {
		p.Params.Set(goical.ParamValue, "DATE")
		p.Value = t.Format("20060102")
		return p, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		p.Value = t.UTC().Format("20060102T150405Z")
		return p, nil
	}
	t, err := time.Parse("2006-01-02T15:04:05", v)
	if err != nil {
		return nil, fmt.Errorf("%w: XML: %q is not a date, an RFC 3339 date-time or a local date-time", ErrInvalid, v)
	}
	if tz != "" {
		if lookupLocation(tz) == nil {
			return nil, fmt.Errorf("%w: XML: unknown time zone %q", ErrInvalid, tz)
		}
		p.Params.Set(goical.PropTimezoneID, tz)
	}
	p.Value = t.Format("20060102T150405")
	return p, nil
}
