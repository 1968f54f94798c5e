package ics

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dateValue is a DATE or DATE-TIME value as written: its wall-clock
// fields (held in a time.Time in UTC, standing in for "no zone"), and
// how they relate to an instant.
type dateValue struct {
	wall time.Time
	date bool   // VALUE=DATE: a day, midnight in the zone that applies
	utc  bool   // ends in Z: wall is the instant
	tzid string // TZID parameter; "" with !utc is a floating time
}

// parseDateValue parses one DATE ("20260302") or DATE-TIME
// ("20260302T100000", "20260302T100000Z") value.
func parseDateValue(s, tzid string) (dateValue, error) {
	s = strings.TrimSpace(s)
	switch len(s) {
	case 8:
		t, err := time.Parse("20060102", s)
		if err != nil {
			return dateValue{}, fmt.Errorf("%w: date %q", ErrInvalid, s)
		}
		return dateValue{wall: t, date: true}, nil
	case 15, 16:
		utc := len(s) == 16
		if utc && s[15] != 'Z' && s[15] != 'z' {
			return dateValue{}, fmt.Errorf("%w: date-time %q", ErrInvalid, s)
		}
		t, err := time.Parse("20060102T150405", s[:15])
		if err != nil {
			return dateValue{}, fmt.Errorf("%w: date-time %q", ErrInvalid, s)
		}
		v := dateValue{wall: t, utc: utc}
		if !utc {
			v.tzid = tzid
		}
		return v, nil
	}
	return dateValue{}, fmt.Errorf("%w: date or date-time %q", ErrInvalid, s)
}

// parseDateList parses a comma-separated list (RDATE, EXDATE); for
// PERIOD values ("start/end", "start/duration") the start counts.
func parseDateList(s, tzid string) ([]dateValue, error) {
	var out []dateValue
	for part := range strings.SplitSeq(s, ",") {
		start, _, _ := strings.Cut(part, "/")
		v, err := parseDateValue(start, tzid)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// icalDate formats a recurrence id: a day as DATE, anything else as a
// UTC DATE-TIME, so that ids written in different zones compare equal.
func icalDate(t time.Time, allDay bool) string {
	if allDay {
		return t.Format("20060102")
	}
	return t.UTC().Format("20060102T150405Z")
}

// duration is an iCalendar dur-value: days are nominal (a day keeps the
// wall-clock time across a daylight-saving change), seconds exact.
type duration struct {
	neg  bool
	days int
	secs int64
}

// maxDurationDays bounds a duration (about 27 years) so that no
// arithmetic overflows.
const maxDurationDays = 10000

// parseDuration parses "-PT15M", "P1D", "P1W", "PT1H30M", "+P1DT2H".
func parseDuration(s string) (duration, error) {
	bad := fmt.Errorf("%w: duration %q", ErrInvalid, s)
	var d duration
	s = strings.TrimSpace(s)
	if s == "" {
		return d, bad
	}
	switch s[0] {
	case '-':
		d.neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	s, ok := strings.CutPrefix(strings.ToUpper(s), "P")
	if !ok || s == "" {
		return d, bad
	}
	inTime, seen := false, false
	for s != "" {
		if s[0] == 'T' {
			if inTime {
				return d, bad
			}
			inTime, s = true, s[1:]
			continue
		}
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || i > 9 {
			return d, bad
		}
		n, _ := strconv.ParseInt(s[:i], 10, 64)
		unit := s[i]
		s = s[i+1:]
		seen = true
		switch {
		case unit == 'W' && !inTime:
			d.days += int(n) * 7
		case unit == 'D' && !inTime:
			d.days += int(n)
		case unit == 'H' && inTime:
			d.secs += n * 3600
		case unit == 'M' && inTime:
			d.secs += n * 60
		case unit == 'S' && inTime:
			d.secs += n
		default:
			return d, bad
		}
		if d.days > maxDurationDays || d.secs > maxDurationDays*86400 {
			return d, bad
		}
	}
	if !seen {
		return d, bad
	}
	return d, nil
}

// exact is the duration as a time.Duration, days counted as 24 hours.
func (d duration) exact() time.Duration {
	t := time.Duration(d.days)*24*time.Hour + time.Duration(d.secs)*time.Second
	if d.neg {
		return -t
	}
	return t
}

// zero reports a zero-length duration.
func (d duration) zero() bool { return d.days == 0 && d.secs == 0 }

// addTo adds d to instant t whose wall clock is read in z: days move
// the wall-clock date, seconds the instant.
func (d duration) addTo(t time.Time, z zone) time.Time {
	sign := 1
	if d.neg {
		sign = -1
	}
	if d.days != 0 {
		t = z.instant(z.wall(t).AddDate(0, 0, sign*d.days))
	}
	return t.Add(time.Duration(sign) * time.Duration(d.secs) * time.Second)
}
