// Package calendar is the calendar agent of seed 002: it takes event and
// task notifications from calendar servers (on the bus subject
// calendar.notifications, by webhook, or by polling CalDAV), works out
// when their alarms fire (package ics), and at that moment sends the
// reminder to its owner, if the owner is online and has reminders
// enabled: one message to each available resource, with a readable
// body and the text/calendar data for a client's pop-up. Otherwise the
// reminder is discarded and the discard logged with its reason.
//
// The agent is also the component calendar.<host>: users enable or
// disable reminders with its ad-hoc command (XEP-0050), or by sending it
// "on" or "off".
//
// Alarms that fire later are kept in the store (store.Calendar) and
// survive restarts; the scheduler claims them with a lease, and each
// reminder (owner, UID, RECURRENCE-ID, trigger) is marked delivered in
// the store before it is sent, so that it is sent once however often
// it is published, also by several servers sharing a store. On the bus
// the agents of a pool subscribe in one queue group: each notification
// reaches one of them.
//
// Locking: lifecycle serializes Start and Stop; mu guards the running
// state and is never held while calling the store, the bus or a
// session (lock order: lifecycle, then mu). owners has its own lock
// (owner.go). The store makes concurrent notifications safe.
package calendar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/parley-im/parley/calendar/ics"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/xml"
)

// QueueGroup is the bus queue group of calendar agents: in a pool each
// notification goes to one of them.
const QueueGroup = "parley-calendar-agents"

// Sources of notifications.
const (
	SourceNATS    = "nats"
	SourceWebhook = "webhook"
	SourceCalDAV  = "caldav"
)

// Reasons a reminder (or a notification) is discarded; the label values
// of parley_calendar_reminders_discarded_total.
const (
	ReasonRemindersOff = "reminders_off"  // the owner has reminders disabled
	ReasonOffline      = "offline"        // the owner has no session
	ReasonUnavailable  = "unavailable"    // sessions, but none available (with priority >= 0)
	ReasonDuplicate    = "duplicate"      // delivered before
	ReasonLate         = "late"           // fired more than calendar.max_delay late
	ReasonUnknownOwner = "unknown_owner"  // no local user is the owner
	ReasonCancelled    = "cancelled"      // a cancelled event or task, or a completed task
	ReasonInvalid      = "invalid"        // not a readable notification
	ReasonTooLarge     = "too_large"      // over calendar.max_payload_bytes
	ReasonStoreError   = "internal_error" // the store failed
)

// DiscardReasons lists every discard reason; Sources every source.
var (
	DiscardReasons = []string{ReasonRemindersOff, ReasonOffline, ReasonUnavailable, ReasonDuplicate, ReasonLate,
		ReasonUnknownOwner, ReasonCancelled, ReasonInvalid, ReasonTooLarge, ReasonStoreError}
	Sources = []string{SourceNATS, SourceWebhook, SourceCalDAV}
)

// Metrics are the agent's counters; nil funcs are skipped.
type Metrics struct {
	Received  func(source string)
	Delivered func()
	Discarded func(reason string)
	Scheduled func()
}

// Config wires an Agent.
type Config struct {
	// Domains are the agent's component domains (calendar.<host>), and
	// Hosts the served hosts, in the same order.
	Domains, Hosts []string
	IsLocal        func(domain string) bool
	Store          store.Store
	Sessions       router.Router
	// Send delivers a stanza from the agent to a local user (iq
	// answers); reminders go straight to the chosen sessions.
	Send func(ctx context.Context, el *xml.Element)
	// Bus is the connection notifications arrive on; nil: none (webhook
	// and CalDAV only).
	Bus     *nats.Conn
	Subject string

	RemindersDefault bool
	// Addresses and MailDomains are calendar.owner_map.
	Addresses, MailDomains map[string]string
	DefaultZone            *time.Location
	MaxPayloadBytes        int
	MaxDelay               time.Duration
	// BusHealth describes the bus for the status ("" if unknown).
	BusHealth func() string

	Clock   Clock
	Metrics Metrics
	Logger  *slog.Logger
}

// Notification is one payload from a calendar server.
type Notification struct {
	Source      string // SourceNATS, SourceWebhook, SourceCalDAV
	ContentType string // "" to sniff
	Owner       string // an explicit owner (Calendar-Owner header), or ""
	Data        []byte
	// For polled calendars: alarms at or before DueAfter were due at an
	// earlier poll (and handled then), and items without an alarm are
	// not reminded of.
	DueAfter     time.Time
	RequireAlarm bool
}

// Outcome is what became of one item of a notification.
type Outcome struct {
	UID          string `json:"uid"`
	RecurrenceID string `json:"recurrence_id,omitempty"`
	Owner        string `json:"owner,omitempty"`
	// Delivered is how many resources got a reminder now.
	Delivered int `json:"delivered"`
	// Discarded is why a reminder due now was not sent ("" if none was).
	Discarded string `json:"discarded,omitempty"`
	// NextAlarm is when the item's next alarm fires (RFC 3339; "" if
	// none is scheduled).
	NextAlarm string `json:"next_alarm,omitempty"`
}

// Agent is the calendar agent.
type Agent struct {
	cfg     Config
	log     *slog.Logger
	owners  *owners
	domains map[string]string // component domain -> host
	stats   stats

	lifecycle sync.Mutex
	mu        sync.Mutex
	running   bool
	since     time.Time
	sub       *nats.Subscription
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	pollers   []func(context.Context)
	wake      chan struct{}
}

// New returns a stopped agent.
func New(cfg Config) *Agent {
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.DefaultZone == nil {
		cfg.DefaultZone = time.Local
	}
	if cfg.MaxPayloadBytes <= 0 {
		cfg.MaxPayloadBytes = 256 << 10
	}
	a := &Agent{cfg: cfg, log: cfg.Logger.With("component", "calendar-agent"), domains: map[string]string{},
		wake: make(chan struct{}, 1)}
	for i, d := range cfg.Domains {
		a.domains[d] = cfg.Hosts[i]
	}
	a.owners = &owners{st: cfg.Store, isLocal: cfg.IsLocal, addresses: cfg.Addresses, domains: cfg.MailDomains, clock: cfg.Clock}
	return a
}

// AddPoller adds work that runs while the agent runs (CalDAV polling):
// started with Start, its context ends with Stop. Call before Start.
func (a *Agent) AddPoller(run func(ctx context.Context)) {
	a.lifecycle.Lock()
	defer a.lifecycle.Unlock()
	a.pollers = append(a.pollers, run)
}

// Domains lists the agent's component domains.
func (a *Agent) Domains() []string { return append([]string(nil), a.cfg.Domains...) }

// Running reports whether the agent runs.
func (a *Agent) Running() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.running
}

// Start subscribes to the subject (in the agents' queue group), starts
// the scheduler of stored alarms and the pollers.
func (a *Agent) Start(ctx context.Context) error {
	a.lifecycle.Lock()
	defer a.lifecycle.Unlock()
	if a.Running() {
		return ErrRunning
	}
	var sub *nats.Subscription
	if a.cfg.Bus != nil {
		var err error
		sub, err = a.cfg.Bus.QueueSubscribe(a.cfg.Subject, QueueGroup, a.onMessage)
		if err != nil {
			return fmt.Errorf("calendar: subscribe to %s: %w", a.cfg.Subject, err)
		}
		// The subscription is in place (on this bus server) when Start
		// returns; with an external NATS that is away it is made again
		// when the connection comes back.
		if err := a.cfg.Bus.FlushTimeout(5 * time.Second); err != nil {
			a.log.Warn("bus not reachable; subscribing when it is", "subject", a.cfg.Subject, "err", err)
		}
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.mu.Lock()
	a.running, a.since, a.sub, a.cancel = true, a.cfg.Clock.Now(), sub, cancel
	a.mu.Unlock()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.runScheduler(runCtx)
	}()
	for _, p := range a.pollers {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			p(runCtx)
		}()
	}
	a.log.Info("calendar agent started", "subject", a.cfg.Subject, "queue_group", QueueGroup, "domains", a.cfg.Domains)
	return nil
}

// Stop unsubscribes (the notifications already received are processed
// first), and stops the scheduler and the pollers; bounded by ctx.
// Alarms stay stored and fire after the next Start.
func (a *Agent) Stop(ctx context.Context) error {
	a.lifecycle.Lock()
	defer a.lifecycle.Unlock()
	a.mu.Lock()
	if !a.running {
		a.mu.Unlock()
		return nil
	}
	sub, cancel := a.sub, a.cancel
	a.mu.Unlock()
	var err error
	if sub != nil {
		closed := sub.StatusChanged(nats.SubscriptionClosed)
		if derr := sub.Drain(); derr != nil {
			sub.Unsubscribe()
		} else {
			select {
			case <-closed:
			case <-ctx.Done():
				sub.Unsubscribe()
				err = ctx.Err()
			}
		}
	}
	a.mu.Lock()
	a.running, a.sub = false, nil
	a.mu.Unlock()
	cancel()
	done := make(chan struct{})
	go func() {
		a.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	a.log.Info("calendar agent stopped")
	return err
}

// onMessage handles a notification from the bus; a request (with a
// reply subject) is answered with the outcomes as JSON.
func (a *Agent) onMessage(m *nats.Msg) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n := Notification{Source: SourceNATS, Data: m.Data}
	if m.Header != nil {
		n.ContentType, n.Owner = m.Header.Get("Content-Type"), m.Header.Get("Calendar-Owner")
	}
	outcomes, err := a.ingest(ctx, n)
	if m.Reply != "" {
		m.Respond(outcomesJSON(outcomes, err))
	}
}

// Ingest takes a notification: it delivers the reminders due now and
// schedules the alarms that fire later. An error means the whole
// notification was refused (ErrStopped, ErrTooLarge, ics.ErrFormat,
// ics.ErrInvalid); what became of each item is in the outcomes.
func (a *Agent) Ingest(ctx context.Context, n Notification) ([]Outcome, error) {
	return a.ingest(ctx, n)
}

func (a *Agent) ingest(ctx context.Context, n Notification) (out []Outcome, err error) {
	if !a.Running() {
		return nil, ErrStopped
	}
	a.stats.received(n.Source, a.cfg.Metrics)
	if len(n.Data) > a.cfg.MaxPayloadBytes {
		a.discarded(ReasonTooLarge)
		a.log.Warn("notification discarded", "source", n.Source, "reason", ReasonTooLarge, "bytes", len(n.Data))
		return nil, fmt.Errorf("%w: %d bytes (at most %d)", ErrTooLarge, len(n.Data), a.cfg.MaxPayloadBytes)
	}
	defer func() {
		if r := recover(); r != nil { // never let a payload take the server down
			a.discarded(ReasonInvalid)
			a.log.Error("notification failed", "source", n.Source, "panic", r)
			out, err = nil, fmt.Errorf("%w: %v", ics.ErrInvalid, r)
		}
	}()
	items, err := ics.Parse(n.ContentType, n.Data)
	if err != nil {
		a.discarded(ReasonInvalid)
		a.log.Warn("notification discarded", "source", n.Source, "reason", ReasonInvalid, "err", err)
		return nil, err
	}
	for _, it := range items {
		out = append(out, a.process(ctx, n, it))
	}
	return out, nil
}

// process handles one item: owner, reminder due now, next alarm.
func (a *Agent) process(ctx context.Context, n Notification, it *ics.Item) Outcome {
	o := Outcome{UID: it.UID, RecurrenceID: it.RecurrenceID}
	addr := n.Owner
	if addr == "" {
		addr = it.Owner
	}
	if addr == "" {
		addr = it.Organizer
	}
	owner, err := a.owners.resolve(ctx, addr)
	if err != nil {
		o.Discarded = ReasonUnknownOwner
		if !errors.Is(err, ErrUnknownOwner) && !errors.Is(err, ErrNoOwner) {
			o.Discarded = ReasonStoreError
		}
		a.discarded(o.Discarded)
		a.log.Warn("notification discarded", "source", n.Source, "reason", o.Discarded, "uid", it.UID, "owner", addr, "err", err)
		return o
	}
	o.Owner = owner
	if why := it.Cancelled(); why != "" {
		// Nothing to remind of, and nothing left to wait for.
		if err := a.cfg.Store.DeleteAlarm(ctx, owner, it.UID, it.RecurrenceID); err != nil {
			a.log.Error("delete alarm", "owner", owner, "uid", it.UID, "err", err)
		}
		o.Discarded = ReasonCancelled
		a.discarded(ReasonCancelled)
		a.log.Info("notification discarded", "source", n.Source, "reason", ReasonCancelled, "status", why, "owner", owner, "uid", it.UID)
		return o
	}
	loc := a.userZone(ctx, owner)
	sched, err := it.Schedule(loc)
	if err != nil {
		o.Discarded = ReasonInvalid
		a.discarded(ReasonInvalid)
		a.log.Warn("notification discarded", "source", n.Source, "reason", ReasonInvalid, "owner", owner, "uid", it.UID, "err", err)
		return o
	}
	now := a.cfg.Clock.Now()
	if !n.RequireAlarm || sched.HasAlarms() {
		for _, t := range sched.Latest(now) {
			if !n.DueAfter.IsZero() && !t.At.After(n.DueAfter) {
				continue // handled at an earlier poll
			}
			res, reason := a.deliver(ctx, owner, it, t, now)
			o.Delivered += res
			if reason != "" {
				o.Discarded = reason
			}
		}
	}
	next := sched.Next(now)
	if len(next) == 0 {
		if err := a.cfg.Store.DeleteAlarm(ctx, owner, it.UID, it.RecurrenceID); err != nil {
			a.log.Error("delete alarm", "owner", owner, "uid", it.UID, "err", err)
		}
		return o
	}
	err = a.cfg.Store.PutAlarm(ctx, store.ScheduledAlarm{Owner: owner, UID: it.UID, RecurrenceID: it.RecurrenceID,
		Source: n.Source, Due: next[0].At, Data: it.Encode()})
	if err != nil {
		a.log.Error("schedule alarm", "owner", owner, "uid", it.UID, "err", err)
		return o
	}
	if a.cfg.Metrics.Scheduled != nil {
		a.cfg.Metrics.Scheduled()
	}
	o.NextAlarm = next[0].At.UTC().Format(time.RFC3339)
	a.log.Debug("alarm scheduled", "source", n.Source, "owner", owner, "uid", it.UID, "at", next[0].At.UTC())
	a.poke()
	return o
}

// poke wakes the scheduler to look at the stored alarms again.
func (a *Agent) poke() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// userZone is the zone reminders show times in, and floating times are
// read in, for owner: their setting, their vCard's TZ, or the server's.
func (a *Agent) userZone(ctx context.Context, owner string) *time.Location {
	if p, err := a.cfg.Store.CalendarPrefs(ctx, owner); err == nil && p.TimeZone != "" {
		if loc, ok := parseZone(p.TimeZone); ok {
			return loc
		}
	}
	if raw, err := a.cfg.Store.VCard(ctx, owner); err == nil {
		if loc, ok := parseZone(parseVCard(raw).tz); ok {
			return loc
		}
	}
	return a.cfg.DefaultZone
}

func (a *Agent) discarded(reason string) { a.stats.discarded(reason, a.cfg.Metrics) }
