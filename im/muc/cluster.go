package muc

import (
	"context"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/xml"
)

// What a cluster needs of the service (package cluster holds each room
// on one node): which room a stanza is for, whether a room is held
// here, giving a room up, and taking back the occupants of a room that
// moved here.

// RoomKey is the room a stanza addressed to 'to' is for: its bare JID,
// or "" for the service itself (disco, the room list), which any node
// answers.
func RoomKey(to jid.JID) string {
	if to.Local() == "" {
		return ""
	}
	return to.Bare().String()
}

// Loaded reports whether the room is in memory here.
func (s *Service) Loaded(room string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.rooms[room]
	return ok
}

// Unload drops a room from memory without telling its occupants: the
// room moves to another node of the cluster, where their nodes rejoin
// them. A persistent room's state is already stored; a temporary room's
// is rebuilt by the rejoins.
func (s *Service) Unload(ctx context.Context, room string) {
	s.mu.Lock()
	r := s.rooms[room]
	s.mu.Unlock()
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gone {
		return
	}
	r.gone = true
	r.svc.forget(r)
	if r.st != nil && !r.st.Config.Persistent {
		r.svc.release(r.st.Creator, r.jid.String())
	}
}

// Rejoin takes a join that an occupant's node replays because the room
// moved here. It is a join like any other, except that a temporary room
// it creates again is open at once (an instant room, XEP-0045 §10.1.2):
// its occupants were in it already, nobody is there to configure it.
func (s *Service) Rejoin(ctx context.Context, el *xml.Element) {
	s.receive(ctx, el, true)
}

// RejoinPresence is the join to replay for a session's last presence to
// a room (el): the same presence with a MUC <x/> asking for no history
// (the occupant has seen it).
func RejoinPresence(el *xml.Element) *xml.Element {
	c := el.Copy()
	x := c.Child(NS, "x")
	if x == nil {
		x = xml.NewElement(NS, "x")
		c.AddChild(x)
	} else {
		x.RemoveChildren(NS, "history")
	}
	x.AddChild(xml.NewElement(NS, "history", xml.Attr{Name: "maxstanzas", Value: "0"}))
	c.Inner = nil
	return c
}

// SessionsGone takes out of the rooms held here the occupants whose
// sessions a node of the cluster lost (it died): the others see them
// leave.
func (s *Service) SessionsGone(ctx context.Context, gone map[jid.JID]bool) {
	for _, r := range s.liveRooms() {
		r.mu.Lock()
		if !r.gone {
			for j, o := range r.sessions {
				if gone[j] {
					r.leave(ctx, nil, j, o)
				}
			}
		}
		r.mu.Unlock()
	}
}
