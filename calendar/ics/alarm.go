package ics

import (
	"fmt"
	"slices"
	"time"
)

// Occurrence is one instance of an item.
type Occurrence struct {
	// RecurrenceID identifies the instance of a recurring item: its
	// start as a UTC DATE-TIME ("20260302T090000Z") or, all day, a DATE
	// ("20260302"); "" for an item that does not recur.
	RecurrenceID string
	// Start and End are instants; zero when the item has none (a task
	// without dates; a task with only a DUE has only an End).
	Start, End time.Time
	AllDay     bool
}

// Trigger is a moment an item's reminder is due.
type Trigger struct {
	At time.Time
	Occurrence
	// Alarm is false for an item without a VALARM (or none that can be
	// computed): its reminder is due when it arrives, and At is its
	// start (or end, or zero).
	Alarm bool
}

// Schedule is an item's alarms evaluated in one user's zone.
type Schedule struct {
	comps []*component
	// spanMin and spanMax bound a relative trigger's distance from its
	// occurrence's start (a day of slack covers daylight-saving shifts
	// of nominal durations).
	spanMin, spanMax time.Duration
	alarms           bool
}

const slack = 25 * time.Hour

// Schedule evaluates the item's alarms with floating times and all-day
// dates read in loc.
func (it *Item) Schedule(loc *time.Location) (s *Schedule, err error) {
	defer func() {
		if r := recover(); r != nil { // rrule-go on input it did not expect
			s, err = nil, fmt.Errorf("%w: recurrence: %v", ErrInvalid, r)
		}
	}()
	z := newZones(loc, it.timezones)
	s = &Schedule{}
	var master *component
	if it.master != nil {
		if master, err = newComponent(it.master, it.Kind, z); err != nil {
			return nil, err
		}
		s.comps = append(s.comps, master)
	}
	for _, c := range it.instances {
		e, err := newComponent(c, it.Kind, z)
		if err != nil {
			return nil, err
		}
		s.comps = append(s.comps, e)
		if master != nil && master.set != nil {
			if master.overridden == nil {
				master.overridden = map[int64]bool{}
			}
			p := c.Props.Get("RECURRENCE-ID")
			if v, err := propDate(p); err == nil {
				master.overridden[z.instant(v).Unix()] = true
			}
		}
	}
	first := true
	for _, e := range s.comps {
		for _, a := range e.alarms {
			s.alarms = true
			if !a.absolute.IsZero() {
				continue
			}
			lo := a.offset.exact()
			if a.relEnd {
				lo += e.length.exact()
			}
			hi := lo + time.Duration(a.repeat)*a.every
			if first || lo < s.spanMin {
				s.spanMin = lo
			}
			if first || hi > s.spanMax {
				s.spanMax = hi
			}
			first = false
		}
	}
	s.spanMin -= slack
	s.spanMax += slack
	return s, nil
}

// HasAlarms reports whether the item has an alarm that can fire.
func (s *Schedule) HasAlarms() bool { return s.alarms }

// triggers calls fn with every trigger of occurrence o of e.
func (e *component) triggers(o Occurrence, fn func(Trigger)) {
	for _, a := range e.alarms {
		var base time.Time
		if a.absolute.IsZero() {
			base = o.Start
			if a.relEnd || base.IsZero() {
				base = o.End
			}
			if base.IsZero() {
				base = o.Start
			}
			if base.IsZero() {
				continue
			}
			base = a.offset.addTo(base, e.zone)
		} else {
			base = a.absolute
		}
		for k := 0; k <= a.repeat; k++ {
			at := base.Add(time.Duration(k) * a.every)
			if !a.acked.IsZero() && !at.After(a.acked) {
				continue
			}
			fn(Trigger{At: at, Occurrence: o, Alarm: true})
		}
	}
}

// collector keeps the triggers at the best moment seen: the earliest
// after a bound (Next) or the latest at or before one (Latest).
type collector struct {
	bound time.Time
	later bool // Next: want > bound, earliest; Latest: want <= bound, latest
	best  time.Time
	out   []Trigger
}

func (c *collector) consider(t Trigger) {
	if c.later != t.At.After(c.bound) {
		return
	}
	switch {
	case c.out == nil || (c.later && t.At.Before(c.best)) || (!c.later && t.At.After(c.best)):
		c.best, c.out = t.At, append(c.out[:0], t)
	case t.At.Equal(c.best):
		// Alarms of one occurrence that coincide are one reminder.
		if !slices.ContainsFunc(c.out, func(x Trigger) bool { return x.RecurrenceID == t.RecurrenceID }) {
			c.out = append(c.out, t)
		}
	}
}

// first is the component's first occurrence; absolute alarms, which
// fire once for a whole recurring item, are shown with it.
func (e *component) first() Occurrence {
	var o Occurrence
	e.each(time.Time{}, func(x Occurrence) bool { o = x; return false })
	if e.set != nil {
		o.RecurrenceID = ""
	}
	return o
}

// ref is the time an occurrence's relative triggers are near: its
// start, or its end for a task with only a DUE.
func (o Occurrence) ref() time.Time {
	if o.Start.IsZero() {
		return o.End
	}
	return o.Start
}

// Next returns the triggers at the earliest moment after after (several
// when alarms of different occurrences coincide); none when no alarm
// fires after it.
func (s *Schedule) Next(after time.Time) (out []Trigger) {
	defer func() {
		if recover() != nil {
			out = nil
		}
	}()
	c := &collector{bound: after, later: true}
	for _, e := range s.comps {
		abs, rel := e.split()
		if len(abs.alarms) > 0 {
			abs.triggers(e.first(), c.consider)
		}
		if len(rel.alarms) == 0 {
			continue
		}
		e.each(after.Add(-s.spanMax), func(o Occurrence) bool {
			ref := o.ref()
			if ref.IsZero() {
				return false
			}
			if c.out != nil && ref.Add(s.spanMin).After(c.best) {
				return false // this and later occurrences fire after the best found
			}
			if ref.Add(s.spanMax).Before(after) {
				return true // long past
			}
			rel.triggers(o, c.consider)
			return true
		})
	}
	return c.out
}

// Latest returns the triggers at the latest moment at or before now:
// the reminder due when a notification arrives. An occurrence of a
// recurring item counts only until it ends (past weeks of a weekly
// meeting are not reminded of); an item that does not recur is
// reminded of however late. An item without alarms is due at once: its
// trigger is its start (for a recurring one, the start of its current
// or next occurrence).
func (s *Schedule) Latest(now time.Time) (out []Trigger) {
	defer func() {
		if recover() != nil {
			out = nil
		}
	}()
	if !s.alarms {
		if len(s.comps) == 0 {
			return nil
		}
		e := s.comps[0]
		o := e.first()
		if e.set != nil {
			e.each(now.Add(-e.length.exact()-slack), func(x Occurrence) bool {
				end := x.End
				if end.IsZero() {
					end = x.Start
				}
				if end.Before(now) {
					return true
				}
				o = x
				return false
			})
		}
		return []Trigger{{At: o.ref(), Occurrence: o}}
	}
	c := &collector{bound: now}
	for _, e := range s.comps {
		abs, rel := e.split()
		if len(abs.alarms) > 0 {
			abs.triggers(e.first(), c.consider)
		}
		if len(rel.alarms) == 0 {
			continue
		}
		recurring := e.set != nil
		from := time.Time{}
		if recurring { // only occurrences not over count
			from = now.Add(-e.length.exact() - slack)
		}
		e.each(from, func(o Occurrence) bool {
			ref := o.ref()
			if ref.IsZero() || ref.Add(s.spanMin).After(now) {
				return false // this and later occurrences trigger after now
			}
			if recurring {
				end := o.End
				if end.IsZero() {
					end = o.Start
				}
				if end.Before(now) {
					return true // over
				}
			}
			rel.triggers(o, c.consider)
			return true
		})
	}
	return c.out
}

// split returns copies of e with only its absolute and only its
// relative alarms.
func (e *component) split() (absolutes, relatives *component) {
	a, r := *e, *e
	a.alarms, r.alarms = nil, nil
	for _, al := range e.alarms {
		if al.absolute.IsZero() {
			r.alarms = append(r.alarms, al)
		} else {
			a.alarms = append(a.alarms, al)
		}
	}
	return &a, &r
}
