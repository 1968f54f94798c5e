package conference

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/parley-im/parley/store"
)

// Pass lets one guest session into one conference. A guest is someone
// without an account: an invitee the host named by e-mail only (their
// join key proves who they are), a host without an account (an instant
// conference's), or a visitor with the conference's link where the
// conference and its site admit guests. The guest's XMPP session runs
// as JID on Options.GuestDomain, logging in with Secret as an
// OAUTHBEARER ticket (BearerVerify) as often as its page reconnects,
// until the pass expires; the session may then only talk to its
// conference's room (GuestPolicy).
type Pass struct {
	JID           string // the guest's bare JID, guest-<random>@<Domain>
	Secret        string // the guest's one-time login secret
	ConferenceID  string
	ParticipantID int64 // the invitation used; 0 for a visitor
	Host          bool
	Name          string // display name
	Expires       time.Time
}

// GuestRequest asks for a guest pass.
type GuestRequest struct {
	ConferenceID  string
	JoinKey       string // a participant's join key; "" for the conference's link
	ConferenceKey string // the conference key, where it has one (not needed by its host)
	Name          string // the display name
}

// maxPasses bounds the guest passes held at once.
const maxPasses = 10000

// passLife is how long a pass lives past the conference's scheduled
// end (a conference may overrun).
const passLife = 12 * time.Hour

// DisplayName checks and cleans a display name: 1 to 64 characters,
// no control characters, spaces trimmed.
func DisplayName(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || utf8.RuneCountInString(s) > 64 || !utf8.ValidString(s) {
		return "", false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", false
		}
	}
	return s, true
}

// GuestPass checks a guest's request and issues a pass into the
// conference. Errors: ErrNotFound, ErrClosed (not open now),
// ErrBadKey (a join key or conference key that does not fit),
// ErrGuestsNotAllowed (registered users only, or an invitation that
// belongs to a registered user, who logs in instead), ErrParticipants
// (too many guests at once).
func (m *Manager) GuestPass(ctx context.Context, r GuestRequest) (Pass, error) {
	var pass Pass
	err := m.with(ctx, strings.TrimSpace(r.ConferenceID), false, func(l *live) error {
		c := l.c
		if err := m.openNow(c); err != nil {
			return err
		}
		name, ok := DisplayName(r.Name)
		pass = Pass{ConferenceID: c.ID, Expires: c.EndAt.Add(passLife)}
		if r.JoinKey != "" {
			p, found := ParticipantByKey(c, r.JoinKey)
			if !found {
				return ErrBadKey
			}
			if p.UserID != "" {
				return fmt.Errorf("%w: this invitation is for %s, who logs in", ErrGuestsNotAllowed, p.UserID)
			}
			pass.ParticipantID, pass.Host = p.ID, p.Role == store.RoleHost
			if !ok {
				name = Name(p)
			}
			if !pass.Host && c.Flags.RegisteredUserOnly {
				return fmt.Errorf("%w: the conference is for registered users only", ErrGuestsNotAllowed)
			}
		} else {
			if c.Flags.RegisteredUserOnly || c.Flags.HostInvitedOnly || c.Flags.EnrollmentRequired || !m.guestsAllowed(ctx, c) {
				return ErrGuestsNotAllowed
			}
			if !ok {
				return fmt.Errorf("%w: a display name (1 to 64 characters) is required", ErrBadKey)
			}
		}
		if !pass.Host {
			if l.locked {
				return fmt.Errorf("%w: the host has locked the conference", ErrClosed)
			}
			if !keyOK(c, r.ConferenceKey) {
				return fmt.Errorf("%w: the conference key is required", ErrBadKey)
			}
		}
		if name == "" {
			name = "Guest"
		}
		pass.Name = name
		return nil
	})
	if err != nil {
		return Pass{}, err
	}
	if m.o.GuestDomain == "" {
		return Pass{}, fmt.Errorf("%w: this server takes no guests", ErrGuestsNotAllowed)
	}
	pass.JID = "guest-" + strings.ToLower(secret(16)) + "@" + m.o.GuestDomain
	pass.Secret = secret(keySecretLen)
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.passes) >= maxPasses {
		for j, p := range m.passes {
			if !now.Before(p.Expires) {
				delete(m.passes, j)
				delete(m.ticket, p.Secret)
			}
		}
		if len(m.passes) >= maxPasses {
			return Pass{}, fmt.Errorf("%w: too many guests at once", ErrParticipants)
		}
	}
	m.passes[pass.JID] = pass
	m.ticket[pass.Secret] = pass.JID
	return pass, nil
}

// pass returns the live pass of a guest JID.
func (m *Manager) pass(bare string) (Pass, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.passes[bare]
	if ok && !m.now().Before(p.Expires) {
		delete(m.passes, bare)
		delete(m.ticket, p.Secret)
		return Pass{}, false
	}
	return p, ok
}

// PassFor returns the live pass of a guest JID (for the guest's login).
func (m *Manager) PassFor(bare string) (Pass, bool) { return m.pass(bare) }

// openNow reports whether conference c may be entered now: not ended,
// its early-join window open, and (until its host comes) its scheduled
// end not passed.
func (m *Manager) openNow(c store.Conference) error {
	now := m.now()
	switch {
	case c.State == store.ConferenceEnded:
		return fmt.Errorf("%w: the conference has ended", ErrClosed)
	case c.State == store.ConferenceScheduled && now.Before(c.StartAt.Add(-m.o.EarlyJoin)):
		return fmt.Errorf("%w: the conference opens at %s UTC", ErrClosed, c.StartAt.Add(-m.o.EarlyJoin).Format("2006-01-02 15:04"))
	case c.State == store.ConferenceScheduled && !now.Before(c.EndAt):
		return fmt.Errorf("%w: the conference's time has passed", ErrClosed)
	}
	return nil
}

// guestsAllowed asks whether the conference's site (or user) admits
// guests now.
func (m *Manager) guestsAllowed(ctx context.Context, c store.Conference) bool {
	return m.o.GuestsAllowed != nil && m.o.GuestsAllowed(ctx, c)
}

// Enrol adds a registered user to a conference that requires enrolment
// (enrollmentRequired), as an attendee, when they give its conference
// key; they may then join like an invitee. Enrolling again returns the
// existing participant. Errors: ErrNotFound, ErrClosed (over),
// ErrNotAllowed (the conference takes no enrolment: only the host's
// invitees), ErrUnknownUser, ErrBadKey, ErrParticipants (full).
func (m *Manager) Enrol(ctx context.Context, id, user, key string) (store.Participant, error) {
	u, err := m.resolveUser(ctx, Person{UserID: user})
	if err != nil {
		return store.Participant{}, err
	}
	if u == "" {
		return store.Participant{}, ErrUnknownUser
	}
	var out store.Participant
	err = m.with(ctx, strings.TrimSpace(id), false, func(l *live) error {
		c := l.c
		switch {
		case c.State == store.ConferenceEnded:
			return fmt.Errorf("%w: the conference has ended", ErrClosed)
		case !c.Flags.EnrollmentRequired:
			return fmt.Errorf("%w: this conference takes no enrolment", ErrNotAllowed)
		case !keyOK(c, key):
			return fmt.Errorf("%w: the conference key is required", ErrBadKey)
		}
		for _, p := range c.Participants {
			if p.UserID == u {
				out = p
				return nil
			}
		}
		if len(c.Participants) > m.o.MaxAttendees {
			return fmt.Errorf("%w: the conference is full", ErrParticipants)
		}
		out = store.Participant{ID: maxID(c) + 1, Role: store.RoleAttendee, UserID: u, KeySecret: secret(keySecretLen), Enrolled: true}
		c.Participants = append(append([]store.Participant(nil), c.Participants...), out)
		prev := l.c
		l.c = c
		if err := m.save(ctx, l); err != nil {
			l.c = prev
			return err
		}
		m.log.Info("conference enrolment", "conference", c.ID, "user", u)
		return nil
	})
	return out, err
}

// GuestsWelcome reports whether people without an account may join the
// conference with its link, by display name: it admits guests
// (REGULAR, PUBLIC) and its site lets guests in now.
func (m *Manager) GuestsWelcome(ctx context.Context, c store.Conference) bool {
	f := c.Flags
	return m.o.GuestDomain != "" && !f.RegisteredUserOnly && !f.HostInvitedOnly && !f.EnrollmentRequired && m.guestsAllowed(ctx, c)
}
