package ics

import (
	"strings"
	"time"

	goical "github.com/emersion/go-ical"
)

// zone turns wall-clock times into instants and back. Wall-clock times
// are time.Times in UTC whose fields are the local time, which lets the
// recurrence rules (rrule-go) work for zones that exist only as a
// VTIMEZONE in the data, not in Go's time zone database.
type zone interface {
	instant(wall time.Time) time.Time
	wall(t time.Time) time.Time
}

// locZone is a zone of Go's time zone database (or UTC, or the
// user's zone for floating times).
type locZone struct{ loc *time.Location }

func (z locZone) instant(w time.Time) time.Time {
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, z.loc)
}

func (z locZone) wall(t time.Time) time.Time {
	l := t.In(z.loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
}

var utcZone = locZone{time.UTC}

// zones resolves the TZIDs of one calendar.
type zones struct {
	floating zone                         // floating times and dates: the user's zone
	vtz      map[string]*goical.Component // TZID -> VTIMEZONE of the calendar
	cache    map[string]zone
}

func newZones(floating *time.Location, vtimezones []*goical.Component) *zones {
	z := &zones{floating: locZone{floating}, vtz: map[string]*goical.Component{}, cache: map[string]zone{}}
	for _, c := range vtimezones {
		if p := c.Props.Get(goical.PropTimezoneID); p != nil {
			z.vtz[p.Value] = c
		}
	}
	return z
}

// get returns the zone of a TZID: Go's zone of that name (or of the
// IANA name at its end, e.g. "/mozilla.org/20050126_1/Europe/Berlin",
// of its X-LIC-LOCATION, or of a common Windows name), else the rules
// of the calendar's VTIMEZONE; an unknown TZID reads as floating.
func (z *zones) get(tzid string) zone {
	if tzid == "" {
		return z.floating
	}
	if c, ok := z.cache[tzid]; ok {
		return c
	}
	var out zone
	if loc := lookupLocation(tzid); loc != nil {
		out = locZone{loc}
	} else if c := z.vtz[tzid]; c != nil {
		if p := c.Props.Get("X-LIC-LOCATION"); p != nil {
			if loc := lookupLocation(p.Value); loc != nil {
				out = locZone{loc}
			}
		}
		if out == nil {
			if v, err := newVTimezone(c); err == nil {
				out = v
			}
		}
	}
	if out == nil {
		out = z.floating
	}
	z.cache[tzid] = out
	return out
}

// instant is the instant of v: a UTC value is one, others read in their
// TZID's zone (or the floating one).
func (z *zones) instant(v dateValue) time.Time {
	if v.utc {
		return v.wall
	}
	return z.get(v.tzid).instant(v.wall)
}

// zoneOf is the zone v's wall clock is read in.
func (z *zones) zoneOf(v dateValue) zone {
	if v.utc {
		return utcZone
	}
	return z.get(v.tzid)
}

// lookupLocation finds Go's location for a TZID, or nil.
func lookupLocation(tzid string) *time.Location {
	tzid = strings.Trim(strings.TrimSpace(tzid), `"`)
	if tzid == "" || strings.EqualFold(tzid, "local") {
		return nil // "Local" would be the server's zone, not the sender's
	}
	if loc, err := time.LoadLocation(tzid); err == nil {
		return loc
	}
	if name, ok := windowsZones[tzid]; ok {
		loc, _ := time.LoadLocation(name)
		return loc
	}
	// A vendor prefix before an IANA name: try the last two and three
	// path elements ("Europe/Berlin", "America/Argentina/Buenos_Aires").
	parts := strings.Split(tzid, "/")
	for _, n := range []int{2, 3} {
		if len(parts) > n {
			if loc, err := time.LoadLocation(strings.Join(parts[len(parts)-n:], "/")); err == nil {
				return loc
			}
		}
	}
	return nil
}

// windowsZones maps the Windows time zone names that Exchange and
// Outlook write as TZIDs to IANA names (the most common ones; anything
// else falls back to the VTIMEZONE sent along).
var windowsZones = map[string]string{
	"UTC":                             "UTC",
	"GMT Standard Time":               "Europe/London",
	"Greenwich Standard Time":         "Atlantic/Reykjavik",
	"W. Europe Standard Time":         "Europe/Berlin",
	"Central Europe Standard Time":    "Europe/Budapest",
	"Central European Standard Time":  "Europe/Warsaw",
	"Romance Standard Time":           "Europe/Paris",
	"E. Europe Standard Time":         "Europe/Chisinau",
	"FLE Standard Time":               "Europe/Kiev",
	"GTB Standard Time":               "Europe/Bucharest",
	"Russian Standard Time":           "Europe/Moscow",
	"Eastern Standard Time":           "America/New_York",
	"Central Standard Time":           "America/Chicago",
	"Mountain Standard Time":          "America/Denver",
	"US Mountain Standard Time":       "America/Phoenix",
	"Pacific Standard Time":           "America/Los_Angeles",
	"Alaskan Standard Time":           "America/Anchorage",
	"Hawaiian Standard Time":          "Pacific/Honolulu",
	"Atlantic Standard Time":          "America/Halifax",
	"E. South America Standard Time":  "America/Sao_Paulo",
	"India Standard Time":             "Asia/Kolkata",
	"China Standard Time":             "Asia/Shanghai",
	"Tokyo Standard Time":             "Asia/Tokyo",
	"Korea Standard Time":             "Asia/Seoul",
	"Singapore Standard Time":         "Asia/Singapore",
	"Arabian Standard Time":           "Asia/Dubai",
	"Israel Standard Time":            "Asia/Jerusalem",
	"South Africa Standard Time":      "Africa/Johannesburg",
	"AUS Eastern Standard Time":       "Australia/Sydney",
	"New Zealand Standard Time":       "Pacific/Auckland",
	"Pacific Standard Time (Mexico)":  "America/Tijuana",
	"Central Standard Time (Mexico)":  "America/Mexico_City",
	"Canada Central Standard Time":    "America/Regina",
	"SA Pacific Standard Time":        "America/Bogota",
	"Argentina Standard Time":         "America/Argentina/Buenos_Aires",
	"W. Australia Standard Time":      "Australia/Perth",
	"Cen. Australia Standard Time":    "Australia/Adelaide",
	"Turkey Standard Time":            "Europe/Istanbul",
	"Egypt Standard Time":             "Africa/Cairo",
	"Pakistan Standard Time":          "Asia/Karachi",
	"SE Asia Standard Time":           "Asia/Bangkok",
	"Taipei Standard Time":            "Asia/Taipei",
	"W. Central Africa Standard Time": "Africa/Lagos",
}
