package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/parley-im/parley/store"
)

// PutRoom implements store.Rooms. An upsert, not INSERT OR REPLACE:
// replacing the row would delete the room's archive with it (the
// foreign key cascades).
func (s *Store) PutRoom(ctx context.Context, r store.Room) error {
	created := r.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO rooms (jid, domain, state, created_at) VALUES (?,?,?,?)
		ON CONFLICT (jid) DO UPDATE SET state = excluded.state`,
		r.JID, roomDomain(r.JID), blob(r.State), ms(created))
	return wrap(err, "put room %s", r.JID)
}

// Room implements store.Rooms.
func (s *Store) Room(ctx context.Context, jid string) (store.Room, error) {
	r := store.Room{JID: jid}
	var created int64
	err := s.rq.QueryRowContext(ctx, `SELECT state, created_at FROM rooms WHERE jid = ?`, jid).Scan(&r.State, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Room{}, store.ErrNotFound
	}
	if err != nil {
		return store.Room{}, wrap(err, "room %s", jid)
	}
	r.CreatedAt = fromMS(created)
	return r, nil
}

// DeleteRoom implements store.Rooms. The archive is deleted explicitly,
// in the same transaction, not left to ON DELETE CASCADE alone (as
// DeleteUser does): another tool may open the file without foreign keys,
// and a room re-created under the name must not find the old messages.
func (s *Store) DeleteRoom(ctx context.Context, jid string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM rooms WHERE jid = ?`, jid)
		if err != nil {
			return wrap(err, "delete room %s", jid)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return wrap(err, "delete room %s", jid)
		}
		if n == 0 {
			return store.ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM room_archive WHERE owner = ?`, jid)
		return wrap(err, "delete room %s: archive", jid)
	})
}

// ListRooms implements store.Rooms.
func (s *Store) ListRooms(ctx context.Context, domain string) ([]store.Room, error) {
	q, args := `SELECT jid, state, created_at FROM rooms ORDER BY jid`, []any(nil)
	if domain != "" {
		q, args = `SELECT jid, state, created_at FROM rooms WHERE domain = ? ORDER BY jid`, []any{domain}
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(err, "list rooms")
	}
	defer rows.Close()
	var out []store.Room
	for rows.Next() {
		var r store.Room
		var created int64
		if err := rows.Scan(&r.JID, &r.State, &created); err != nil {
			return nil, wrap(err, "list rooms")
		}
		r.CreatedAt = fromMS(created)
		out = append(out, r)
	}
	return out, wrap(rows.Err(), "list rooms")
}

// AppendRoomArchive implements store.Rooms; ErrNotFound (the foreign
// key) if the room is not stored.
func (s *Store) AppendRoomArchive(ctx context.Context, room string, m store.ArchivedMessage) (string, error) {
	var id int64
	err := s.w.QueryRowContext(ctx, `INSERT INTO room_archive (owner, with_jid, at, stanza) VALUES (?,?,?,?) RETURNING id`,
		room, m.With, us(m.At), blob(m.Stanza)).Scan(&id)
	if err != nil {
		return "", wrap(err, "archive message for room %s", room)
	}
	return strconv.FormatInt(id, 10), nil
}

// QueryRoomArchive implements store.Rooms with the query of user
// archives (QueryArchive) on the rooms' table.
func (s *Store) QueryRoomArchive(ctx context.Context, room string, q store.ArchiveQuery) (store.ArchivePage, error) {
	return s.queryArchive(ctx, roomArchive, room, q)
}

// roomDomain is the domain of a bare room JID ("room@service").
func roomDomain(jid string) string {
	_, domain, _ := strings.Cut(jid, "@")
	return domain
}
