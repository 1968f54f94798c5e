package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/parley-im/parley/calendar"
	"github.com/parley-im/parley/calendar/caldav"
	"github.com/parley-im/parley/xmpp/xml"
)

// startCalendar creates the calendar agent on calendar.<host> for every
// host, when it is enabled and there is a bus, registers it with the
// router and the control channel, and starts it. send delivers the
// agent's stanzas to local users.
func (s *Server) startCalendar(ctx context.Context, send func(ctx context.Context, el *xml.Element)) error {
	c := s.cfg.Calendar
	if !c.Enabled || s.ext.bus == nil {
		return nil
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return fmt.Errorf("calendar.timezone: %w", err)
	}
	domains := make([]string, 0, len(s.cfg.Hosts))
	for _, h := range s.cfg.Hosts {
		domains = append(domains, c.Subdomain+"."+h)
	}
	addresses, mailDomains := c.OwnerMapping()
	m := s.metrics
	for _, r := range calendar.DiscardReasons { // every series from the start, at 0
		m.CalendarDiscarded.WithLabelValues(r)
	}
	for _, src := range calendar.Sources {
		m.CalendarReceived.WithLabelValues(src)
	}
	agent := calendar.New(calendar.Config{
		Domains: domains, Hosts: s.cfg.Hosts, IsLocal: s.cfg.HasHost,
		Store: s.store, Sessions: s.router, Send: send,
		Bus: s.ext.bus.Conn(), Subject: c.Subject,
		RemindersDefault: c.RemindersDefault,
		Addresses:        addresses, MailDomains: mailDomains,
		DefaultZone:     loc,
		MaxPayloadBytes: c.MaxPayloadBytes,
		MaxDelay:        c.MaxDelay.Duration,
		BusHealth: func() string {
			line, _ := s.ext.bus.Health()
			return line
		},
		Metrics: calendar.Metrics{
			Received:  func(src string) { m.CalendarReceived.WithLabelValues(src).Inc() },
			Delivered: m.CalendarDelivered.Inc,
			Discarded: func(reason string) { m.CalendarDiscarded.WithLabelValues(reason).Inc() },
			Scheduled: m.CalendarScheduled.Inc,
		},
		Logger: s.log,
	})
	if d := c.CalDAV; d.URL != "" {
		p := caldav.New(caldav.Config{
			URL: d.URL, Username: d.Username, Password: d.Password, Home: d.Home, Users: d.Users,
			Interval: d.PollInterval.Duration, Lookahead: d.Lookahead.Duration,
			Store: s.store, RemindersDefault: c.RemindersDefault, Agent: agent, Logger: s.log,
		})
		agent.AddPoller(p.Run)
	}
	s.ext.calendar = agent
	for _, d := range domains {
		s.router.RegisterComponent(d, agent)
	}
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "parley_calendar_agent_running",
		Help: "1 while the calendar agent runs (parley calendar-agent start|stop)."}, func() float64 {
		if agent.Running() {
			return 1
		}
		return 0
	}))
	if s.ext.control != nil {
		s.ext.control.Handle("calendar-agent", s.calendarCommand)
	}
	return agent.Start(ctx)
}

// calendarCommand is `parley calendar-agent start|stop|restart|status`
// on the control channel.
func (s *Server) calendarCommand(ctx context.Context, args []string) (string, error) {
	a := s.ext.calendar
	if len(args) != 1 {
		return "", errors.New("usage: calendar-agent start|stop|restart|status")
	}
	switch args[0] {
	case "start":
		if err := a.Start(s.runCtx); errors.Is(err, calendar.ErrRunning) {
			return "the calendar agent is already running\n", nil
		} else if err != nil {
			return "", err
		}
	case "stop":
		if !a.Running() {
			return "the calendar agent is already stopped\n", nil
		}
		if err := a.Stop(ctx); err != nil {
			return "", err
		}
	case "restart":
		if err := a.Stop(ctx); err != nil {
			return "", err
		}
		if err := a.Start(s.runCtx); err != nil {
			return "", err
		}
	case "status":
	default:
		return "", fmt.Errorf("unknown action %q: use start, stop, restart or status", args[0])
	}
	st, err := a.Status(ctx)
	return st.String(), err
}

func (s *Server) stopCalendar(ctx context.Context) error {
	if s.ext.calendar == nil {
		return nil
	}
	return s.ext.calendar.Stop(ctx)
}

// registerCalendar mounts the calendar webhook.
func (s *Server) registerCalendar(mux *http.ServeMux) {
	if s.ext.calendar == nil {
		return
	}
	mux.Handle("POST "+calendar.WebhookPath, calendar.Webhook{Agent: s.ext.calendar, Token: s.cfg.Calendar.WebhookToken,
		BodyTimeout: s.cfg.HTTP.BodyTimeout.Duration})
}

// Calendar returns the calendar agent, nil when it is off.
func (s *Server) Calendar() *calendar.Agent { return s.ext.calendar }

// calendarDomain reports whether domain is one of the agent's.
func (s *Server) calendarDomain(domain string) bool {
	if s.ext.calendar == nil {
		return false
	}
	for _, d := range s.ext.calendar.Domains() {
		if strings.EqualFold(d, domain) {
			return true
		}
	}
	return false
}
