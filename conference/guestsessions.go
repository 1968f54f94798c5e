package conference

import (
	"context"
	"errors"
	"strings"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// ErrNoPass: a guest's login ticket opens no live pass.
var ErrNoPass = errors.New("conference: no such guest pass")

// IsGuest reports whether a JID is a conference guest's (its domain is
// the guest domain).
func (m *Manager) IsGuest(j jid.JID) bool {
	return m.o.GuestDomain != "" && strings.EqualFold(j.Domain(), m.o.GuestDomain)
}

// GuestDomain is where guests' sessions live ("" for none).
func (m *Manager) GuestDomain() string { return m.o.GuestDomain }

// BearerVerify checks a guest's login (SASL OAUTHBEARER on the guest
// domain): the ticket must be the secret of a live pass, whose guest's
// local part it returns; authzid, when given, must be that guest.
func (m *Manager) BearerVerify(_ context.Context, domain, authzid, ticket string) (string, error) {
	m.mu.Lock()
	bare, ok := m.ticket[ticket]
	m.mu.Unlock()
	if !ok || ticket == "" {
		return "", ErrNoPass
	}
	p, ok := m.pass(bare)
	if !ok {
		return "", ErrNoPass
	}
	j, err := jid.Parse(p.JID)
	if err != nil || !strings.EqualFold(j.Domain(), domain) || (authzid != "" && authzid != p.JID) {
		return "", ErrNoPass
	}
	return j.Local(), nil
}

// Verdict is what becomes of a guest's stanza (GuestPolicy).
type Verdict int8

// The verdicts.
const (
	// Forward: route it like anyone's (it goes to the conference's room).
	Forward Verdict = iota
	// Drop: ignore it (a guest's presence to nobody: it has no contacts).
	Drop
	// Refuse: answer it with the verdict's error.
	Refuse
	// Pong: answer the ping to the server.
	Pong
)

// GuestVerdict is GuestPolicy's answer.
type GuestVerdict struct {
	Verdict Verdict
	Cond    stanza.Condition
	Text    string
	// Ended: the guest's pass is gone (the conference ended or was
	// deleted): the session should end.
	Ended bool
}

// GuestPolicy decides what may become of a stanza a guest's session
// sends: a guest talks to its conference's room only (entering and
// leaving it, its group chat, iq to it and its occupants, such as a
// host's moderation), and may ping its server; everything else is
// refused, and presence to nobody dropped.
func (m *Manager) GuestPolicy(self jid.JID, el *xml.Element) GuestVerdict {
	p, ok := m.pass(self.Bare().String())
	if !ok {
		return GuestVerdict{Verdict: Refuse, Cond: stanza.NotAuthorized, Text: "this guest's pass has expired", Ended: true}
	}
	room := RoomJID(p.ConferenceID, m.o.MUCDomain)
	var to jid.JID
	if a := el.Attr("to"); a != "" {
		var err error
		if to, err = jid.Parse(a); err != nil {
			return GuestVerdict{Verdict: Refuse, Cond: stanza.JIDMalformed, Text: "invalid 'to' address"}
		}
	}
	inRoom := !to.IsZero() && strings.EqualFold(to.Bare().String(), room)
	refused := GuestVerdict{Verdict: Refuse, Cond: stanza.NotAllowed, Text: "a conference guest talks only to its conference"}
	switch el.Name {
	case stanza.Presence:
		switch {
		case to.IsZero():
			return GuestVerdict{Verdict: Drop}
		case inRoom && !to.IsBare():
			return GuestVerdict{Verdict: Forward}
		}
		return refused
	case stanza.Message:
		if inRoom && to.IsBare() && el.Attr("type") == "groupchat" {
			return GuestVerdict{Verdict: Forward}
		}
		return refused
	case stanza.IQ:
		typ := el.Attr("type")
		if inRoom {
			return GuestVerdict{Verdict: Forward}
		}
		if typ == "result" || typ == "error" {
			return GuestVerdict{Verdict: Drop}
		}
		toServer := to.IsZero() || to.Equal(self.Bare()) || (to.Local() == "" && to.Resource() == "" && strings.EqualFold(to.Domain(), self.Domain()))
		if toServer && typ == "get" && len(el.Children) == 1 && el.Children[0].Space == ns.Ping {
			return GuestVerdict{Verdict: Pong}
		}
		return refused
	}
	return refused
}
