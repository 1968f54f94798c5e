package config

// Roster configures contact lists (RFC 6121 rosters).
type Roster struct {
	// MaxItems caps the contacts of one roster: adding one more is
	// refused with <not-acceptable/> (a roster set) or
	// <policy-violation/> (a subscription). 0 means no cap.
	MaxItems int `toml:"max_items"`
}

// defaultRoster: 2,000 contacts is far beyond a person's address book,
// and keeps a full roster result (about 100 bytes an item) under the
// 256 KB stanza limit clients and servers commonly apply.
func defaultRoster() Roster { return Roster{MaxItems: 2000} }

func (r *Roster) validate(v *validator) {
	v.atLeast("roster.max_items", r.MaxItems, 0)
}
