package store

import (
	"context"
	"time"
)

// Values of CalendarPrefs.Reminders.
const (
	RemindersOn  = "on"
	RemindersOff = "off"
)

// CalendarPrefs are a user's settings for the calendar agent.
type CalendarPrefs struct {
	// Reminders is RemindersOn, RemindersOff, or "" when the user never
	// chose (the server's calendar.reminders_default applies).
	Reminders string
	// TimeZone is the IANA zone reminders show times in; "" when unset.
	TimeZone string
}

// ScheduledAlarm is a calendar item whose next alarm the calendar agent
// waits for. An owner has at most one per (UID, RecurrenceID): putting
// another replaces it (the item was updated).
type ScheduledAlarm struct {
	Owner        string // bare JID
	UID          string
	RecurrenceID string // "" for a whole item (with its recurrence rule, if any)
	Source       string // where it came from: "nats", "webhook", "caldav"
	Due          time.Time
	Data         []byte // the item, opaque to stores
	// Version is set by the store: it changes whenever the alarm is put
	// again, so that finishing an alarm claimed before cannot undo a
	// newer put.
	Version int64
}

// Calendar stores what the calendar agent keeps: users' settings, the
// alarms it waits for (they survive restarts), and which reminders it
// delivered (each once). Several servers may share one store: claims
// with a lease and the delivered marks make each alarm fire on one of
// them, once.
type Calendar interface {
	// CalendarPrefs returns owner's settings (the zero value when never
	// set, also for an unknown owner).
	CalendarPrefs(ctx context.Context, owner string) (CalendarPrefs, error)
	// SetCalendarPrefs replaces them; ErrNotFound if owner has no
	// account. Deleting the account forgets them.
	SetCalendarPrefs(ctx context.Context, owner string, p CalendarPrefs) error

	// PutAlarm inserts or replaces the alarm of (Owner, UID,
	// RecurrenceID), releasing any claim on it; ErrNotFound if Owner has
	// no account.
	PutAlarm(ctx context.Context, a ScheduledAlarm) error
	// DeleteAlarm removes it; no error if absent.
	DeleteAlarm(ctx context.Context, owner, uid, recurrenceID string) error
	// Alarms returns owner's alarms ("" for everyone's), soonest first.
	Alarms(ctx context.Context, owner string) ([]ScheduledAlarm, error)
	// CountAlarms returns how many alarms are stored.
	CountAlarms(ctx context.Context) (int, error)
	// NextAlarm returns the earliest time at which ClaimAlarms may
	// return an alarm (its due time, or the end of a claim on it);
	// ErrNotFound when there is none.
	NextAlarm(ctx context.Context) (time.Time, error)
	// ClaimAlarms claims up to max alarms due at now that are not
	// claimed (or whose claim ended), soonest first, until now+lease.
	ClaimAlarms(ctx context.Context, now time.Time, lease time.Duration, max int) ([]ScheduledAlarm, error)
	// FinishAlarm ends a claimed alarm: it is rescheduled to next, or
	// deleted when next is zero. It reports false (and changes nothing)
	// when the alarm was put again since it was claimed.
	FinishAlarm(ctx context.Context, a ScheduledAlarm, next time.Time) (bool, error)

	// MarkDelivered records the reminder of (owner, uid, recurrenceID,
	// trigger) as delivered at at, and reports whether it was the first
	// time: false means it was delivered before. ErrNotFound if owner
	// has no account.
	MarkDelivered(ctx context.Context, owner, uid, recurrenceID string, trigger, at time.Time) (bool, error)
	// PruneDelivered forgets marks made before t and returns how many.
	PruneDelivered(ctx context.Context, before time.Time) (int64, error)
}
