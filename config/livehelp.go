package config

import (
	"fmt"
	"time"
)

// LiveHelp configures live help (seed 001 chapter 4): support groups on
// <groups_subdomain>.<host>, web visitors as restricted guests on
// <guests_subdomain>.<host>, the guest chat page and /livehelp.js.
type LiveHelp struct {
	Enabled         bool   `toml:"enabled"`          // serve live help
	GroupsSubdomain string `toml:"groups_subdomain"` // support groups live on <groups_subdomain>.<host>
	GuestsSubdomain string `toml:"guests_subdomain"` // guests live on <guests_subdomain>.<host>
	// Strategy, OfferTimeout and MaxChatsPerAgent are the defaults of
	// groups that set none (parley group set).
	Strategy         string   `toml:"strategy"`
	OfferTimeout     Duration `toml:"offer_timeout"`
	MaxChatsPerAgent int      `toml:"max_chats_per_agent"`
	// MaxQueue bounds each group's waiting visitors; more are asked to
	// leave a message.
	MaxQueue int `toml:"max_queue"`
	// GuestLife is how long a guest, and the history it sees on a later
	// visit, is kept after its last visit.
	GuestLife Duration `toml:"guest_life"`
	// TicketLife bounds a guest's single-use login ticket.
	TicketLife Duration `toml:"ticket_life"`
	// ReconnectGrace is how long a chat waits for a visitor whose
	// connection dropped before it ends.
	ReconnectGrace Duration `toml:"reconnect_grace"`
	// TranscriptRetention deletes transcripts older than this; 0 keeps
	// them.
	TranscriptRetention Duration `toml:"transcript_retention"`
	// RequestFailuresPerMinute limits refused chat requests per client
	// address; 0 means no limit.
	RequestFailuresPerMinute float64 `toml:"request_failures_per_minute"`
	// MaxGuestSessions bounds the guests' web sessions held in memory.
	MaxGuestSessions int `toml:"max_guest_sessions"`
}

func defaultLiveHelp() LiveHelp {
	return LiveHelp{Enabled: true, GroupsSubdomain: "groups", GuestsSubdomain: "guest", Strategy: "broadcast",
		OfferTimeout: Duration{45 * time.Second}, MaxChatsPerAgent: 3, MaxQueue: 100,
		GuestLife: Duration{720 * time.Hour}, TicketLife: Duration{time.Minute}, ReconnectGrace: Duration{2 * time.Minute},
		RequestFailuresPerMinute: 30, MaxGuestSessions: 10000}
}

func (l *LiveHelp) validate(v *validator, c *Config) {
	for key, sub := range map[string]string{"livehelp.groups_subdomain": l.GroupsSubdomain, "livehelp.guests_subdomain": l.GuestsSubdomain} {
		if _, err := normalizeDomain(sub + ".example"); err != nil || sub == "" || len(sub) > 63 {
			v.add(key, fmt.Sprintf("%q is not a domain label", sub))
		}
	}
	if l.Enabled {
		if l.GroupsSubdomain == l.GuestsSubdomain {
			v.add("livehelp.guests_subdomain", "must differ from livehelp.groups_subdomain")
		}
		if c.MUC.Enabled && (l.GroupsSubdomain == c.MUC.Subdomain || l.GuestsSubdomain == c.MUC.Subdomain) {
			v.add("livehelp.groups_subdomain", fmt.Sprintf("live help's subdomains must differ from muc.subdomain (%q)", c.MUC.Subdomain))
		}
		for _, h := range c.Hosts {
			for _, h2 := range c.Hosts {
				if h2 == l.GroupsSubdomain+"."+h || h2 == l.GuestsSubdomain+"."+h {
					v.add("livehelp", fmt.Sprintf("%s is a served host; live help needs it for its groups or guests", h2))
				}
			}
		}
	}
	switch l.Strategy {
	case "broadcast", "round-robin", "least-busy":
	default:
		v.add("livehelp.strategy", fmt.Sprintf("%q is not a strategy (use broadcast, round-robin or least-busy)", l.Strategy))
	}
	v.positiveDuration("livehelp.offer_timeout", l.OfferTimeout)
	v.atLeast("livehelp.max_chats_per_agent", l.MaxChatsPerAgent, 1)
	v.atLeast("livehelp.max_queue", l.MaxQueue, 1)
	v.positiveDuration("livehelp.guest_life", l.GuestLife)
	v.positiveDuration("livehelp.ticket_life", l.TicketLife)
	v.positiveDuration("livehelp.reconnect_grace", l.ReconnectGrace)
	if l.TranscriptRetention.Duration < 0 {
		v.add("livehelp.transcript_retention", "must not be negative (0 keeps transcripts)")
	}
	v.rate("livehelp.request_failures_per_minute", l.RequestFailuresPerMinute)
	v.atLeast("livehelp.max_guest_sessions", l.MaxGuestSessions, 1)
}
