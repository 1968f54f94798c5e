package conference

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// roomPrefix starts the local part of every conference room:
// conf<ID>@<MUCDomain>.
const roomPrefix = "conf"

// NSConference is the namespace of the conference page's own payloads
// in room messages: <hand xmlns=NSConference raised='true|false'/>.
const NSConference = "urn:parley-im:conference:0"

// nsOOB is XEP-0066 out-of-band data: a shared link.
const nsOOB = "jabber:x:oob"

// RoomJID is the room of conference id on the service muc.
func RoomJID(id, mucDomain string) string { return roomPrefix + id + "@" + mucDomain }

// conferenceOf returns the conference a room belongs to, if it is one of
// the Manager's.
func (m *Manager) conferenceOf(room jid.JID) (string, bool) {
	if m.o.MUCDomain == "" || !strings.EqualFold(room.Domain(), m.o.MUCDomain) {
		return "", false
	}
	id, ok := strings.CutPrefix(room.Local(), roomPrefix)
	if !ok || id == "" {
		return "", false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	return id, true
}

// Hooks are the muc hooks through which the Manager governs its rooms.
func (m *Manager) Hooks() muc.Hooks { return muc.Hooks{Admit: m.Admit, Observe: m.Observe} }

// who is a person entering or present.
type who struct {
	host        bool
	participant store.Participant // zero for a registered user who was not invited
	guest       bool
	user        string // registered user's bare JID
	email       string
}

var (
	errClosed   = stanza.Condition{Name: "not-allowed", Type: "cancel"}
	errRegister = stanza.Condition{Name: "registration-required", Type: "auth"}
)

// identify says who the session with bare JID is to the conference:
// its host, an invitee, a guest with a pass, or a registered user who
// was not invited.
func (m *Manager) identify(c store.Conference, bare string) (who, *Pass) {
	if p, ok := m.pass(bare); ok && p.ConferenceID == c.ID {
		w := who{guest: true, host: p.Host}
		for _, part := range c.Participants {
			if part.ID == p.ParticipantID && p.ParticipantID != 0 {
				w.participant, w.email = part, part.Email
			}
		}
		return w, &p
	}
	w := who{user: bare}
	for _, p := range c.Participants {
		if p.UserID != "" && p.UserID == bare {
			w.participant, w.email = p, p.Email
			w.host = p.Role == store.RoleHost
			break
		}
	}
	return w, nil
}

// Admit decides whether a session may enter a conference's room (the
// muc Admit hook); rooms that are not conferences' admit everyone.
func (m *Manager) Admit(ctx context.Context, e muc.Entry) muc.Admission {
	id, ok := m.conferenceOf(e.Room)
	if !ok {
		return muc.Admit
	}
	adm := muc.Admit
	err := m.with(ctx, id, true, func(l *live) error {
		adm = m.admit(l, e)
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return muc.Admit // an ordinary room that happens to look like one
	}
	if err != nil {
		m.log.Error("conference admission", "conference", id, "err", err)
		return muc.Refused(stanza.InternalServerError, "the conference could not be checked")
	}
	return adm
}

func (m *Manager) admit(l *live, e muc.Entry) muc.Admission {
	c := l.c
	if err := m.openNow(c); err != nil {
		return muc.Refused(errClosed, strings.TrimPrefix(err.Error(), ErrClosed.Error()+": "))
	}
	w, pass := m.identify(c, e.Session.Bare().String())
	if w.host {
		return muc.Admission{Moderator: true}
	}
	if l.locked {
		return muc.Refused(errClosed, "the host has locked the conference")
	}
	if pass != nil {
		return muc.Admit // checked when the pass was issued
	}
	if !keyOK(c, e.Password) {
		return muc.Refused(stanza.NotAuthorized, "the conference key is required")
	}
	if w.participant.ID == 0 {
		switch {
		case c.Flags.HostInvitedOnly:
			return muc.Refused(errRegister, "only users the host invited may join this conference")
		case c.Flags.EnrollmentRequired:
			return muc.Refused(errRegister, "enrol in this conference before joining it")
		}
	}
	return muc.Admit
}

// Observe records what happens in a conference's room (the muc Observe
// hook): attendance, the timeline, the start when the host first comes,
// the end when the room is destroyed or the last person leaves after the
// scheduled end.
func (m *Manager) Observe(ctx context.Context, e muc.Event) {
	id, ok := m.conferenceOf(e.Room)
	if !ok {
		return
	}
	err := m.with(ctx, id, true, func(l *live) error { return m.observe(ctx, l, e) })
	if err != nil && !errors.Is(err, ErrNotFound) {
		m.log.Error("conference event", "conference", id, "kind", e.Kind, "err", err)
	}
}

func (m *Manager) observe(ctx context.Context, l *live, e muc.Event) error {
	now := m.now()
	switch e.Kind {
	case muc.Joined:
		return m.joined(ctx, l, e, now)
	case muc.Left:
		return m.left(ctx, l, e.Nick, now)
	case muc.Renamed:
		if s := l.present[e.Nick]; s != nil {
			delete(l.present, e.Nick)
			s.name = e.NewNick
			l.present[e.NewNick] = s
			if l.hands[e.Nick] {
				delete(l.hands, e.Nick)
				l.hands[e.NewNick] = true
			}
			m.event(ctx, l, now, EventRename, e.Nick, e.NewNick)
		}
	case muc.Message:
		if l.present[e.Nick] != nil && e.Message != nil {
			m.message(ctx, l, e.Nick, e.Message, now)
		}
	case muc.Destroyed:
		if l.c.State == store.ConferenceInProgress {
			return m.end(ctx, l, EndGraceful, now)
		}
		m.closeStays(ctx, l, now)
	case muc.Shutdown:
		m.closeStays(ctx, l, now)
	}
	return nil
}

func (m *Manager) joined(ctx context.Context, l *live, e muc.Event, now time.Time) error {
	if l.c.State == store.ConferenceEnded {
		return nil
	}
	w, _ := m.identify(l.c, e.Occupant)
	a := store.Attendance{ConferenceID: l.id, ParticipantID: w.participant.ID, JID: e.Occupant, UserID: w.user,
		Name: e.Nick, Email: w.email, Guest: w.guest, Host: w.host, Entered: now}
	if w.host && l.c.State == store.ConferenceScheduled {
		l.c.State, l.c.StartedAt = store.ConferenceInProgress, now
		if err := m.save(ctx, l); err != nil {
			return err
		}
		m.event(ctx, l, now, EventStart, e.Nick, "")
		m.log.Info("conference started", "conference", l.id)
	}
	aid, err := m.o.Store.AddAttendance(ctx, a)
	if err != nil {
		return err
	}
	l.present[e.Nick] = &stay{attendance: aid, who: w, name: e.Nick}
	m.event(ctx, l, now, EventJoin, e.Nick, kindOf(w))
	return nil
}

// kindOf is the join event's text: host, guest or user.
func kindOf(w who) string {
	switch {
	case w.host:
		return "host"
	case w.guest:
		return "guest"
	}
	return "user"
}

func (m *Manager) left(ctx context.Context, l *live, nick string, now time.Time) error {
	s := l.present[nick]
	if s == nil {
		return nil
	}
	delete(l.present, nick)
	delete(l.hands, nick)
	if err := m.o.Store.EndAttendance(ctx, l.id, s.attendance, now); err != nil && !errors.Is(err, store.ErrNotFound) {
		m.log.Error("conference attendance", "conference", l.id, "err", err)
	}
	m.event(ctx, l, now, EventLeave, nick, "")
	if l.c.State == store.ConferenceInProgress && len(l.present) == 0 && !now.Before(l.c.EndAt) {
		return m.end(ctx, l, EndGraceful, now)
	}
	return nil
}

// message records a room message: a chat body, a shared link (XEP-0066
// out-of-band data), a raised or lowered hand.
func (m *Manager) message(ctx context.Context, l *live, nick string, msg *xml.Element, now time.Time) {
	if x := msg.Child(nsOOB, "x"); x != nil {
		if u := x.Child(nsOOB, "url"); u != nil && strings.TrimSpace(u.Text) != "" {
			m.event(ctx, l, now, EventLink, nick, strings.TrimSpace(u.Text))
			return
		}
	}
	if h := msg.Child(NSConference, "hand"); h != nil {
		up := h.Attr("raised") != "false"
		if up != l.hands[nick] {
			if up {
				l.hands[nick] = true
				m.event(ctx, l, now, EventHand, nick, "up")
			} else {
				delete(l.hands, nick)
				m.event(ctx, l, now, EventHand, nick, "down")
			}
		}
		return
	}
	if b := msg.Child(ns.Client, "body"); b != nil && b.Text != "" {
		m.event(ctx, l, now, EventChat, nick, b.Text)
	}
}

// closeStays closes the stays of everyone present (the room went away
// under them).
func (m *Manager) closeStays(ctx context.Context, l *live, now time.Time) {
	for nick, s := range l.present {
		if err := m.o.Store.EndAttendance(ctx, l.id, s.attendance, now); err != nil && !errors.Is(err, store.ErrNotFound) {
			m.log.Error("conference attendance", "conference", l.id, "err", err)
		}
		m.event(ctx, l, now, EventLeave, nick, "")
	}
	clear(l.present)
	clear(l.hands)
}

// Present returns the nicks in a conference now, sorted, and which have
// a raised hand.
func (m *Manager) Present(ctx context.Context, id string) (nicks []string, hands map[string]bool, err error) {
	err = m.with(ctx, id, false, func(l *live) error {
		for n := range l.present {
			nicks = append(nicks, n)
		}
		hands = map[string]bool{}
		for n := range l.hands {
			hands[n] = true
		}
		return nil
	})
	slices.Sort(nicks)
	return nicks, hands, err
}

// SetLocked locks a conference (nobody but the host may enter) or
// unlocks it. The lock lasts while the conference is live in this
// process.
func (m *Manager) SetLocked(ctx context.Context, id string, locked bool) error {
	if room, ok := m.elsewhere(ctx, id); ok {
		return m.call(ctx, room, opLock, id, strconv.FormatBool(locked))
	}
	return m.setLocked(ctx, id, locked)
}

func (m *Manager) setLocked(ctx context.Context, id string, locked bool) error {
	return m.with(ctx, id, false, func(l *live) error {
		if l.c.State == store.ConferenceEnded {
			return ErrClosed
		}
		l.locked = locked
		return nil
	})
}
