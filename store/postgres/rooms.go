package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/parley-im/parley/store"
)

// PutRoom implements store.Rooms: an upsert that keeps the creation time
// (and the room's archive: the row is updated, not replaced).
func (s *Store) PutRoom(ctx context.Context, r store.Room) error {
	created := r.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO rooms (jid, domain, state, created_at) VALUES ($1,$2,$3,$4)
		ON CONFLICT (jid) DO UPDATE SET state = excluded.state`,
		r.JID, roomDomain(r.JID), blob(r.State), ms(created))
	return wrap(err, "put room %s", r.JID)
}

// Room implements store.Rooms.
func (s *Store) Room(ctx context.Context, jid string) (store.Room, error) {
	r := store.Room{JID: jid}
	var created int64
	err := s.pool.QueryRow(ctx, `SELECT state, created_at FROM rooms WHERE jid = $1`, jid).Scan(&r.State, &created)
	if err != nil {
		return store.Room{}, wrap(err, "room %s", jid)
	}
	r.CreatedAt = fromMS(created)
	return r, nil
}

// DeleteRoom implements store.Rooms; the archive goes by cascade.
func (s *Store) DeleteRoom(ctx context.Context, jid string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM rooms WHERE jid = $1`, jid)
	return affected(tag, err, "delete room %s", jid)
}

// ListRooms implements store.Rooms.
func (s *Store) ListRooms(ctx context.Context, domain string) ([]store.Room, error) {
	q, args := `SELECT jid, state, created_at FROM rooms ORDER BY jid`, []any(nil)
	if domain != "" {
		q, args = `SELECT jid, state, created_at FROM rooms WHERE domain = $1 ORDER BY jid`, []any{domain}
	}
	rows, err := s.pool.Query(ctx, q, args...)
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
	err := s.pool.QueryRow(ctx, `INSERT INTO room_archive (owner, with_jid, at, stanza) VALUES ($1,$2,$3,$4) RETURNING id`,
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
