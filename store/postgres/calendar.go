package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parley-im/parley/store"
)

// CalendarPrefs implements store.Calendar.
func (s *Store) CalendarPrefs(ctx context.Context, owner string) (store.CalendarPrefs, error) {
	var p store.CalendarPrefs
	err := s.pool.QueryRow(ctx, `SELECT reminders, timezone FROM calendar_prefs WHERE owner = $1`, owner).Scan(&p.Reminders, &p.TimeZone)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.CalendarPrefs{}, nil
	}
	return p, wrap(err, "calendar prefs of %s", owner)
}

// SetCalendarPrefs implements store.Calendar; ErrNotFound (the foreign
// key) if owner has no account.
func (s *Store) SetCalendarPrefs(ctx context.Context, owner string, p store.CalendarPrefs) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO calendar_prefs (owner, reminders, timezone) VALUES ($1,$2,$3)
		ON CONFLICT (owner) DO UPDATE SET reminders = excluded.reminders, timezone = excluded.timezone`,
		owner, p.Reminders, p.TimeZone)
	return wrap(err, "set calendar prefs of %s", owner)
}

// PutAlarm implements store.Calendar.
func (s *Store) PutAlarm(ctx context.Context, a store.ScheduledAlarm) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO calendar_alarms (owner, uid, recurrence_id, source, due, data, version, lease_until)
		VALUES ($1,$2,$3,$4,$5,$6,1,0)
		ON CONFLICT (owner, uid, recurrence_id) DO UPDATE SET source = excluded.source, due = excluded.due,
			data = excluded.data, version = calendar_alarms.version + 1, lease_until = 0`,
		a.Owner, a.UID, a.RecurrenceID, a.Source, ms(a.Due), blob(a.Data))
	return wrap(err, "put alarm %s of %s", a.UID, a.Owner)
}

// DeleteAlarm implements store.Calendar.
func (s *Store) DeleteAlarm(ctx context.Context, owner, uid, recurrenceID string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM calendar_alarms WHERE owner = $1 AND uid = $2 AND recurrence_id = $3`, owner, uid, recurrenceID)
	return wrap(err, "delete alarm %s of %s", uid, owner)
}

const alarmColumns = `owner, uid, recurrence_id, source, due, data, version`

func scanAlarms(rows pgx.Rows) ([]store.ScheduledAlarm, error) {
	defer rows.Close()
	var out []store.ScheduledAlarm
	for rows.Next() {
		var a store.ScheduledAlarm
		var due int64
		if err := rows.Scan(&a.Owner, &a.UID, &a.RecurrenceID, &a.Source, &due, &a.Data, &a.Version); err != nil {
			return nil, err
		}
		a.Due = fromMS(due)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Alarms implements store.Calendar.
func (s *Store) Alarms(ctx context.Context, owner string) ([]store.ScheduledAlarm, error) {
	q, args := `SELECT `+alarmColumns+` FROM calendar_alarms ORDER BY due, owner, uid, recurrence_id`, []any{}
	if owner != "" {
		q, args = `SELECT `+alarmColumns+` FROM calendar_alarms WHERE owner = $1 ORDER BY due, uid, recurrence_id`, []any{owner}
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, wrap(err, "alarms of %q", owner)
	}
	out, err := scanAlarms(rows)
	return out, wrap(err, "alarms of %q", owner)
}

// CountAlarms implements store.Calendar.
func (s *Store) CountAlarms(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM calendar_alarms`).Scan(&n)
	return n, wrap(err, "count alarms")
}

// NextAlarm implements store.Calendar.
func (s *Store) NextAlarm(ctx context.Context) (time.Time, error) {
	var next *int64
	if err := s.pool.QueryRow(ctx, `SELECT min(GREATEST(due, lease_until)) FROM calendar_alarms`).Scan(&next); err != nil {
		return time.Time{}, wrap(err, "next alarm")
	}
	if next == nil {
		return time.Time{}, store.ErrNotFound
	}
	return fromMS(*next), nil
}

// ClaimAlarms implements store.Calendar in one statement: the due rows
// are locked with SKIP LOCKED, so nodes claiming at the same moment
// each take other alarms instead of waiting for one another.
func (s *Store) ClaimAlarms(ctx context.Context, now time.Time, lease time.Duration, max int) ([]store.ScheduledAlarm, error) {
	if max < 1 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `UPDATE calendar_alarms SET lease_until = $2
		WHERE (owner, uid, recurrence_id) IN (
			SELECT owner, uid, recurrence_id FROM calendar_alarms
			WHERE due <= $1 AND lease_until <= $1 ORDER BY due LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING `+alarmColumns, ms(now), ms(now.Add(lease)), max)
	if err != nil {
		return nil, wrap(err, "claim alarms")
	}
	out, err := scanAlarms(rows)
	if err != nil {
		return nil, wrap(err, "claim alarms")
	}
	slices.SortFunc(out, func(x, y store.ScheduledAlarm) int { // RETURNING keeps no order
		if c := x.Due.Compare(y.Due); c != 0 {
			return c
		}
		return strings.Compare(x.Owner+"\x00"+x.UID+"\x00"+x.RecurrenceID, y.Owner+"\x00"+y.UID+"\x00"+y.RecurrenceID)
	})
	return out, nil
}

// FinishAlarm implements store.Calendar.
func (s *Store) FinishAlarm(ctx context.Context, a store.ScheduledAlarm, next time.Time) (bool, error) {
	var err error
	var n int64
	if next.IsZero() {
		tag, e := s.pool.Exec(ctx, `DELETE FROM calendar_alarms WHERE owner = $1 AND uid = $2 AND recurrence_id = $3 AND version = $4`,
			a.Owner, a.UID, a.RecurrenceID, a.Version)
		n, err = tag.RowsAffected(), e
	} else {
		tag, e := s.pool.Exec(ctx, `UPDATE calendar_alarms SET due = $1, lease_until = 0, version = version + 1
			WHERE owner = $2 AND uid = $3 AND recurrence_id = $4 AND version = $5`, ms(next), a.Owner, a.UID, a.RecurrenceID, a.Version)
		n, err = tag.RowsAffected(), e
	}
	if err != nil {
		return false, wrap(err, "finish alarm %s of %s", a.UID, a.Owner)
	}
	return n == 1, nil
}

// MarkDelivered implements store.Calendar.
func (s *Store) MarkDelivered(ctx context.Context, owner, uid, recurrenceID string, trigger, at time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO calendar_delivered (owner, uid, recurrence_id, trigger_at, delivered_at)
		VALUES ($1,$2,$3,$4,$5) ON CONFLICT (owner, uid, recurrence_id, trigger_at) DO NOTHING`,
		owner, uid, recurrenceID, ms(trigger), ms(at))
	if err != nil {
		return false, wrap(err, "mark delivered %s of %s", uid, owner)
	}
	return tag.RowsAffected() == 1, nil
}

// PruneDelivered implements store.Calendar.
func (s *Store) PruneDelivered(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM calendar_delivered WHERE delivered_at < $1`, ms(before))
	if err != nil {
		return 0, wrap(err, "prune delivered reminders")
	}
	return tag.RowsAffected(), nil
}

var _ store.Calendar = (*Store)(nil)
