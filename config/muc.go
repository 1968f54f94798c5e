package config

import "fmt"

// MUC configures the multi-user chat service (XEP-0045).
type MUC struct {
	Enabled bool `toml:"enabled"` // serve conference rooms
	// Subdomain is prepended to each served host: "conference" serves
	// rooms on conference.<host>.
	Subdomain string `toml:"subdomain"`
	// MaxOccupants is the most occupants a room may have (a room's own
	// setting may be lower); 0 = no limit.
	MaxOccupants int `toml:"max_occupants"`
	// MaxRoomsPerUser is how many rooms one user may create; 0 = no limit.
	MaxRoomsPerUser int `toml:"max_rooms_per_user"`
	// MessagesPerSecond limits each occupant's groupchat messages; 0 = no limit.
	MessagesPerSecond float64 `toml:"messages_per_second"`
	// HistoryMessages is the default number of messages a room keeps to
	// send to new occupants.
	HistoryMessages int `toml:"history_messages"`
}

func defaultMUC() MUC {
	return MUC{Enabled: true, Subdomain: "conference", MaxOccupants: 200, MaxRoomsPerUser: 100,
		MessagesPerSecond: 5, HistoryMessages: 20}
}

func (m *MUC) validate(v *validator) {
	if m.Enabled {
		if _, err := normalizeDomain(m.Subdomain + ".example"); err != nil || m.Subdomain == "" {
			v.add("muc.subdomain", fmt.Sprintf("%q is not a domain label", m.Subdomain))
		}
	}
	v.atLeast("muc.max_occupants", m.MaxOccupants, 0)
	v.atLeast("muc.max_rooms_per_user", m.MaxRoomsPerUser, 0)
	v.rate("muc.messages_per_second", m.MessagesPerSecond)
	v.atLeast("muc.history_messages", m.HistoryMessages, 0)
}
