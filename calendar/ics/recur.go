package ics

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	goical "github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"
)

// maxOccurrences bounds the occurrences one evaluation walks through
// (a daily event from 30 years ago is 11,000): a rule that would need
// more is taken as ending there.
const maxOccurrences = 100000

// component is one VEVENT or VTODO ready for evaluation in a zone.
type component struct {
	c       *goical.Component
	hasTime bool      // has a start or an end to relate alarms to
	start   dateValue // DTSTART (or, for a task without one, DUE)
	zone    zone      // the start's wall clock
	allDay  bool
	length  duration // from the start to the end (DTEND, DUE or DURATION)
	endOnly bool     // a task with a DUE but no DTSTART: start is the end
	alarms  []alarm
	// set is the recurrence set in wall-clock time; nil if the
	// component does not recur. rule is its RRULE (nil if none), which
	// each restarts near the moment asked about.
	set  *rrule.Set
	rule *rrule.ROption
	// rid is an instance's recurrence id (icalDate form); "" for a master.
	rid string
	// overridden holds the starts (Unix seconds) of a master's
	// occurrences that instances replace.
	overridden map[int64]bool
}

type alarm struct {
	absolute time.Time // an absolute trigger; zero for a relative one
	offset   duration  // a relative trigger's offset
	relEnd   bool      // RELATED=END
	repeat   int       // REPEAT
	every    time.Duration
	acked    time.Time // ACKNOWLEDGED (RFC 9074): triggers up to it are done
}

// newComponent reads c's dates, alarms and recurrence in the zones z.
func newComponent(c *goical.Component, kind Kind, z *zones) (*component, error) {
	e := &component{c: c}
	sp := c.Props.Get(goical.PropDateTimeStart)
	endName := goical.PropDateTimeEnd
	if kind == Task {
		endName = goical.PropDue
	}
	ep := c.Props.Get(endName)
	if sp == nil && ep != nil && kind == Task {
		sp, ep, e.endOnly = ep, nil, true
	}
	if sp != nil {
		v, err := propDate(sp)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, sp.Name, err)
		}
		e.start, e.hasTime, e.allDay = v, true, v.date
		e.zone = z.zoneOf(v)
		switch {
		case ep != nil:
			ev, err := propDate(ep)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, ep.Name, err)
			}
			if v.date {
				e.length = duration{days: int(ev.wall.Sub(v.wall).Hours() / 24)}
			} else {
				secs := int64(z.instant(ev).Sub(z.instant(v)) / time.Second)
				e.length = duration{secs: secs}
				if secs < 0 {
					e.length = duration{}
				}
			}
		case c.Props.Get(goical.PropDuration) != nil:
			d, err := parseDuration(c.Props.Get(goical.PropDuration).Value)
			if err != nil {
				return nil, err
			}
			if !d.neg {
				e.length = d
			}
		case v.date && kind == Event:
			e.length = duration{days: 1} // RFC 5545 3.6.1: an all-day event lasts the day
		}
		if e.length.days > maxDurationDays {
			e.length = duration{days: maxDurationDays}
		}
	}
	for _, a := range c.Children {
		if a.Name != goical.CompAlarm {
			continue
		}
		al, ok, err := newAlarm(a)
		if err != nil {
			return nil, err
		}
		if ok && (al.absolute.IsZero() && !e.hasTime) {
			ok = false // relative to nothing
		}
		if ok {
			e.alarms = append(e.alarms, al)
		}
	}
	if rp := c.Props.Get(goical.PropRecurrenceID); rp != nil {
		v, err := propDate(rp)
		if err != nil {
			return nil, fmt.Errorf("%w: RECURRENCE-ID: %v", ErrInvalid, err)
		}
		e.rid = icalDate(z.instant(v), v.date)
		if v.date {
			e.rid = v.wall.Format("20060102")
		}
	} else if e.hasTime && !e.endOnly {
		if err := e.recurrence(z); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// propDate parses a DTSTART-like property (its first value).
func propDate(p *goical.Prop) (dateValue, error) {
	v, _, _ := strings.Cut(p.Value, ",")
	d, err := parseDateValue(v, p.Params.Get(goical.PropTimezoneID))
	if err == nil && strings.EqualFold(p.Params.Get(goical.ParamValue), "DATE") && !d.date {
		d.date, d.utc, d.tzid = true, false, ""
		d.wall = time.Date(d.wall.Year(), d.wall.Month(), d.wall.Day(), 0, 0, 0, 0, time.UTC)
	}
	return d, err
}

// recurrence builds the master's recurrence set from RRULE, RDATE and
// EXDATE, in the start's wall clock.
func (e *component) recurrence(z *zones) error {
	rp := e.c.Props.Get(goical.PropRecurrenceRule)
	rdates := e.c.Props.Values(goical.PropRecurrenceDates)
	if rp == nil && len(rdates) == 0 {
		return nil
	}
	set := &rrule.Set{}
	set.DTStart(e.start.wall)
	if rp != nil {
		opt, err := rrule.StrToROption(rp.Value)
		if err != nil {
			return fmt.Errorf("%w: RRULE: %v", ErrInvalid, err)
		}
		if opt.Freq == rrule.SECONDLY || opt.Freq == rrule.MINUTELY {
			return fmt.Errorf("%w: RRULE: a reminder every %s is not supported", ErrInvalid, strings.ToLower(opt.Freq.String()))
		}
		if u := ruleUntil(rp.Value); !opt.Until.IsZero() && strings.HasSuffix(strings.ToUpper(u), "Z") {
			opt.Until = e.zone.wall(opt.Until) // UNTIL in UTC: compare in the start's wall clock
		}
		opt.Dtstart = e.start.wall
		r, err := rrule.NewRRule(*opt)
		if err != nil {
			return fmt.Errorf("%w: RRULE: %v", ErrInvalid, err)
		}
		set.RRule(r)
		e.rule = opt
	}
	for _, p := range rdates {
		vs, err := parseDateList(p.Value, p.Params.Get(goical.PropTimezoneID))
		if err != nil {
			return fmt.Errorf("%w: RDATE: %v", ErrInvalid, err)
		}
		for _, v := range vs {
			set.RDate(e.toWall(z, v))
		}
	}
	for _, p := range e.c.Props.Values(goical.PropExceptionDates) {
		vs, err := parseDateList(p.Value, p.Params.Get(goical.PropTimezoneID))
		if err != nil {
			return fmt.Errorf("%w: EXDATE: %v", ErrInvalid, err)
		}
		for _, v := range vs {
			set.ExDate(e.toWall(z, v))
		}
	}
	e.set = set
	return nil
}

// toWall converts an RDATE or EXDATE value to the start's wall clock.
func (e *component) toWall(z *zones, v dateValue) time.Time {
	if v.date || e.allDay {
		return time.Date(v.wall.Year(), v.wall.Month(), v.wall.Day(), e.start.wall.Hour(), e.start.wall.Minute(), e.start.wall.Second(), 0, time.UTC)
	}
	return e.zone.wall(z.instant(v))
}

// occurrence makes the occurrence starting at the wall time w.
func (e *component) occurrence(w time.Time, recurring bool) Occurrence {
	o := Occurrence{AllDay: e.allDay, RecurrenceID: e.rid}
	if !e.hasTime {
		return o
	}
	start := e.zone.instant(w)
	if e.endOnly {
		o.End = start
		return o
	}
	o.Start = start
	o.End = e.length.addTo(start, e.zone)
	if recurring {
		o.RecurrenceID = icalDate(start, e.allDay)
		if e.allDay {
			o.RecurrenceID = w.Format("20060102")
		}
	}
	return o
}

// each calls fn with the component's occurrences in order of their
// start, from the first that may start at or after from (zero: from the
// first), until fn returns false (at most maxOccurrences).
func (e *component) each(from time.Time, fn func(Occurrence) bool) {
	if e.set == nil {
		fn(e.occurrence(e.start.wall, false))
		return
	}
	next := e.setFrom(from).Iterator()
	for range maxOccurrences {
		w, ok := next()
		if !ok {
			return
		}
		o := e.occurrence(w, true)
		if e.overridden[o.Start.Unix()] {
			continue
		}
		if !fn(o) {
			return
		}
	}
}

// setFrom returns the recurrence set, its rule restarted at an
// occurrence shortly before from when that skips many: a daily event
// from 1995 would otherwise be walked through day by day at every
// evaluation (and rrule-go's rules stop 292 years after their start).
// Restarting keeps the set: the new start is a whole number of periods
// after DTSTART, and rrule-go, like RFC 5545's recommendation, counts
// the start only when the rule matches it. A rule with COUNT counts
// from DTSTART and is not restarted.
func (e *component) setFrom(from time.Time) *rrule.Set {
	if e.rule == nil || e.rule.Count > 0 || from.IsZero() {
		return e.set
	}
	fromWall := e.zone.wall(from)
	start := e.rule.Dtstart
	if !fromWall.After(start) {
		return e.set
	}
	interval := max(e.rule.Interval, 1)
	var shifted time.Time
	switch e.rule.Freq {
	case rrule.HOURLY, rrule.DAILY, rrule.WEEKLY:
		period := time.Duration(interval) * map[rrule.Frequency]time.Duration{rrule.HOURLY: time.Hour, rrule.DAILY: 24 * time.Hour, rrule.WEEKLY: 7 * 24 * time.Hour}[e.rule.Freq]
		k := int64(fromWall.Sub(start)/period) - 1 // wall clock is UTC: exact
		if k < 1 {
			return e.set
		}
		shifted = start.Add(time.Duration(k) * period)
	case rrule.MONTHLY:
		if start.Day() > 28 {
			return e.set // AddDate would move it to another day
		}
		months := (fromWall.Year()-start.Year())*12 + int(fromWall.Month()-start.Month())
		k := months/interval - 1
		if k < 1 {
			return e.set
		}
		shifted = start.AddDate(0, k*interval, 0)
	case rrule.YEARLY:
		if start.Month() == time.February && start.Day() == 29 {
			return e.set
		}
		k := (fromWall.Year()-start.Year())/interval - 1
		if k < 1 {
			return e.set
		}
		shifted = start.AddDate(k*interval, 0, 0)
	default:
		return e.set
	}
	opt := *e.rule
	opt.Dtstart = shifted
	r, err := rrule.NewRRule(opt)
	if err != nil {
		return e.set
	}
	set := &rrule.Set{}
	set.DTStart(shifted)
	set.RRule(r)
	set.SetRDates(e.set.GetRDate())
	set.SetExDates(e.set.GetExDate())
	return set
}

// newAlarm reads a VALARM; ok is false for one that never fires
// (ACTION:NONE, RFC 9074).
func newAlarm(a *goical.Component) (alarm, bool, error) {
	var al alarm
	if strings.EqualFold(text(a, goical.PropAction), "NONE") {
		return al, false, nil
	}
	tp := a.Props.Get(goical.PropTrigger)
	if tp == nil {
		return al, false, fmt.Errorf("%w: VALARM without TRIGGER", ErrInvalid)
	}
	if strings.EqualFold(tp.Params.Get(goical.ParamValue), "DATE-TIME") || (len(tp.Value) >= 15 && tp.Value[0] != 'P' && tp.Value[0] != '-' && tp.Value[0] != '+') {
		v, err := parseDateValue(tp.Value, "")
		if err != nil {
			return al, false, fmt.Errorf("%w: TRIGGER: %v", ErrInvalid, err)
		}
		al.absolute = v.wall // RFC 5545: an absolute trigger is UTC
	} else {
		d, err := parseDuration(tp.Value)
		if err != nil {
			return al, false, err
		}
		al.offset = d
		al.relEnd = strings.EqualFold(tp.Params.Get(goical.ParamRelated), "END")
	}
	rp, dp := a.Props.Get(goical.PropRepeat), a.Props.Get(goical.PropDuration)
	if rp != nil && dp != nil {
		n, err := strconv.Atoi(strings.TrimSpace(rp.Value))
		if err != nil || n < 0 {
			return al, false, fmt.Errorf("%w: REPEAT %q", ErrInvalid, rp.Value)
		}
		d, err := parseDuration(dp.Value)
		if err != nil {
			return al, false, err
		}
		if every := d.exact(); every > 0 && n > 0 {
			al.repeat, al.every = min(n, maxRepeat), every
		}
	}
	if ap := a.Props.Get("ACKNOWLEDGED"); ap != nil {
		if v, err := parseDateValue(ap.Value, ""); err == nil {
			al.acked = v.wall
		}
	}
	return al, true, nil
}
