package muc

import (
	"context"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Hooks let another module govern some of the service's rooms (package
// conference does, for the chat rooms of web conferences): Admit
// decides who may enter, Observe hears who came, went and said what.
//
// Both run with the room's lock held, so they see each room's events in
// the room's own order; they must not call back into the service (a
// module that destroys or changes a room does it after returning, from
// its own goroutine), and they should be quick: the room waits for
// them.
type Hooks struct {
	// Admit is asked before a session enters a room as a new occupant,
	// after the room's own checks (lock, ban, members-only, password,
	// nick, capacity) have passed. nil admits everyone.
	Admit func(ctx context.Context, e Entry) Admission
	// Observe is told of occupants joining and leaving, nick changes,
	// the room's messages and its destruction. nil hears nothing. It
	// hears of an entry before anyone is sent the new occupant's
	// presence (its own self-presence included).
	Observe func(ctx context.Context, e Event)
}

// Entry is a session asking to enter a room.
type Entry struct {
	Room     jid.JID // bare room JID
	Session  jid.JID // the session's real full JID
	Nick     string
	Password string // the password the session offered; "" if none
}

// Admission is Admit's answer.
type Admission struct {
	// Refuse, when its Name is set, keeps the session out with this
	// stanza error and Text.
	Refuse stanza.Condition
	Text   string
	// Moderator makes the new occupant a moderator, whatever its
	// affiliation gives it.
	Moderator bool
}

// Admit is the Admission that lets a session in.
var Admit = Admission{}

// Refused keeps a session out with cond and text.
func Refused(cond stanza.Condition, text string) Admission {
	return Admission{Refuse: cond, Text: text}
}

// EventKind says what an Event reports.
type EventKind int8

// The events a room reports.
const (
	// Joined: a new occupant entered (not another session of a present
	// one).
	Joined EventKind = iota + 1
	// Left: an occupant's last session left, or it was kicked or banned.
	Left
	// Renamed: an occupant changed its nick from Nick to NewNick.
	Renamed
	// Message: an occupant's groupchat message was broadcast (with or
	// without a body: chat states and other payloads too).
	Message
	// Destroyed: the room was destroyed; its occupants are gone (no Left
	// follows for them).
	Destroyed
	// Shutdown: the service is stopping; its occupants are gone (no Left
	// follows for them).
	Shutdown
)

// Event is something that happened in a room.
type Event struct {
	Kind     EventKind
	Room     jid.JID
	Nick     string // the occupant's nick (its old one for Renamed)
	NewNick  string // Renamed: the new nick
	Occupant string // the occupant's real bare JID
	// Moderator: the occupant's role is moderator (Joined, Message).
	Moderator bool
	// Message is the message as the room broadcast it (Message only).
	Message *xml.Element
}

// admit asks the Admit hook; nil admits.
func (s *Service) admit(ctx context.Context, e Entry) Admission {
	if s.cfg.Hooks.Admit == nil {
		return Admit
	}
	return s.cfg.Hooks.Admit(ctx, e)
}

// observe tells the Observe hook, if any.
func (r *Room) observe(ctx context.Context, kind EventKind, o *occupant, apply func(*Event)) {
	h := r.svc.cfg.Hooks.Observe
	if h == nil {
		return
	}
	e := Event{Kind: kind, Room: r.jid}
	if o != nil {
		e.Nick, e.Occupant, e.Moderator = o.nick, o.bare, o.role == Moderator
	}
	if apply != nil {
		apply(&e)
	}
	h(ctx, e)
}
