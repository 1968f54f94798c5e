package config

import (
	"fmt"
	"path"
	"strings"
	"time"
)

// WebUI configures Parley's pages for people: the sign-in with the XMPP
// account, self-service (/me/), the admin console (/admin/, for the
// admins) and the presence widget (/widget/presence.js), all on the
// HTTP listeners.
type WebUI struct {
	// Enabled serves the sign-in, self-service, the console and the
	// widget.
	Enabled bool `toml:"enabled"`
	// Console serves the admin console to the admins (with Enabled).
	Console bool `toml:"console"`
	// SessionLifetime is how long a web sign-in lasts at most.
	SessionLifetime Duration `toml:"session_lifetime"`
	// SessionIdle ends a web sign-in unused this long.
	SessionIdle Duration `toml:"session_idle"`
	// MaxSessionsPerUser bounds a user's web sign-ins; a new one ends
	// the oldest.
	MaxSessionsPerUser int `toml:"max_sessions_per_user"`
	// WidgetOrigins are Origin host patterns (path.Match on host[:port],
	// e.g. "intranet.example.org", "*.example.net") whose pages may give
	// signed-in viewers live presence in the widget, besides pages on
	// Parley's own host name and on the served domains and their
	// subdomains.
	WidgetOrigins []string `toml:"widget_origins"`
	// WidgetMaxWatch bounds the users one page's live view follows.
	WidgetMaxWatch int `toml:"widget_max_watch"`
	// StatsInterval is the console charts' sampling interval (they
	// show the last hour).
	StatsInterval Duration `toml:"stats_interval"`
}

func defaultWebUI() WebUI {
	return WebUI{
		Enabled:            true,
		Console:            true,
		SessionLifetime:    Duration{12 * time.Hour},
		SessionIdle:        Duration{2 * time.Hour},
		MaxSessionsPerUser: 10,
		WidgetOrigins:      []string{},
		WidgetMaxWatch:     200,
		StatsInterval:      Duration{10 * time.Second},
	}
}

func (w *WebUI) validate(v *validator) {
	v.positiveDuration("webui.session_lifetime", w.SessionLifetime)
	v.positiveDuration("webui.session_idle", w.SessionIdle)
	v.atLeast("webui.max_sessions_per_user", w.MaxSessionsPerUser, 1)
	v.atLeast("webui.widget_max_watch", w.WidgetMaxWatch, 1)
	if w.StatsInterval.Duration < time.Second || w.StatsInterval.Duration > 10*time.Minute {
		v.add("webui.stats_interval", "must be between 1s and 10m")
	}
	for i, o := range w.WidgetOrigins {
		o = strings.ToLower(strings.TrimSpace(o))
		if _, err := path.Match(o, ""); err != nil || o == "" || strings.ContainsAny(o, "/@ \t") {
			v.add("webui.widget_origins", fmt.Sprintf("%q is not a host[:port] pattern (e.g. \"www.example.org\", \"*.example.org\")", o))
			continue
		}
		w.WidgetOrigins[i] = o
	}
}
