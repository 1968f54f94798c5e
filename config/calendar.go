package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/parley-im/parley/xmpp/jid"
)

// Calendar configures the calendar agent (seed 002): it takes event and
// task notifications from calendar servers (on the bus, by webhook, or
// by polling CalDAV) and sends their reminders to owners who are online
// and have reminders enabled.
type Calendar struct {
	// Enabled runs the agent whenever there is a bus (nats.listen or
	// nats.url).
	Enabled bool `toml:"enabled"`
	// Subdomain is prepended to each served host: the agent is the
	// component calendar.<host>.
	Subdomain string `toml:"subdomain"`
	// Subject is the NATS subject calendar servers publish notifications
	// on (text/calendar or text/xml).
	Subject string `toml:"subject"`
	// RemindersDefault is whether users who never chose get reminders.
	RemindersDefault bool `toml:"reminders_default"`
	// WebhookToken is the bearer token that POST
	// /api/v1/calendar/notifications requires; "" disables the webhook.
	WebhookToken string `toml:"webhook_token"`
	// OwnerMap maps calendar addresses to users:
	// "alice@mail.example=alice@example.com" for one address,
	// "@mail.example=example.com" for every address of a mail domain
	// (same local part).
	OwnerMap []string `toml:"owner_map"`
	// TimeZone shows reminder times to users who set none (and whose
	// vCard names none): an IANA name such as "Europe/Berlin", "UTC", or
	// "Local" for the server's own.
	TimeZone string `toml:"timezone"`
	// MaxPayloadBytes bounds one notification (bus message or webhook body).
	MaxPayloadBytes int `toml:"max_payload_bytes"`
	// MaxDelay: a scheduled alarm that fires later than this after its
	// trigger (the server was down) is discarded as late; 0 never is.
	MaxDelay Duration `toml:"max_delay"`

	CalDAV CalDAV `toml:"caldav"`
}

// CalDAV configures polling users' calendars on a CalDAV server, for
// calendar servers that publish nothing.
type CalDAV struct {
	// URL is the CalDAV server's base URL; "" disables polling.
	URL string `toml:"url"`
	// Username and Password: an account that may read the polled users'
	// calendars ("" for none).
	Username string `toml:"username"`
	Password string `toml:"password"`
	// Home is the path of a user's calendar home below url, with {local}
	// (the user's local part), {domain} or {user} (the bare JID).
	Home string `toml:"home"`
	// Users lists the users to poll; empty polls every user who has
	// reminders on.
	Users []string `toml:"users"`
	// PollInterval is the time between two polls of each user.
	PollInterval Duration `toml:"poll_interval"`
	// Lookahead is how far ahead events and tasks are fetched.
	Lookahead Duration `toml:"lookahead"`
}

func defaultCalendar() Calendar {
	return Calendar{
		Enabled:         true,
		Subdomain:       "calendar",
		Subject:         "calendar.notifications",
		OwnerMap:        []string{},
		TimeZone:        "Local",
		MaxPayloadBytes: 256 << 10,
		MaxDelay:        Duration{time.Hour},
		CalDAV: CalDAV{
			Home:         "/{local}/",
			Users:        []string{},
			PollInterval: Duration{time.Minute},
			Lookahead:    Duration{48 * time.Hour},
		},
	}
}

// OwnerMapping returns calendar.owner_map (valid after Validate) as
// lower-cased address -> bare JID and mail domain -> XMPP domain.
func (c Calendar) OwnerMapping() (addresses, domains map[string]string) {
	addresses, domains = map[string]string{}, map[string]string{}
	for _, e := range c.OwnerMap {
		from, to, _ := strings.Cut(e, "=")
		from, to = strings.ToLower(strings.TrimSpace(from)), strings.TrimSpace(to)
		if d, ok := strings.CutPrefix(from, "@"); ok {
			domains[d] = strings.ToLower(to)
		} else {
			addresses[from] = to
		}
	}
	return addresses, domains
}

func (c *Config) validateCalendar(v *validator) {
	k := &c.Calendar
	if k.Enabled {
		if _, err := normalizeDomain(k.Subdomain + ".example"); err != nil || k.Subdomain == "" || strings.Contains(k.Subdomain, ".") {
			v.add("calendar.subdomain", fmt.Sprintf("%q is not a domain label", k.Subdomain))
		}
		if c.MUC.Enabled && k.Subdomain == c.MUC.Subdomain {
			v.add("calendar.subdomain", fmt.Sprintf("%q is also muc.subdomain", k.Subdomain))
		}
	}
	if k.Subject == "" || strings.ContainsAny(k.Subject, " \t\r\n") || strings.HasPrefix(k.Subject, ".") ||
		strings.HasSuffix(k.Subject, ".") || strings.Contains(k.Subject, "..") {
		v.add("calendar.subject", fmt.Sprintf("%q is not a NATS subject (tokens separated by dots, e.g. calendar.notifications)", k.Subject))
	}
	if k.WebhookToken != "" && len(k.WebhookToken) < 16 {
		v.add("calendar.webhook_token", "must be at least 16 characters (or \"\" to disable the webhook)")
	}
	for _, e := range k.OwnerMap {
		from, to, ok := strings.Cut(e, "=")
		from, to = strings.TrimSpace(from), strings.TrimSpace(to)
		if !ok || from == "" || to == "" {
			v.add("calendar.owner_map", fmt.Sprintf("%q is not address=user@domain or @maildomain=domain", e))
			continue
		}
		if d, isDomain := strings.CutPrefix(from, "@"); isDomain {
			if _, err := normalizeDomain(d); err != nil {
				v.add("calendar.owner_map", fmt.Sprintf("%q: %q is not a mail domain", e, d))
			}
			if _, err := normalizeDomain(to); err != nil {
				v.add("calendar.owner_map", fmt.Sprintf("%q: %q is not a domain", e, to))
			}
			continue
		}
		if !strings.Contains(from, "@") {
			v.add("calendar.owner_map", fmt.Sprintf("%q: %q is not an address", e, from))
		}
		if j, err := jid.Parse(to); err != nil || j.Local() == "" || j.Resource() != "" {
			v.add("calendar.owner_map", fmt.Sprintf("%q: %q is not a bare user JID", e, to))
		}
	}
	if _, err := time.LoadLocation(k.TimeZone); err != nil || k.TimeZone == "" {
		v.add("calendar.timezone", fmt.Sprintf("%q is not a time zone (an IANA name such as \"Europe/Berlin\", \"UTC\" or \"Local\")", k.TimeZone))
	}
	v.atLeast("calendar.max_payload_bytes", k.MaxPayloadBytes, 1024)
	if k.MaxDelay.Duration < 0 {
		v.add("calendar.max_delay", "must not be negative (0: late alarms are never discarded)")
	}
	d := &k.CalDAV
	if d.URL != "" {
		if u, err := url.Parse(d.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			v.add("calendar.caldav.url", fmt.Sprintf("%q is not an http(s) URL without credentials (use username and password)", d.URL))
		}
	}
	if !strings.Contains(d.Home, "{local}") && !strings.Contains(d.Home, "{user}") {
		v.add("calendar.caldav.home", fmt.Sprintf("%q names no {local} or {user}", d.Home))
	}
	for _, u := range d.Users {
		if j, err := jid.Parse(u); err != nil || j.Local() == "" || j.Resource() != "" {
			v.add("calendar.caldav.users", fmt.Sprintf("%q is not a bare user JID", u))
		}
	}
	if d.PollInterval.Duration < time.Second {
		v.add("calendar.caldav.poll_interval", "must be at least 1s")
	}
	v.positiveDuration("calendar.caldav.lookahead", d.Lookahead)
}
