package sqlite

import (
	"context"
	"errors"

	"github.com/parley-im/parley/store"
)

// Placeholder until the rooms store lands (issue 6).
var errRoomsTODO = errors.New("sqlite: rooms not implemented yet")

func (s *Store) PutRoom(ctx context.Context, r store.Room) error { return errRoomsTODO }
func (s *Store) Room(ctx context.Context, jid string) (store.Room, error) {
	return store.Room{}, store.ErrNotFound
}
func (s *Store) DeleteRoom(ctx context.Context, jid string) error { return store.ErrNotFound }
func (s *Store) ListRooms(ctx context.Context, domain string) ([]store.Room, error) {
	return nil, nil
}
func (s *Store) AppendRoomArchive(ctx context.Context, room string, m store.ArchivedMessage) (string, error) {
	return "", store.ErrNotFound
}
func (s *Store) QueryRoomArchive(ctx context.Context, room string, q store.ArchiveQuery) (store.ArchivePage, error) {
	return store.ArchivePage{}, nil
}
