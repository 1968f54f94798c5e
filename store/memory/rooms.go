package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/parley-im/parley/store"
)

func cloneRoom(r store.Room) store.Room {
	r.State = slices.Clone(r.State)
	return r
}

// PutRoom implements store.Rooms.
func (s *Store) PutRoom(_ context.Context, r store.Room) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r = cloneRoom(r)
	if old, ok := s.rooms[r.JID]; ok {
		r.CreatedAt = old.CreatedAt
	} else {
		if r.CreatedAt.IsZero() {
			r.CreatedAt = time.Now()
		}
		r.CreatedAt = msUTC(r.CreatedAt)
	}
	s.rooms[r.JID] = r
	return nil
}

// Room implements store.Rooms.
func (s *Store) Room(_ context.Context, jid string) (store.Room, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.rooms[jid]
	if !ok {
		return store.Room{}, store.ErrNotFound
	}
	return cloneRoom(r), nil
}

// DeleteRoom implements store.Rooms.
func (s *Store) DeleteRoom(_ context.Context, jid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.rooms[jid]; !ok {
		return store.ErrNotFound
	}
	delete(s.rooms, jid)
	delete(s.roomArchive, jid)
	return nil
}

// ListRooms implements store.Rooms.
func (s *Store) ListRooms(_ context.Context, domain string) ([]store.Room, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []store.Room
	for jid, r := range s.rooms {
		if _, d, _ := strings.Cut(jid, "@"); domain == "" || d == domain {
			out = append(out, cloneRoom(r))
		}
	}
	slices.SortFunc(out, func(a, b store.Room) int { return strings.Compare(a.JID, b.JID) })
	return out, nil
}

// AppendRoomArchive implements store.Rooms. Room archives number their
// messages apart from users' (as sqlite's room_archive table does),
// never reusing an id.
func (s *Store) AppendRoomArchive(_ context.Context, room string, m store.ArchivedMessage) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.rooms[room]; !ok {
		return "", store.ErrNotFound
	}
	return appendArchived(s.roomArchive, &s.roomArchiveID, room, m), nil
}

// QueryRoomArchive implements store.Rooms.
func (s *Store) QueryRoomArchive(_ context.Context, room string, q store.ArchiveQuery) (store.ArchivePage, error) {
	if q.Max < 1 {
		return store.ArchivePage{}, fmt.Errorf("memory: query archive of %s: max %d: %w", room, q.Max, store.ErrInvalid)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return queryArchived(s.roomArchive[room], room, q)
}
