package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/parley-im/parley/store"
)

// msOpt stores the zero time as 0 ("not yet"); fromMSOpt reads it back.
func msOpt(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMSOpt(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMS(v)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

const conferenceColumns = `id, site_id, owner, title, description, meeting_type, instant, conference_key, dialin_info, room_jid,
	registered_only, publicly_listed, host_invited_only, enrollment, publish_attendees, send_invitations,
	host_exit_url, attendee_exit_url, attendee_start_url, start_at, end_at, state, end_cause, started_at, ended_at,
	sequence, created_at, updated_at`

func conferenceArgs(c store.Conference) []any {
	f, u := c.Flags, c.URLs
	return []any{c.ID, c.SiteID, c.Owner, c.Title, c.Desc, c.Type, b2i(c.Instant), c.Key, c.DialIn, c.RoomJID,
		b2i(f.RegisteredUserOnly), b2i(f.PubliclyListed), b2i(f.HostInvitedOnly), b2i(f.EnrollmentRequired),
		b2i(f.PublishAttendees), b2i(f.SendInvitations),
		u.HostExit, u.AttendeeExit, u.AttendeeStart, ms(c.StartAt), ms(c.EndAt), c.State, c.EndCause,
		msOpt(c.StartedAt), msOpt(c.EndedAt), c.Sequence, ms(c.CreatedAt), ms(c.UpdatedAt)}
}

func scanConference(r scanner) (store.Conference, error) {
	var c store.Conference
	var instant, reg, pub, hio, enr, publish, send int
	var start, end, started, ended, created, updated int64
	err := r.Scan(&c.ID, &c.SiteID, &c.Owner, &c.Title, &c.Desc, &c.Type, &instant, &c.Key, &c.DialIn, &c.RoomJID,
		&reg, &pub, &hio, &enr, &publish, &send,
		&c.URLs.HostExit, &c.URLs.AttendeeExit, &c.URLs.AttendeeStart, &start, &end, &c.State, &c.EndCause,
		&started, &ended, &c.Sequence, &created, &updated)
	if err != nil {
		return store.Conference{}, err
	}
	c.Instant = instant != 0
	c.Flags = store.ConferenceFlags{RegisteredUserOnly: reg != 0, PubliclyListed: pub != 0, HostInvitedOnly: hio != 0,
		EnrollmentRequired: enr != 0, PublishAttendees: publish != 0, SendInvitations: send != 0}
	c.StartAt, c.EndAt = fromMS(start), fromMS(end)
	c.StartedAt, c.EndedAt = fromMSOpt(started), fromMSOpt(ended)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	c.Participants = []store.Participant{}
	return c, nil
}

func insertParticipants(ctx context.Context, tx *sql.Tx, c store.Conference) error {
	if len(c.Participants) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO conference_participants
		(conference_id, id, role, first_name, last_name, email, user_id, key_secret, enrolled) VALUES (?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, p := range c.Participants {
		if _, err := st.ExecContext(ctx, c.ID, p.ID, p.Role, p.FirstName, p.LastName, p.Email, p.UserID, p.KeySecret, b2i(p.Enrolled)); err != nil {
			return err
		}
	}
	return nil
}

// CreateConference implements store.Conferences.
func (s *Store) CreateConference(ctx context.Context, c store.Conference) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO conferences (`+conferenceColumns+`) VALUES (`+
			strings.Repeat("?,", 27)+`?)`, conferenceArgs(c)...); err != nil {
			return wrap(err, "create conference %s", c.ID)
		}
		return wrap(insertParticipants(ctx, tx, c), "create conference %s: participants", c.ID)
	})
}

// Conference implements store.Conferences.
func (s *Store) Conference(ctx context.Context, id string) (store.Conference, error) {
	cs, err := s.conferences(ctx, `WHERE id = ?`, []any{id}, "")
	if err != nil {
		return store.Conference{}, wrap(err, "conference %s", id)
	}
	if len(cs) == 0 {
		return store.Conference{}, store.ErrNotFound
	}
	return cs[0], nil
}

// conferences reads the conferences a WHERE clause selects, with their
// participants, in one read transaction (so the two queries agree).
func (s *Store) conferences(ctx context.Context, where string, args []any, tail string) ([]store.Conference, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+conferenceColumns+` FROM conferences `+where+` ORDER BY start_at, id`+tail, args...)
	if err != nil {
		return nil, err
	}
	out := []store.Conference{}
	index := map[string]int{}
	for rows.Next() {
		c, err := scanConference(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		index[c.ID] = len(out)
		out = append(out, c)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	// Participants of every conference read, a bounded number of IDs per
	// query.
	const chunk = 200
	for i := 0; i < len(out); i += chunk {
		ids := make([]any, 0, chunk)
		for _, c := range out[i:min(i+chunk, len(out))] {
			ids = append(ids, c.ID)
		}
		prows, err := tx.QueryContext(ctx, `SELECT conference_id, id, role, first_name, last_name, email, user_id, key_secret, enrolled
			FROM conference_participants WHERE conference_id IN (?`+strings.Repeat(",?", len(ids)-1)+`)
			ORDER BY conference_id, CASE role WHEN 'host' THEN 0 ELSE 1 END, id`, ids...)
		if err != nil {
			return nil, err
		}
		for prows.Next() {
			var cid string
			var p store.Participant
			var enrolled int
			if err := prows.Scan(&cid, &p.ID, &p.Role, &p.FirstName, &p.LastName, &p.Email, &p.UserID, &p.KeySecret, &enrolled); err != nil {
				prows.Close()
				return nil, err
			}
			p.Enrolled = enrolled != 0
			c := &out[index[cid]]
			c.Participants = append(c.Participants, p)
		}
		if err := errors.Join(prows.Err(), prows.Close()); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// UpdateConference implements store.Conferences.
func (s *Store) UpdateConference(ctx context.Context, c store.Conference) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		args := conferenceArgs(c)
		// Every column but id and created_at, then the id.
		cols := strings.Split(conferenceColumns, ",")
		var set []string
		var vals []any
		for i, col := range cols {
			col = strings.TrimSpace(col)
			if col == "id" || col == "created_at" {
				continue
			}
			set = append(set, col+" = ?")
			vals = append(vals, args[i])
		}
		res, err := tx.ExecContext(ctx, `UPDATE conferences SET `+strings.Join(set, ", ")+` WHERE id = ?`, append(vals, c.ID)...)
		if err := affected(res, err, "update conference %s", c.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM conference_participants WHERE conference_id = ?`, c.ID); err != nil {
			return wrap(err, "update conference %s: participants", c.ID)
		}
		return wrap(insertParticipants(ctx, tx, c), "update conference %s: participants", c.ID)
	})
}

// DeleteConference implements store.Conferences. The dependent rows are
// deleted explicitly too, so that nothing depends on foreign_keys being
// on.
func (s *Store) DeleteConference(ctx context.Context, id string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM conference_events WHERE conference_id = ?`,
			`DELETE FROM conference_attendance WHERE conference_id = ?`,
			`DELETE FROM conference_participants WHERE conference_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return wrap(err, "delete conference %s", id)
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM conferences WHERE id = ?`, id)
		return affected(res, err, "delete conference %s", id)
	})
}

// ListConferences implements store.Conferences.
func (s *Store) ListConferences(ctx context.Context, q store.ConferenceQuery) ([]store.Conference, error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if q.SiteID != "" {
		add("site_id = ?", q.SiteID)
	}
	if q.Owner != "" {
		add("owner = ?", q.Owner)
	}
	if q.User != "" {
		add("id IN (SELECT conference_id FROM conference_participants WHERE user_id = ?)", q.User)
	}
	if q.IDs != nil {
		if len(q.IDs) == 0 {
			return []store.Conference{}, nil
		}
		ph := strings.Repeat(",?", len(q.IDs))[1:]
		a := make([]any, len(q.IDs))
		for i, id := range q.IDs {
			a[i] = id
		}
		add("id IN ("+ph+")", a...)
	}
	if q.States != nil {
		if len(q.States) == 0 {
			return []store.Conference{}, nil
		}
		a := make([]any, len(q.States))
		for i, st := range q.States {
			a[i] = st
		}
		add("state IN ("+strings.Repeat(",?", len(a))[1:]+")", a...)
	}
	if !q.StartFrom.IsZero() {
		add("start_at >= ?", ms(q.StartFrom))
	}
	if !q.StartTo.IsZero() {
		add("start_at <= ?", ms(q.StartTo))
	}
	if !q.EndedFrom.IsZero() || !q.EndedTo.IsZero() {
		add("state = ?", store.ConferenceEnded)
		if !q.EndedFrom.IsZero() {
			add("ended_at >= ?", ms(q.EndedFrom))
		}
		if !q.EndedTo.IsZero() {
			add("ended_at <= ?", ms(q.EndedTo))
		}
	}
	clause := ""
	if len(where) > 0 {
		clause = "WHERE " + strings.Join(where, " AND ")
	}
	tail := ""
	if q.Limit > 0 {
		tail = " LIMIT ?"
		args = append(args, q.Limit)
	}
	cs, err := s.conferences(ctx, clause, args, tail)
	return cs, wrap(err, "list conferences")
}

// AddAttendance implements store.Conferences.
func (s *Store) AddAttendance(ctx context.Context, a store.Attendance) (int64, error) {
	var id int64
	err := s.w.QueryRowContext(ctx, `INSERT INTO conference_attendance
		(conference_id, participant_id, jid, user_id, name, email, guest, host, entered_at, exited_at)
		VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id`,
		a.ConferenceID, a.ParticipantID, a.JID, a.UserID, a.Name, a.Email, b2i(a.Guest), b2i(a.Host),
		ms(a.Entered), msOpt(a.Exited)).Scan(&id)
	return id, wrap(err, "conference %s: add attendance", a.ConferenceID)
}

// EndAttendance implements store.Conferences.
func (s *Store) EndAttendance(ctx context.Context, conferenceID string, id int64, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE conference_attendance SET exited_at = ?
		WHERE conference_id = ? AND id = ? AND exited_at = 0`, ms(at), conferenceID, id)
	return affected(res, err, "conference %s: end attendance %d", conferenceID, id)
}

// EndAllAttendance implements store.Conferences.
func (s *Store) EndAllAttendance(ctx context.Context, conferenceID string, at time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE conference_attendance SET exited_at = ?
		WHERE conference_id = ? AND exited_at = 0`, ms(at), conferenceID)
	if err != nil {
		return 0, wrap(err, "conference %s: end attendance", conferenceID)
	}
	n, err := res.RowsAffected()
	return n, wrap(err, "conference %s: end attendance", conferenceID)
}

// Attendance implements store.Conferences.
func (s *Store) Attendance(ctx context.Context, conferenceID string) ([]store.Attendance, error) {
	rows, err := s.rq.QueryContext(ctx, `SELECT id, participant_id, jid, user_id, name, email, guest, host, entered_at, exited_at
		FROM conference_attendance WHERE conference_id = ? ORDER BY id`, conferenceID)
	if err != nil {
		return nil, wrap(err, "conference %s: attendance", conferenceID)
	}
	defer rows.Close()
	out := []store.Attendance{}
	for rows.Next() {
		a := store.Attendance{ConferenceID: conferenceID}
		var guest, host int
		var entered, exited int64
		if err := rows.Scan(&a.ID, &a.ParticipantID, &a.JID, &a.UserID, &a.Name, &a.Email, &guest, &host, &entered, &exited); err != nil {
			return nil, wrap(err, "conference %s: attendance", conferenceID)
		}
		a.Guest, a.Host = guest != 0, host != 0
		a.Entered, a.Exited = fromMS(entered), fromMSOpt(exited)
		out = append(out, a)
	}
	return out, wrap(rows.Err(), "conference %s: attendance", conferenceID)
}

// AppendConferenceEvent implements store.Conferences.
func (s *Store) AppendConferenceEvent(ctx context.Context, e store.ConferenceEvent) (int64, error) {
	var seq int64
	err := s.w.QueryRowContext(ctx, `INSERT INTO conference_events (conference_id, at, kind, nick, body)
		VALUES (?,?,?,?,?) RETURNING seq`, e.ConferenceID, us(e.At), e.Kind, e.Nick, e.Text).Scan(&seq)
	return seq, wrap(err, "conference %s: append event", e.ConferenceID)
}

// ConferenceEvents implements store.Conferences.
func (s *Store) ConferenceEvents(ctx context.Context, conferenceID string, after int64, max int) ([]store.ConferenceEvent, error) {
	if max <= 0 {
		max = -1 // SQLite: no limit
	}
	rows, err := s.rq.QueryContext(ctx, `SELECT seq, at, kind, nick, body FROM conference_events
		WHERE conference_id = ? AND seq > ? ORDER BY seq LIMIT ?`, conferenceID, after, max)
	if err != nil {
		return nil, wrap(err, "conference %s: events", conferenceID)
	}
	defer rows.Close()
	out := []store.ConferenceEvent{}
	for rows.Next() {
		e := store.ConferenceEvent{ConferenceID: conferenceID}
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Kind, &e.Nick, &e.Text); err != nil {
			return nil, wrap(err, "conference %s: events", conferenceID)
		}
		e.At = fromUS(at)
		out = append(out, e)
	}
	return out, wrap(rows.Err(), "conference %s: events", conferenceID)
}
