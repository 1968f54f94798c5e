package ics

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	goical "github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"
)

// vtimezone is a zone defined by a VTIMEZONE component: STANDARD and
// DAYLIGHT observances, each starting at its DTSTART (a wall-clock time
// in the offset before it, TZOFFSETFROM) and again at each of its
// RRULE and RDATE onsets, after which TZOFFSETTO applies.
type vtimezone struct {
	obs   []observance
	years map[int][]transition // onsets of year-1 .. year+1, by year (a cache)
}

// transition is one onset: from at on, the offset is to.
type transition struct {
	at       time.Time // instant
	wall     time.Time // wall clock before it (in the "from" offset)
	from, to time.Duration
}

type observance struct {
	from, to time.Duration // TZOFFSETFROM, TZOFFSETTO
	start    time.Time     // DTSTART, wall clock
	rule     *rrule.RRule  // onsets after start, wall clock; nil if none
	rdates   []time.Time   // more onsets, wall clock
}

func newVTimezone(c *goical.Component) (*vtimezone, error) {
	v := &vtimezone{years: map[int][]transition{}}
	for _, o := range c.Children {
		if o.Name != "STANDARD" && o.Name != "DAYLIGHT" {
			continue
		}
		from, err1 := parseOffset(o.Props.Get("TZOFFSETFROM"))
		to, err2 := parseOffset(o.Props.Get("TZOFFSETTO"))
		sp := o.Props.Get(goical.PropDateTimeStart)
		if err1 != nil || err2 != nil || sp == nil {
			return nil, fmt.Errorf("%w: VTIMEZONE observance without offsets or DTSTART", ErrInvalid)
		}
		start, err := parseDateValue(sp.Value, "")
		if err != nil {
			return nil, err
		}
		ob := observance{from: from, to: to, start: start.wall}
		if rp := o.Props.Get(goical.PropRecurrenceRule); rp != nil {
			opt, err := rrule.StrToROption(rp.Value)
			if err != nil {
				return nil, fmt.Errorf("%w: VTIMEZONE RRULE: %v", ErrInvalid, err)
			}
			if !opt.Until.IsZero() && strings.HasSuffix(strings.ToUpper(ruleUntil(rp.Value)), "Z") {
				opt.Until = opt.Until.Add(from) // UNTIL is UTC; onsets are wall clock in the "from" offset
			}
			// rrule-go measures spans in time.Duration, which ends at 292
			// years: from Outlook's DTSTART in 1601 its rules stop in
			// 1892. A yearly onset rule does not depend on the start's
			// year, so start it in 1970.
			opt.Dtstart = ob.start
			if ob.start.Year() < 1970 && opt.Count == 0 {
				opt.Dtstart = time.Date(1970, ob.start.Month(), ob.start.Day(), ob.start.Hour(), ob.start.Minute(), ob.start.Second(), 0, time.UTC)
			}
			if ob.rule, err = rrule.NewRRule(*opt); err != nil {
				return nil, fmt.Errorf("%w: VTIMEZONE RRULE: %v", ErrInvalid, err)
			}
		}
		for _, rp := range o.Props.Values(goical.PropRecurrenceDates) {
			ds, err := parseDateList(rp.Value, "")
			if err != nil {
				return nil, err
			}
			for _, d := range ds {
				ob.rdates = append(ob.rdates, d.wall)
			}
		}
		v.obs = append(v.obs, ob)
	}
	if len(v.obs) == 0 {
		return nil, fmt.Errorf("%w: VTIMEZONE without observances", ErrInvalid)
	}
	return v, nil
}

// ruleUntil returns the UNTIL part of an RRULE value ("" if none).
func ruleUntil(rule string) string {
	for part := range strings.SplitSeq(rule, ";") {
		if k, v, ok := strings.Cut(part, "="); ok && strings.EqualFold(k, "UNTIL") {
			return v
		}
	}
	return ""
}

// parseOffset parses a UTC offset: "+0100", "-0530", "+013000".
func parseOffset(p *goical.Prop) (time.Duration, error) {
	if p == nil {
		return 0, ErrInvalid
	}
	s := strings.TrimSpace(p.Value)
	if len(s) != 5 && len(s) != 7 || (s[0] != '+' && s[0] != '-') {
		return 0, fmt.Errorf("%w: offset %q", ErrInvalid, s)
	}
	n, err := strconv.Atoi(s[1:])
	if err != nil {
		return 0, fmt.Errorf("%w: offset %q", ErrInvalid, s)
	}
	var h, m, sec int
	if len(s) == 5 {
		h, m = n/100, n%100
	} else {
		h, m, sec = n/10000, n/100%100, n%100
	}
	if h > 23 || m > 59 || sec > 59 {
		return 0, fmt.Errorf("%w: offset %q", ErrInvalid, s)
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second
	if s[0] == '-' {
		d = -d
	}
	return d, nil
}

// transitions returns the onsets from the start of year-1 to the end
// of year+1, in order.
func (v *vtimezone) transitions(year int) []transition {
	if ts, ok := v.years[year]; ok {
		return ts
	}
	lo := time.Date(year-1, 1, 1, 0, 0, 0, 0, time.UTC)
	hi := time.Date(year+2, 1, 1, 0, 0, 0, 0, time.UTC)
	var ts []transition
	for _, o := range v.obs {
		add := func(w time.Time) {
			if !w.Before(lo) && w.Before(hi) {
				ts = append(ts, transition{at: w.Add(-o.from), wall: w, from: o.from, to: o.to})
			}
		}
		add(o.start)
		if o.rule != nil {
			for _, w := range o.rule.Between(lo, hi, true) {
				add(w)
			}
		}
		for _, w := range o.rdates {
			add(w)
		}
	}
	slices.SortFunc(ts, func(a, b transition) int { return a.at.Compare(b.at) })
	if len(v.years) > 64 {
		clear(v.years)
	}
	v.years[year] = ts
	return ts
}

// before is the offset before any onset: the "from" of the earliest.
func (v *vtimezone) before() time.Duration {
	first := v.obs[0]
	for _, o := range v.obs[1:] {
		if o.start.Before(first.start) {
			first = o
		}
	}
	return first.from
}

// offsetAtWall is the offset in force at the wall time w.
func (v *vtimezone) offsetAtWall(w time.Time) time.Duration {
	off, found := time.Duration(0), false
	for _, t := range v.transitions(w.Year()) {
		if t.wall.After(w) {
			break
		}
		off, found = t.to, true
	}
	if !found {
		return v.offsetAt(w.Add(-v.before()))
	}
	return off
}

// offsetAt is the offset in force at the instant t.
func (v *vtimezone) offsetAt(t time.Time) time.Duration {
	for y := t.Year(); y >= t.Year()-3; y -= 2 {
		ts := v.transitions(y)
		for i := len(ts) - 1; i >= 0; i-- {
			if !ts[i].at.After(t) {
				return ts[i].to
			}
		}
	}
	return v.before()
}

func (v *vtimezone) instant(w time.Time) time.Time { return w.Add(-v.offsetAtWall(w)) }

func (v *vtimezone) wall(t time.Time) time.Time { return t.Add(v.offsetAt(t)) }
