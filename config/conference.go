package config

// Conference configures web conferences (seed 001 chapter 3): their
// limits and lifecycle. How early they may be joined is
// integration.early_join_minutes (rtc.application.early_join_minutes).
type Conference struct {
	Enabled bool `toml:"enabled"` // schedule and run conferences (needs integration and muc)
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
	return Conference{Enabled: true, MaxDuration: Duration{24 * 3600 * 1e9}, MaxAttendees: 500,
		InstantLength: Duration{3600 * 1e9}, CheckInterval: Duration{30 * 1e9}}
}

func (c *Conference) validate(v *validator) {
	v.positiveDuration("conference.max_duration", c.MaxDuration)
	v.atLeast("conference.max_attendees", c.MaxAttendees, 1)
	v.atLeast("conference.max_participants", c.MaxParticipants, 0)
	v.positiveDuration("conference.instant_length", c.InstantLength)
	v.positiveDuration("conference.check_interval", c.CheckInterval)
	if c.InstantLength.Duration > c.MaxDuration.Duration {
		v.add("conference.instant_length", "must not be longer than conference.max_duration")
	}
}
