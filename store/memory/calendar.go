package memory

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/parley-im/parley/store"
)

// calendar is the calendar agent's data (store.Calendar), under Store.mu.
type calendar struct {
	prefs     map[string]store.CalendarPrefs
	alarms    map[alarmKey]*alarmRow
	delivered map[deliveredKey]time.Time // -> delivered at
	version   int64                      // last alarm version handed out
}

type alarmKey struct{ owner, uid, rid string }

type alarmRow struct {
	a          store.ScheduledAlarm
	leaseUntil time.Time
}

type deliveredKey struct {
	owner, uid, rid string
	trigger         int64 // unix ms, as the sqlite store keys it
}

func (c *calendar) init() {
	if c.prefs == nil {
		c.prefs = map[string]store.CalendarPrefs{}
		c.alarms = map[alarmKey]*alarmRow{}
		c.delivered = map[deliveredKey]time.Time{}
	}
}

// forget drops everything owner had (DeleteUser, replacing import).
func (c *calendar) forget(owner string) {
	delete(c.prefs, owner)
	for k := range c.alarms {
		if k.owner == owner {
			delete(c.alarms, k)
		}
	}
	for k := range c.delivered {
		if k.owner == owner {
			delete(c.delivered, k)
		}
	}
}

func copyAlarm(a store.ScheduledAlarm) store.ScheduledAlarm {
	a.Data = slices.Clone(a.Data)
	a.Due = msUTC(a.Due)
	return a
}

// CalendarPrefs implements store.Calendar.
func (s *Store) CalendarPrefs(_ context.Context, owner string) (store.CalendarPrefs, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cal.prefs[owner], nil
}

// SetCalendarPrefs implements store.Calendar.
func (s *Store) SetCalendarPrefs(_ context.Context, owner string, p store.CalendarPrefs) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[owner]; !ok {
		return store.ErrNotFound
	}
	s.cal.init()
	s.cal.prefs[owner] = p
	return nil
}

// PutAlarm implements store.Calendar.
func (s *Store) PutAlarm(_ context.Context, a store.ScheduledAlarm) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[a.Owner]; !ok {
		return store.ErrNotFound
	}
	s.cal.init()
	s.cal.version++
	a = copyAlarm(a)
	a.Version = s.cal.version
	s.cal.alarms[alarmKey{a.Owner, a.UID, a.RecurrenceID}] = &alarmRow{a: a}
	return nil
}

// DeleteAlarm implements store.Calendar.
func (s *Store) DeleteAlarm(_ context.Context, owner, uid, recurrenceID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.cal.alarms, alarmKey{owner, uid, recurrenceID})
	return nil
}

// sortedAlarms returns the rows matching keep, soonest first (ties by
// owner, uid, recurrence id, as the sqlite store orders them).
func (s *Store) sortedAlarms(keep func(*alarmRow) bool) []*alarmRow {
	var rows []*alarmRow
	for _, r := range s.cal.alarms {
		if keep(r) {
			rows = append(rows, r)
		}
	}
	slices.SortFunc(rows, func(x, y *alarmRow) int {
		if c := x.a.Due.Compare(y.a.Due); c != 0 {
			return c
		}
		return strings.Compare(x.a.Owner+"\x00"+x.a.UID+"\x00"+x.a.RecurrenceID, y.a.Owner+"\x00"+y.a.UID+"\x00"+y.a.RecurrenceID)
	})
	return rows
}

// Alarms implements store.Calendar.
func (s *Store) Alarms(_ context.Context, owner string) ([]store.ScheduledAlarm, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []store.ScheduledAlarm
	for _, r := range s.sortedAlarms(func(r *alarmRow) bool { return owner == "" || r.a.Owner == owner }) {
		out = append(out, copyAlarm(r.a))
	}
	return out, nil
}

// CountAlarms implements store.Calendar.
func (s *Store) CountAlarms(context.Context) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.cal.alarms), nil
}

// NextAlarm implements store.Calendar.
func (s *Store) NextAlarm(context.Context) (time.Time, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var next time.Time
	for _, r := range s.cal.alarms {
		t := r.a.Due
		if r.leaseUntil.After(t) {
			t = r.leaseUntil
		}
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	if next.IsZero() {
		return time.Time{}, store.ErrNotFound
	}
	return msUTC(next), nil
}

// ClaimAlarms implements store.Calendar.
func (s *Store) ClaimAlarms(_ context.Context, now time.Time, lease time.Duration, max int) ([]store.ScheduledAlarm, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now = msUTC(now)
	var out []store.ScheduledAlarm
	for _, r := range s.sortedAlarms(func(r *alarmRow) bool { return !r.a.Due.After(now) && !r.leaseUntil.After(now) }) {
		if len(out) == max {
			break
		}
		r.leaseUntil = msUTC(now.Add(lease))
		out = append(out, copyAlarm(r.a))
	}
	return out, nil
}

// FinishAlarm implements store.Calendar.
func (s *Store) FinishAlarm(_ context.Context, a store.ScheduledAlarm, next time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := alarmKey{a.Owner, a.UID, a.RecurrenceID}
	r, ok := s.cal.alarms[k]
	if !ok || r.a.Version != a.Version {
		return false, nil
	}
	if next.IsZero() {
		delete(s.cal.alarms, k)
		return true, nil
	}
	s.cal.version++
	r.a.Due, r.a.Version, r.leaseUntil = msUTC(next), s.cal.version, time.Time{}
	return true, nil
}

// MarkDelivered implements store.Calendar.
func (s *Store) MarkDelivered(_ context.Context, owner, uid, recurrenceID string, trigger, at time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[owner]; !ok {
		return false, store.ErrNotFound
	}
	s.cal.init()
	k := deliveredKey{owner, uid, recurrenceID, trigger.UnixMilli()}
	if _, done := s.cal.delivered[k]; done {
		return false, nil
	}
	s.cal.delivered[k] = msUTC(at)
	return true, nil
}

// PruneDelivered implements store.Calendar.
func (s *Store) PruneDelivered(_ context.Context, before time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for k, at := range s.cal.delivered {
		if at.Before(msUTC(before)) {
			delete(s.cal.delivered, k)
			n++
		}
	}
	return n, nil
}
