package manage

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
)

// Rooms manages persistent conference rooms (XEP-0045).
type Rooms struct {
	Store store.Rooms
	// Hosts and Subdomain name the conference services: Subdomain.Host
	// for each served host (muc.subdomain).
	Hosts     []string
	Subdomain string
	// HistoryDefault is muc.history_messages, for rooms created without
	// a history length.
	HistoryDefault int
	// Live is the running server's MUC service (nil without one): it
	// tells a destroyed room's occupants.
	Live *muc.Service
}

// RoomsFor is Rooms as the configuration sets it up.
func RoomsFor(st store.Rooms, cfg config.Config) Rooms {
	return Rooms{Store: st, Hosts: cfg.Hosts, Subdomain: cfg.MUC.Subdomain, HistoryDefault: cfg.MUC.HistoryMessages}
}

// Services lists the conference services' domains.
func (m Rooms) Services() []string {
	out := make([]string, len(m.Hosts))
	for i, h := range m.Hosts {
		out[i] = m.Subdomain + "." + h
	}
	return out
}

// ErrNotService is a room address outside the conference services;
// Host is the host it names, if it looks like SUBDOMAIN.HOST.
type ErrNotService struct {
	Domain   string
	Host     string // "" unless Domain is Subdomain.Host for some Host
	Services []string
}

func (e *ErrNotService) Error() string {
	return fmt.Sprintf("%s is not a conference service of this server (served: %s)", e.Domain, strings.Join(e.Services, ", "))
}

// ParseRoom parses ROOM@SERVICE for a conference service of a served
// host.
func (m Rooms) ParseRoom(s string) (jid.JID, error) {
	room, err := jid.Parse(strings.TrimSpace(s))
	if err != nil || room.Local() == "" || !room.IsBare() {
		return jid.JID{}, errorf(ErrInvalid, "%q is not a room address (ROOM@%s.DOMAIN)", s, m.Subdomain)
	}
	for _, svc := range m.Services() {
		if room.Domain() == svc {
			return room, nil
		}
	}
	e := &ErrNotService{Domain: room.Domain(), Services: m.Services()}
	if host, ok := strings.CutPrefix(room.Domain(), m.Subdomain+"."); ok {
		e.Host = host
	}
	return jid.JID{}, e
}

// Create creates a persistent room, configured and ready to join. A
// negative HistoryLength takes HistoryDefault; owners, admins and
// members are normalized to bare JIDs.
func (m Rooms) Create(ctx context.Context, address string, o muc.RoomOptions) (jid.JID, error) {
	room, err := m.ParseRoom(address)
	if err != nil {
		return jid.JID{}, err
	}
	for _, list := range []*[]string{&o.Owners, &o.Admins, &o.Members} {
		for i, s := range *list {
			j, err := jid.Parse(strings.TrimSpace(s))
			if err != nil || j.Local() == "" {
				return jid.JID{}, errorf(ErrInvalid, "%q is not a user's bare JID", s)
			}
			(*list)[i] = j.Bare().String()
		}
	}
	if o.HistoryLength < 0 {
		o.HistoryLength = m.HistoryDefault
	}
	if o.MaxUsers < 0 {
		return jid.JID{}, errorf(ErrInvalid, "--max-users must not be negative")
	}
	if _, err := m.Store.Room(ctx, room.String()); err == nil {
		return jid.JID{}, errorf(ErrExists, "room %s already exists", room)
	} else if !errors.Is(err, store.ErrNotFound) {
		return jid.JID{}, err
	}
	r, err := muc.NewPersistentRoom(room, o)
	if err != nil {
		return jid.JID{}, err
	}
	return room, m.Store.PutRoom(ctx, r)
}

// Room is a stored room as lists show it.
type Room struct {
	JID    string
	Info   muc.RoomInfo
	Err    error // the stored state could not be read
	Flags  []string
	Owners []string
}

// List returns the persistent rooms of service ("" for all).
func (m Rooms) List(ctx context.Context, service string) ([]Room, error) {
	rooms, err := m.Store.ListRooms(ctx, strings.ToLower(service))
	if err != nil {
		return nil, err
	}
	out := make([]Room, 0, len(rooms))
	for _, r := range rooms {
		info, err := muc.DecodeRoom(r)
		if err != nil {
			out = append(out, Room{JID: r.JID, Err: err})
			continue
		}
		out = append(out, Room{JID: r.JID, Info: info, Flags: RoomFlags(info.Config), Owners: info.Owners()})
	}
	return out, nil
}

// RoomFlags names a room's notable settings.
func RoomFlags(c muc.RoomConfig) []string {
	var flags []string
	for _, f := range []struct {
		on   bool
		name string
	}{{c.Public, "public"}, {!c.Public, "hidden"}, {c.MembersOnly, "members-only"}, {c.Moderated, "moderated"},
		{c.Password != "", "password"}, {c.WhoIs == "anyone", "non-anonymous"}, {c.Archive, "archived"}} {
		if f.on {
			flags = append(flags, f.name)
		}
	}
	return flags
}

// Destroy deletes a persistent room and its archive. With a running
// MUC service its occupants are told (with reason) and leave at once.
func (m Rooms) Destroy(ctx context.Context, address, reason string) (jid.JID, error) {
	room, err := m.ParseRoom(address)
	if err != nil {
		return jid.JID{}, err
	}
	if m.Live != nil {
		err = m.Live.Destroy(ctx, room, reason, "")
	} else {
		err = m.Store.DeleteRoom(ctx, room.String())
	}
	if errors.Is(err, store.ErrNotFound) {
		return jid.JID{}, errorf(ErrNotFound, "no room %s", room)
	}
	return room, err
}
