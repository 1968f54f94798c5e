package calendar

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/parley-im/parley/calendar/ics"
	"github.com/parley-im/parley/store"
)

const (
	// claimLease is how long a claimed alarm is this agent's; another
	// agent sharing the store takes it over if this one dies meanwhile.
	claimLease = time.Minute
	claimBatch = 100
	// retryWait follows a store error.
	retryWait = 5 * time.Second
	// Delivered marks are kept this long (a republished notification of
	// an older reminder is then delivered again) and pruned once a day.
	deliveredRetention = 400 * 24 * time.Hour
	pruneEvery         = 24 * time.Hour
)

// runScheduler fires stored alarms when they are due, until ctx ends.
func (a *Agent) runScheduler(ctx context.Context) {
	var lastPrune time.Time
	for ctx.Err() == nil {
		now := a.cfg.Clock.Now()
		if now.Sub(lastPrune) >= pruneEvery {
			n, err := a.cfg.Store.PruneDelivered(ctx, now.Add(-deliveredRetention))
			switch {
			case ctx.Err() != nil:
				return // stopping: not an error worth a log line
			case err != nil:
				a.log.Error("prune delivered reminders", "err", err)
			case n > 0:
				a.log.Info("pruned delivered reminder marks", "count", n)
			}
			lastPrune = now
		}
		claimed, err := a.cfg.Store.ClaimAlarms(ctx, now, claimLease, claimBatch)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			a.log.Error("claim due alarms", "err", err)
			a.sleep(ctx, retryWait)
			continue
		}
		for _, al := range claimed {
			a.fire(ctx, al, now)
		}
		if len(claimed) == claimBatch {
			continue
		}
		wait := pruneEvery
		next, err := a.cfg.Store.NextAlarm(ctx)
		switch {
		case errors.Is(err, store.ErrNotFound): // nothing stored: wait for a poke
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			a.log.Error("next alarm", "err", err)
			wait = retryWait
		default:
			wait = min(wait, next.Sub(a.cfg.Clock.Now()))
		}
		if wait <= 0 {
			if len(claimed) > 0 {
				continue // came due while the claimed ones fired
			}
			wait = time.Millisecond // claimed by another agent just now: do not spin
		}
		a.sleep(ctx, wait)
	}
}

// sleep waits for d on the agent's clock, a poke (an alarm was put), or
// the end of ctx.
func (a *Agent) sleep(ctx context.Context, d time.Duration) {
	fired := make(chan struct{})
	t := a.cfg.Clock.AfterFunc(d, func() { close(fired) })
	select {
	case <-fired:
	case <-a.wake:
		t.Stop()
	case <-ctx.Done():
		t.Stop()
	}
}

// fire delivers a claimed alarm's reminders (or discards them as late)
// and reschedules the item to its next alarm.
func (a *Agent) fire(ctx context.Context, al store.ScheduledAlarm, now time.Time) {
	finish := func(next time.Time) {
		if _, err := a.cfg.Store.FinishAlarm(ctx, al, next); err != nil {
			a.log.Error("finish alarm", "owner", al.Owner, "uid", al.UID, "err", err)
		}
	}
	it, err := ics.Decode(al.Data)
	var sched *ics.Schedule
	if err == nil {
		sched, err = it.Schedule(a.userZone(ctx, al.Owner))
	}
	if err != nil {
		a.log.Error("stored alarm unreadable; dropped", "owner", al.Owner, "uid", al.UID, "err", err)
		finish(time.Time{})
		return
	}
	late := now.Sub(al.Due)
	tooLate := a.cfg.MaxDelay > 0 && late > a.cfg.MaxDelay
	for _, t := range sched.Next(al.Due.Add(-time.Second)) {
		if d := t.At.Sub(al.Due); d >= time.Second || d <= -time.Second {
			break // the times moved (the user's zone changed): reschedule below
		}
		if tooLate {
			a.discarded(ReasonLate)
			a.log.Info("reminder discarded", "reason", ReasonLate, "owner", al.Owner, "uid", al.UID,
				"recurrence_id", t.RecurrenceID, "trigger", triggerText(t), "late", late.Round(time.Second).String())
			continue
		}
		a.deliver(ctx, al.Owner, it, t, now)
	}
	after := al.Due
	if a.cfg.MaxDelay > 0 && now.Add(-a.cfg.MaxDelay).After(after) {
		after = now.Add(-a.cfg.MaxDelay) // alarms missed longer ago than that are skipped
	}
	if next := sched.Next(after); len(next) > 0 {
		finish(next[0].At)
		return
	}
	finish(time.Time{})
}

// Status is the agent's state for `parley calendar-agent status`.
type Status struct {
	Running   bool
	Since     time.Time
	Subject   string
	Bus       string
	Domains   []string
	Received  map[string]uint64
	Delivered uint64
	Discarded map[string]uint64
	// Scheduled is the number of items waiting for an alarm, NextAlarm
	// the soonest (zero if none).
	Scheduled int
	NextAlarm time.Time
}

// Status reports the agent's state and counters.
func (a *Agent) Status(ctx context.Context) (Status, error) {
	a.mu.Lock()
	s := Status{Running: a.running, Since: a.since, Subject: a.cfg.Subject, Domains: a.Domains()}
	a.mu.Unlock()
	if a.cfg.BusHealth != nil {
		s.Bus = a.cfg.BusHealth()
	}
	s.Received, s.Delivered, s.Discarded = a.stats.snapshot()
	n, err := a.cfg.Store.CountAlarms(ctx)
	if err != nil {
		return s, err
	}
	s.Scheduled = n
	if n > 0 {
		if s.NextAlarm, err = a.cfg.Store.NextAlarm(ctx); errors.Is(err, store.ErrNotFound) {
			err = nil
		}
	}
	return s, err
}

// String is the status as `parley calendar-agent status` prints it.
func (s Status) String() string {
	var b strings.Builder
	if s.Running {
		fmt.Fprintf(&b, "calendar agent: running since %s\n", s.Since.UTC().Format(time.RFC3339))
	} else {
		b.WriteString("calendar agent: stopped\n")
	}
	fmt.Fprintf(&b, "components: %s\n", strings.Join(s.Domains, ", "))
	fmt.Fprintf(&b, "subject: %s (queue group %s)\n", s.Subject, QueueGroup)
	if s.Bus != "" {
		fmt.Fprintf(&b, "bus: %s\n", s.Bus)
	}
	fmt.Fprintf(&b, "received: %s\n", counts(s.Received))
	fmt.Fprintf(&b, "delivered: %d\n", s.Delivered)
	fmt.Fprintf(&b, "discarded: %s\n", counts(s.Discarded))
	fmt.Fprintf(&b, "scheduled alarms: %d", s.Scheduled)
	if !s.NextAlarm.IsZero() {
		fmt.Fprintf(&b, " (next %s)", s.NextAlarm.UTC().Format(time.RFC3339))
	}
	b.WriteString("\n")
	return b.String()
}

func counts(m map[string]uint64) string {
	if len(m) == 0 {
		return "0"
	}
	keys := make([]string, 0, len(m))
	var total uint64
	for k, v := range m {
		keys = append(keys, k)
		total += v
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", "))
}
