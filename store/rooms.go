package store

import (
	"context"
	"time"
)

// Room is a persistent multi-user chat room (XEP-0045) as package muc
// saves it.
type Room struct {
	JID string // bare room JID, e.g. "lobby@conference.example.com"
	// State holds the room's configuration, affiliations and subject,
	// encoded by package muc; stores never parse it.
	State     []byte
	CreatedAt time.Time // set by the first PutRoom; later puts keep it
}

// Rooms stores persistent rooms and their message archives.
type Rooms interface {
	// PutRoom inserts or replaces a room.
	PutRoom(ctx context.Context, r Room) error
	// Room returns a room or ErrNotFound.
	Room(ctx context.Context, jid string) (Room, error)
	// DeleteRoom removes a room and its archive; ErrNotFound if absent.
	DeleteRoom(ctx context.Context, jid string) error
	// ListRooms returns the rooms of a MUC domain ("" for all), sorted
	// by JID.
	ListRooms(ctx context.Context, domain string) ([]Room, error)
	// AppendRoomArchive adds m (ID ignored) to a room's archive and
	// returns its ID; ErrNotFound if the room is not stored. m.With is
	// the sender's occupant JID (room@service/nick).
	AppendRoomArchive(ctx context.Context, room string, m ArchivedMessage) (string, error)
	// QueryRoomArchive returns a page of a room's archive, as
	// QueryArchive does for a user's (With filters on the occupant JID).
	QueryRoomArchive(ctx context.Context, room string, q ArchiveQuery) (ArchivePage, error)
}
