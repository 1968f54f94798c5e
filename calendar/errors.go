package calendar

import "errors"

// Sentinel errors of package calendar.
var (
	// ErrUnknownOwner: no local user matches the notification's owner.
	ErrUnknownOwner = errors.New("calendar: unknown owner")
	// ErrNoOwner: the notification names no owner at all.
	ErrNoOwner = errors.New("calendar: no owner (Calendar-Owner, X-CALENDAR-OWNER or ORGANIZER)")
	// ErrStopped: the agent is stopped.
	ErrStopped = errors.New("calendar: the calendar agent is stopped")
	// ErrRunning: Start on a running agent.
	ErrRunning = errors.New("calendar: the calendar agent is already running")
	// ErrTooLarge: a notification over calendar.max_payload_bytes.
	ErrTooLarge = errors.New("calendar: notification too large")
)
