// Package caldav polls users' calendars on a CalDAV server (RFC 4791)
// for calendar servers that publish no notifications: every interval
// it asks each user's calendars for the events and tasks of the coming
// days and hands them to the calendar agent, which schedules their
// alarms and delivers the reminders as for a notification.
//
// Only alarms that come due after the previous poll are delivered at
// once (earlier ones were handled then), items without an alarm are
// not reminded of, and the alarms of events that disappeared from the
// calendar are forgotten.
//
// Concurrency: Run is one goroutine; last is its own.
package caldav

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	goical "github.com/emersion/go-ical"
	"github.com/emersion/go-webdav"
	gocaldav "github.com/emersion/go-webdav/caldav"

	"github.com/parley-im/parley/calendar"
	"github.com/parley-im/parley/calendar/ics"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
)

// maxLead is how long before its event an alarm may fire and still be
// found: events are fetched up to lookahead plus this.
const maxLead = 7 * 24 * time.Hour

// Config wires a Poller.
type Config struct {
	URL                string // the CalDAV server's base URL
	Username, Password string // "" for no authentication
	Home               string // a user's calendar home: {local}, {domain}, {user}
	Users              []string
	Interval           time.Duration
	Lookahead          time.Duration
	Store              store.Store
	RemindersDefault   bool
	Agent              *calendar.Agent
	HTTPClient         *http.Client // nil: one with a 30 s timeout
	Logger             *slog.Logger
}

// Poller polls the configured users' calendars.
type Poller struct {
	cfg    Config
	log    *slog.Logger
	client *gocaldav.Client
	base   string
	last   map[string]time.Time // user -> start of their last good poll
}

// New returns a Poller; Run polls.
func New(cfg Config) *Poller {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	var hc webdav.HTTPClient = cfg.HTTPClient
	if cfg.Username != "" {
		hc = webdav.HTTPClientWithBasicAuth(hc, cfg.Username, cfg.Password)
	}
	p := &Poller{cfg: cfg, log: cfg.Logger.With("component", "calendar-agent", "source", "caldav"), last: map[string]time.Time{},
		base: strings.TrimSuffix(cfg.URL, "/")}
	c, err := gocaldav.NewClient(hc, cfg.URL)
	if err != nil {
		p.log.Error("CalDAV client", "url", cfg.URL, "err", err)
	}
	p.client = c
	return p
}

// Run polls every interval until ctx ends.
func (p *Poller) Run(ctx context.Context) {
	if p.client == nil {
		return
	}
	p.log.Info("polling CalDAV", "url", p.cfg.URL, "interval", p.cfg.Interval.String())
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p.PollAll(ctx)
		t.Reset(p.cfg.Interval)
	}
}

// PollAll polls every user once: the configured ones, or everyone with
// reminders on.
func (p *Poller) PollAll(ctx context.Context) {
	users := p.cfg.Users
	if len(users) == 0 {
		all, err := p.cfg.Store.ListUsers(ctx, "")
		if err != nil {
			p.log.Error("list users", "err", err)
			return
		}
		for _, u := range all {
			prefs, err := p.cfg.Store.CalendarPrefs(ctx, u)
			if err == nil && (prefs.Reminders == store.RemindersOn || prefs.Reminders == "" && p.cfg.RemindersDefault) {
				users = append(users, u)
			}
		}
	}
	for _, u := range users {
		if ctx.Err() != nil {
			return
		}
		if err := p.PollUser(ctx, u); err != nil && ctx.Err() == nil {
			p.log.Warn("CalDAV poll failed", "owner", u, "err", err)
		}
	}
}

// home is the user's calendar home path.
func (p *Poller) home(user string) string {
	local, domain := user, ""
	if j, err := jid.Parse(user); err == nil {
		local, domain = j.Local(), j.Domain()
	}
	return strings.NewReplacer("{local}", local, "{domain}", domain, "{user}", user).Replace(p.cfg.Home)
}

// PollUser fetches one user's upcoming events and tasks and hands them
// to the agent.
func (p *Poller) PollUser(ctx context.Context, user string) (err error) {
	defer func() {
		if r := recover(); r != nil { // go-ical panics on some malformed data
			err = fmt.Errorf("malformed calendar data (%v)", r)
		}
	}()
	start := time.Now()
	cals, err := p.client.FindCalendars(ctx, p.home(user))
	if err != nil {
		return fmt.Errorf("find calendars in %s: %w", p.home(user), err)
	}
	due, known := p.last[user]
	if !known {
		due = start // the first poll: alarms due before now are old news
	}
	seen := map[string]bool{}
	from, to := start.Add(-24*time.Hour), start.Add(p.cfg.Lookahead+maxLead)
	for _, c := range cals {
		for _, comp := range []string{goical.CompEvent, goical.CompToDo} {
			if len(c.SupportedComponentSet) > 0 && !contains(c.SupportedComponentSet, comp) {
				continue
			}
			objs, err := p.client.QueryCalendar(ctx, c.Path, &gocaldav.CalendarQuery{
				CompRequest: gocaldav.CalendarCompRequest{Name: goical.CompCalendar, AllProps: true, AllComps: true},
				CompFilter: gocaldav.CompFilter{Name: goical.CompCalendar, Comps: []gocaldav.CompFilter{
					{Name: comp, Start: from, End: to}}},
			})
			if err != nil {
				return fmt.Errorf("query %s of %s: %w", strings.ToLower(comp), c.Path, err)
			}
			for _, o := range objs {
				out, err := p.cfg.Agent.Ingest(ctx, calendar.Notification{Source: calendar.SourceCalDAV, ContentType: "text/calendar",
					Owner: user, Data: ics.EncodeCalendar(o.Data), DueAfter: due, RequireAlarm: true})
				if errors.Is(err, calendar.ErrStopped) {
					return nil
				}
				if err != nil {
					p.log.Warn("CalDAV object skipped", "owner", user, "path", o.Path, "err", err)
					continue
				}
				for _, x := range out {
					seen[x.UID+"\x00"+x.RecurrenceID] = true
				}
			}
		}
	}
	p.forgetGone(ctx, user, seen, start)
	p.last[user] = start
	return nil
}

// forgetGone deletes the alarms this poller scheduled for items no
// longer in the user's calendars (within the window fetched).
func (p *Poller) forgetGone(ctx context.Context, user string, seen map[string]bool, now time.Time) {
	alarms, err := p.cfg.Store.Alarms(ctx, user)
	if err != nil {
		p.log.Error("alarms", "owner", user, "err", err)
		return
	}
	for _, a := range alarms {
		if a.Source != calendar.SourceCalDAV || seen[a.UID+"\x00"+a.RecurrenceID] || a.Due.After(now.Add(p.cfg.Lookahead)) {
			continue
		}
		if err := p.cfg.Store.DeleteAlarm(ctx, user, a.UID, a.RecurrenceID); err != nil {
			p.log.Error("delete alarm", "owner", user, "uid", a.UID, "err", err)
			continue
		}
		p.log.Info("alarm dropped: the item left the calendar", "owner", user, "uid", a.UID)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
