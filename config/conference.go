package config

import (
	"fmt"
	"strings"
)

// Conference configures web conferences (seed 001 chapter 3): their
// limits and lifecycle. How early they may be joined is
// integration.early_join_minutes (rtc.application.early_join_minutes).
type Conference struct {
	Enabled bool `toml:"enabled"` // schedule and run conferences (needs integration and muc)
	// GuestsSubdomain is where guests' sessions live:
	// <guests_subdomain>.<first host>. Guests log in with their pass's
	// ticket (OAUTHBEARER) and may talk only to their conference.
	GuestsSubdomain string `toml:"guests_subdomain"`
	// MaxDuration bounds a conference's scheduled length.
	MaxDuration Duration `toml:"max_duration"`
	// MaxAttendees bounds the attendees of one conference.
	MaxAttendees int `toml:"max_attendees"`
	// MaxParticipants bounds the people in one conference at once; 0 for
	// muc.max_occupants.
	MaxParticipants int `toml:"max_participants"`
	// InstantLength is an instant conference's scheduled length.
	InstantLength Duration `toml:"instant_length"`
	// CheckInterval is how often conferences past their end are looked
	// for (abandoned ones, emptied ones, ones an administrator ended).
	CheckInterval Duration `toml:"check_interval"`
}

func defaultConference() Conference {
	return Conference{Enabled: true, GuestsSubdomain: "conference-guests", MaxDuration: Duration{24 * 3600 * 1e9}, MaxAttendees: 500,
		InstantLength: Duration{3600 * 1e9}, CheckInterval: Duration{30 * 1e9}}
}

func (c *Conference) validate(v *validator, cfg *Config) {
	if c.Enabled {
		if _, err := normalizeDomain(c.GuestsSubdomain + ".example"); err != nil || c.GuestsSubdomain == "" || strings.Contains(c.GuestsSubdomain, ".") {
			v.add("conference.guests_subdomain", fmt.Sprintf("%q is not a domain label", c.GuestsSubdomain))
		}
		for key, other := range map[string]string{"muc.subdomain": cfg.MUC.Subdomain, "livehelp.groups_subdomain": cfg.LiveHelp.GroupsSubdomain,
			"livehelp.guests_subdomain": cfg.LiveHelp.GuestsSubdomain, "calendar.subdomain": cfg.Calendar.Subdomain} {
			if c.GuestsSubdomain == other {
				v.add("conference.guests_subdomain", fmt.Sprintf("must differ from %s (%q)", key, other))
			}
		}
	}
	v.positiveDuration("conference.max_duration", c.MaxDuration)
	v.atLeast("conference.max_attendees", c.MaxAttendees, 1)
	v.atLeast("conference.max_participants", c.MaxParticipants, 0)
	v.positiveDuration("conference.instant_length", c.InstantLength)
	v.positiveDuration("conference.check_interval", c.CheckInterval)
	if c.InstantLength.Duration > c.MaxDuration.Duration {
		v.add("conference.instant_length", "must not be longer than conference.max_duration")
	}
}
