package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/parley-im/parley/store"
)

// CalendarPrefs implements store.Calendar.
func (s *Store) CalendarPrefs(ctx context.Context, owner string) (store.CalendarPrefs, error) {
	var p store.CalendarPrefs
	err := s.r.QueryRowContext(ctx, `SELECT reminders, timezone FROM calendar_prefs WHERE owner = ?`, owner).Scan(&p.Reminders, &p.TimeZone)
	if errors.Is(err, sql.ErrNoRows) {
		return store.CalendarPrefs{}, nil
	}
	return p, wrap(err, "calendar prefs of %s", owner)
}

// SetCalendarPrefs implements store.Calendar; ErrNotFound (the foreign
// key) if owner has no account.
func (s *Store) SetCalendarPrefs(ctx context.Context, owner string, p store.CalendarPrefs) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO calendar_prefs (owner, reminders, timezone) VALUES (?,?,?)
		ON CONFLICT (owner) DO UPDATE SET reminders = excluded.reminders, timezone = excluded.timezone`,
		owner, p.Reminders, p.TimeZone)
	return wrap(err, "set calendar prefs of %s", owner)
}

// PutAlarm implements store.Calendar.
func (s *Store) PutAlarm(ctx context.Context, a store.ScheduledAlarm) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO calendar_alarms (owner, uid, recurrence_id, source, due, data, version, lease_until)
		VALUES (?,?,?,?,?,?,1,0)
		ON CONFLICT (owner, uid, recurrence_id) DO UPDATE SET source = excluded.source, due = excluded.due,
			data = excluded.data, version = calendar_alarms.version + 1, lease_until = 0`,
		a.Owner, a.UID, a.RecurrenceID, a.Source, ms(a.Due), blob(a.Data))
	return wrap(err, "put alarm %s of %s", a.UID, a.Owner)
}

// DeleteAlarm implements store.Calendar.
func (s *Store) DeleteAlarm(ctx context.Context, owner, uid, recurrenceID string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM calendar_alarms WHERE owner = ? AND uid = ? AND recurrence_id = ?`, owner, uid, recurrenceID)
	return wrap(err, "delete alarm %s of %s", uid, owner)
}

const alarmColumns = `owner, uid, recurrence_id, source, due, data, version`

func scanAlarms(rows *sql.Rows) ([]store.ScheduledAlarm, error) {
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
		q, args = `SELECT `+alarmColumns+` FROM calendar_alarms WHERE owner = ? ORDER BY due, uid, recurrence_id`, []any{owner}
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(err, "alarms of %q", owner)
	}
	out, err := scanAlarms(rows)
	return out, wrap(err, "alarms of %q", owner)
}

// CountAlarms implements store.Calendar.
func (s *Store) CountAlarms(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM calendar_alarms`).Scan(&n)
	return n, wrap(err, "count alarms")
}

// NextAlarm implements store.Calendar.
func (s *Store) NextAlarm(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT min(CASE WHEN lease_until > due THEN lease_until ELSE due END) FROM calendar_alarms`).Scan(&next)
	if err != nil {
		return time.Time{}, wrap(err, "next alarm")
	}
	if !next.Valid {
		return time.Time{}, store.ErrNotFound
	}
	return fromMS(next.Int64), nil
}

// ClaimAlarms implements store.Calendar: in one write transaction, so
// two processes on the file never claim the same alarm.
func (s *Store) ClaimAlarms(ctx context.Context, now time.Time, lease time.Duration, max int) ([]store.ScheduledAlarm, error) {
	if max < 1 {
		return nil, nil
	}
	var out []store.ScheduledAlarm
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+alarmColumns+` FROM calendar_alarms
			WHERE due <= ? AND lease_until <= ? ORDER BY due LIMIT ?`, ms(now), ms(now), max)
		if err != nil {
			return wrap(err, "claim alarms")
		}
		due, err := scanAlarms(rows)
		if err != nil {
			return wrap(err, "claim alarms")
		}
		for _, a := range due {
			res, err := tx.ExecContext(ctx, `UPDATE calendar_alarms SET lease_until = ?
				WHERE owner = ? AND uid = ? AND recurrence_id = ? AND version = ? AND lease_until <= ?`,
				ms(now.Add(lease)), a.Owner, a.UID, a.RecurrenceID, a.Version, ms(now))
			if err != nil {
				return wrap(err, "claim alarm %s of %s", a.UID, a.Owner)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				out = append(out, a)
			}
		}
		return nil
	})
	return out, err
}

// FinishAlarm implements store.Calendar.
func (s *Store) FinishAlarm(ctx context.Context, a store.ScheduledAlarm, next time.Time) (bool, error) {
	var res sql.Result
	var err error
	if next.IsZero() {
		res, err = s.w.ExecContext(ctx, `DELETE FROM calendar_alarms WHERE owner = ? AND uid = ? AND recurrence_id = ? AND version = ?`,
			a.Owner, a.UID, a.RecurrenceID, a.Version)
	} else {
		res, err = s.w.ExecContext(ctx, `UPDATE calendar_alarms SET due = ?, lease_until = 0, version = version + 1
			WHERE owner = ? AND uid = ? AND recurrence_id = ? AND version = ?`, ms(next), a.Owner, a.UID, a.RecurrenceID, a.Version)
	}
	if err != nil {
		return false, wrap(err, "finish alarm %s of %s", a.UID, a.Owner)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap(err, "finish alarm %s of %s", a.UID, a.Owner)
}

// MarkDelivered implements store.Calendar.
func (s *Store) MarkDelivered(ctx context.Context, owner, uid, recurrenceID string, trigger, at time.Time) (bool, error) {
	res, err := s.w.ExecContext(ctx, `INSERT INTO calendar_delivered (owner, uid, recurrence_id, trigger_at, delivered_at)
		VALUES (?,?,?,?,?) ON CONFLICT (owner, uid, recurrence_id, trigger_at) DO NOTHING`,
		owner, uid, recurrenceID, ms(trigger), ms(at))
	if err != nil {
		return false, wrap(err, "mark delivered %s of %s", uid, owner)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap(err, "mark delivered %s of %s", uid, owner)
}

// PruneDelivered implements store.Calendar.
func (s *Store) PruneDelivered(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM calendar_delivered WHERE delivered_at < ?`, ms(before))
	if err != nil {
		return 0, wrap(err, "prune delivered reminders")
	}
	n, err := res.RowsAffected()
	return n, wrap(err, "prune delivered reminders")
}

var _ store.Calendar = (*Store)(nil)
