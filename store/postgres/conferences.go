package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parley-im/parley/store"
)

const conferenceColumns = `id, site_id, owner, title, description, meeting_type, instant, conference_key, dialin_info, room_jid,
	registered_only, publicly_listed, host_invited_only, enrollment, publish_attendees, send_invitations,
	host_exit_url, attendee_exit_url, attendee_start_url, start_at, end_at, state, end_cause, started_at, ended_at,
	sequence, created_at, updated_at`

// conferenceArgs are a conference's values in conferenceColumns order.
func conferenceArgs(c store.Conference) []any {
	f, u := c.Flags, c.URLs
	return []any{c.ID, c.SiteID, c.Owner, c.Title, c.Desc, c.Type, c.Instant, c.Key, c.DialIn, c.RoomJID,
		f.RegisteredUserOnly, f.PubliclyListed, f.HostInvitedOnly, f.EnrollmentRequired, f.PublishAttendees, f.SendInvitations,
		u.HostExit, u.AttendeeExit, u.AttendeeStart, ms(c.StartAt), ms(c.EndAt), c.State, c.EndCause,
		msOrZero(c.StartedAt), msOrZero(c.EndedAt), c.Sequence, ms(c.CreatedAt), ms(c.UpdatedAt)}
}

// fromMSOrZero reads 0 back as the zero time ("not yet").
func fromMSOrZero(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMS(v)
}

func scanConference(r pgx.Row) (store.Conference, error) {
	var c store.Conference
	var start, end, started, ended, created, updated int64
	f := &c.Flags
	err := r.Scan(&c.ID, &c.SiteID, &c.Owner, &c.Title, &c.Desc, &c.Type, &c.Instant, &c.Key, &c.DialIn, &c.RoomJID,
		&f.RegisteredUserOnly, &f.PubliclyListed, &f.HostInvitedOnly, &f.EnrollmentRequired, &f.PublishAttendees, &f.SendInvitations,
		&c.URLs.HostExit, &c.URLs.AttendeeExit, &c.URLs.AttendeeStart, &start, &end, &c.State, &c.EndCause,
		&started, &ended, &c.Sequence, &created, &updated)
	if err != nil {
		return store.Conference{}, err
	}
	c.StartAt, c.EndAt = fromMS(start), fromMS(end)
	c.StartedAt, c.EndedAt = fromMSOrZero(started), fromMSOrZero(ended)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	c.Participants = []store.Participant{}
	return c, nil
}

// insertParticipants adds a conference's participants with one
// multi-row insert.
func insertParticipants(ctx context.Context, tx pgx.Tx, c store.Conference) error {
	n := len(c.Participants)
	if n == 0 {
		return nil
	}
	ids := make([]int64, n)
	roles, firsts, lasts, emails, users, secrets := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	enrolled := make([]bool, n)
	for i, p := range c.Participants {
		ids[i], roles[i], firsts[i], lasts[i], emails[i], users[i], secrets[i], enrolled[i] =
			p.ID, p.Role, p.FirstName, p.LastName, p.Email, p.UserID, p.KeySecret, p.Enrolled
	}
	_, err := tx.Exec(ctx, `INSERT INTO conference_participants
		(conference_id, id, role, first_name, last_name, email, user_id, key_secret, enrolled)
		SELECT $1, p.* FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bool[]) AS p`,
		c.ID, ids, roles, firsts, lasts, emails, users, secrets, enrolled)
	return err
}

// CreateConference implements store.Conferences in one transaction.
func (s *Store) CreateConference(ctx context.Context, c store.Conference) error {
	ph := make([]string, 28)
	for i := range ph {
		ph[i] = "$" + strconv.Itoa(i+1)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO conferences (`+conferenceColumns+`) VALUES (`+strings.Join(ph, ",")+`)`,
			conferenceArgs(c)...); err != nil {
			return err
		}
		return insertParticipants(ctx, tx, c)
	})
	return wrap(err, "create conference %s", c.ID)
}

// Conference implements store.Conferences.
func (s *Store) Conference(ctx context.Context, id string) (store.Conference, error) {
	var args params
	cs, err := s.conferences(ctx, "WHERE id = "+args.add(id), args)
	if err != nil {
		return store.Conference{}, wrap(err, "conference %s", id)
	}
	if len(cs) == 0 {
		return store.Conference{}, wrap(pgx.ErrNoRows, "conference %s", id)
	}
	return cs[0], nil
}

// conferences reads the conferences a WHERE clause (and LIMIT) selects,
// then their participants, in one REPEATABLE READ transaction, so that
// the two agree.
func (s *Store) conferences(ctx context.Context, where string, args params) ([]store.Conference, error) {
	out := []store.Conference{}
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		out = out[:0]
		rows, err := tx.Query(ctx, `SELECT `+conferenceColumns+` FROM conferences `+where, args...)
		if err != nil {
			return err
		}
		index := map[string]int{}
		var ids []string
		for rows.Next() {
			c, err := scanConference(rows)
			if err != nil {
				rows.Close()
				return err
			}
			index[c.ID] = len(out)
			ids = append(ids, c.ID)
			out = append(out, c)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		prows, err := tx.Query(ctx, `SELECT conference_id, id, role, first_name, last_name, email, user_id, key_secret, enrolled
			FROM conference_participants WHERE conference_id = ANY($1)
			ORDER BY conference_id, CASE role WHEN 'host' THEN 0 ELSE 1 END, id`, ids)
		if err != nil {
			return err
		}
		defer prows.Close()
		for prows.Next() {
			var cid string
			var p store.Participant
			if err := prows.Scan(&cid, &p.ID, &p.Role, &p.FirstName, &p.LastName, &p.Email, &p.UserID, &p.KeySecret, &p.Enrolled); err != nil {
				return err
			}
			c := &out[index[cid]]
			c.Participants = append(c.Participants, p)
		}
		return prows.Err()
	})
	return out, err
}

// UpdateConference implements store.Conferences in one transaction: the
// row (every column but id and created_at), then the participants
// replaced.
func (s *Store) UpdateConference(ctx context.Context, c store.Conference) error {
	all := conferenceArgs(c)
	var args params
	var set []string
	for i, col := range strings.Split(conferenceColumns, ",") {
		col = strings.TrimSpace(col)
		if col == "id" || col == "created_at" {
			continue
		}
		set = append(set, col+" = "+args.add(all[i]))
	}
	where := " WHERE id = " + args.add(c.ID)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE conferences SET `+strings.Join(set, ", ")+where, args...)
		if err := affected(tag, err, "update conference %s", c.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM conference_participants WHERE conference_id = $1`, c.ID); err != nil {
			return wrap(err, "update conference %s: participants", c.ID)
		}
		return wrap(insertParticipants(ctx, tx, c), "update conference %s: participants", c.ID)
	})
}

// DeleteConference implements store.Conferences; participants,
// attendance and timeline go by cascade.
func (s *Store) DeleteConference(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM conferences WHERE id = $1`, id)
	return affected(tag, err, "delete conference %s", id)
}

// ListConferences implements store.Conferences.
func (s *Store) ListConferences(ctx context.Context, q store.ConferenceQuery) ([]store.Conference, error) {
	var args params
	var where []string
	if q.SiteID != "" {
		where = append(where, "site_id = "+args.add(q.SiteID))
	}
	if q.Owner != "" {
		where = append(where, "owner = "+args.add(q.Owner))
	}
	if q.User != "" {
		where = append(where, "id IN (SELECT conference_id FROM conference_participants WHERE user_id = "+args.add(q.User)+")")
	}
	if q.IDs != nil {
		if len(q.IDs) == 0 {
			return []store.Conference{}, nil
		}
		where = append(where, "id = ANY("+args.add(q.IDs)+")")
	}
	if q.States != nil {
		if len(q.States) == 0 {
			return []store.Conference{}, nil
		}
		where = append(where, "state = ANY("+args.add(q.States)+")")
	}
	if !q.StartFrom.IsZero() {
		where = append(where, "start_at >= "+args.add(ms(q.StartFrom)))
	}
	if !q.StartTo.IsZero() {
		where = append(where, "start_at <= "+args.add(ms(q.StartTo)))
	}
	if !q.EndedFrom.IsZero() || !q.EndedTo.IsZero() {
		where = append(where, "state = "+args.add(store.ConferenceEnded))
		if !q.EndedFrom.IsZero() {
			where = append(where, "ended_at >= "+args.add(ms(q.EndedFrom)))
		}
		if !q.EndedTo.IsZero() {
			where = append(where, "ended_at <= "+args.add(ms(q.EndedTo)))
		}
	}
	clause := ""
	if len(where) > 0 {
		clause = "WHERE " + strings.Join(where, " AND ")
	}
	clause += " ORDER BY start_at, id"
	if q.Limit > 0 {
		clause += " LIMIT " + args.add(int64(q.Limit))
	}
	cs, err := s.conferences(ctx, clause, args)
	return cs, wrap(err, "list conferences")
}

// AddAttendance implements store.Conferences; a missing conference is a
// foreign-key violation, ErrNotFound.
func (s *Store) AddAttendance(ctx context.Context, a store.Attendance) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO conference_attendance
		(conference_id, participant_id, jid, user_id, name, email, guest, host, entered_at, exited_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id`,
		a.ConferenceID, a.ParticipantID, a.JID, a.UserID, a.Name, a.Email, a.Guest, a.Host,
		ms(a.Entered), msOrZero(a.Exited)).Scan(&id)
	return id, wrap(err, "conference %s: add attendance", a.ConferenceID)
}

// EndAttendance implements store.Conferences.
func (s *Store) EndAttendance(ctx context.Context, conferenceID string, id int64, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE conference_attendance SET exited_at = $1
		WHERE conference_id = $2 AND id = $3 AND exited_at = 0`, ms(at), conferenceID, id)
	return affected(tag, err, "conference %s: end attendance %d", conferenceID, id)
}

// EndAllAttendance implements store.Conferences.
func (s *Store) EndAllAttendance(ctx context.Context, conferenceID string, at time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE conference_attendance SET exited_at = $1
		WHERE conference_id = $2 AND exited_at = 0`, ms(at), conferenceID)
	if err != nil {
		return 0, wrap(err, "conference %s: end attendance", conferenceID)
	}
	return tag.RowsAffected(), nil
}

// Attendance implements store.Conferences.
func (s *Store) Attendance(ctx context.Context, conferenceID string) ([]store.Attendance, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, participant_id, jid, user_id, name, email, guest, host, entered_at, exited_at
		FROM conference_attendance WHERE conference_id = $1 ORDER BY id`, conferenceID)
	if err != nil {
		return nil, wrap(err, "conference %s: attendance", conferenceID)
	}
	defer rows.Close()
	out := []store.Attendance{}
	for rows.Next() {
		a := store.Attendance{ConferenceID: conferenceID}
		var entered, exited int64
		if err := rows.Scan(&a.ID, &a.ParticipantID, &a.JID, &a.UserID, &a.Name, &a.Email, &a.Guest, &a.Host, &entered, &exited); err != nil {
			return nil, wrap(err, "conference %s: attendance", conferenceID)
		}
		a.Entered, a.Exited = fromMS(entered), fromMSOrZero(exited)
		out = append(out, a)
	}
	return out, wrap(rows.Err(), "conference %s: attendance", conferenceID)
}

// AppendConferenceEvent implements store.Conferences; a missing
// conference is a foreign-key violation, ErrNotFound.
func (s *Store) AppendConferenceEvent(ctx context.Context, e store.ConferenceEvent) (int64, error) {
	var seq int64
	err := s.pool.QueryRow(ctx, `INSERT INTO conference_events (conference_id, at, kind, nick, body)
		VALUES ($1,$2,$3,$4,$5) RETURNING seq`, e.ConferenceID, us(e.At), e.Kind, e.Nick, e.Text).Scan(&seq)
	return seq, wrap(err, "conference %s: append event", e.ConferenceID)
}

// ConferenceEvents implements store.Conferences.
func (s *Store) ConferenceEvents(ctx context.Context, conferenceID string, after int64, max int) ([]store.ConferenceEvent, error) {
	var args params
	q := `SELECT seq, at, kind, nick, body FROM conference_events
		WHERE conference_id = ` + args.add(conferenceID) + ` AND seq > ` + args.add(after) + ` ORDER BY seq`
	if max > 0 {
		q += " LIMIT " + args.add(int64(max))
	}
	rows, err := s.pool.Query(ctx, q, args...)
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
