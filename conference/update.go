package conference

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parley-im/parley/store"
)

// Update changes a scheduled conference (updateConference). Fields the
// request leaves out are kept. Attendees who stay keep their join keys;
// with invitations on, everyone is sent the new version (a new
// SEQUENCE) and the attendees taken off a cancellation.
func (m *Manager) Update(ctx context.Context, caller Caller, s Spec, base string) (Result, error) {
	if s.SiteID != "" && s.SiteID != caller.Site {
		return Result{}, ErrSiteMismatch
	}
	id := strings.TrimSpace(s.ID)
	if id == "" {
		return Result{}, ErrIDMissing
	}
	if err := checkText(s); err != nil {
		return Result{}, err
	}
	var res Result
	var out []outgoing
	err := m.with(ctx, id, false, func(l *live) error {
		cur := l.c
		if !caller.owns(cur) {
			return ErrNotFound
		}
		if cur.State != store.ConferenceScheduled {
			return fmt.Errorf("%w: it is %s", ErrCannotChange, strings.ReplaceAll(cur.State, "_", " "))
		}
		c := cur
		c.Participants = append([]store.Participant(nil), cur.Participants...)
		start, end := cur.StartAt, cur.EndAt
		if s.Start != nil {
			start = s.Start.UTC()
		}
		if s.End != nil {
			end = s.End.UTC()
		}
		if err := m.checkTimes(start, end, !start.Equal(cur.StartAt)); err != nil {
			return err
		}
		c.StartAt, c.EndAt = start, end
		f, typ, err := flags(cur.Flags, s)
		if err != nil {
			return err
		}
		if typ == TypePublic && cur.Type != TypePublic && !caller.GuestsAllowed {
			return ErrPublicNotAllowed
		}
		c.Flags, c.Type = f, typ
		if s.Key != nil {
			c.Key = *s.Key
		}
		if err := checkKey(caller, f, c.Key); err != nil {
			return err
		}
		for _, u := range []struct {
			in  string
			out *string
		}{{s.Title, &c.Title}, {s.Description, &c.Desc}, {s.DialIn, &c.DialIn}, {s.HostExitURL, &c.URLs.HostExit},
			{s.AttendeeExitURL, &c.URLs.AttendeeExit}, {s.AttendeeStartURL, &c.URLs.AttendeeStart}} {
			if u.in != "" {
				*u.out = u.in
			}
		}
		host := Host(cur)
		hostChanged := false
		if s.Host != nil && !s.Host.empty() {
			h, err := m.host(ctx, caller, s.Host)
			if err != nil {
				return err
			}
			if h.UserID != host.UserID || (h.UserID == "" && !strings.EqualFold(h.Email, host.Email)) {
				h.KeySecret = secret(keySecretLen) // a new host: the old host link stops working
			} else {
				h.KeySecret = host.KeySecret
			}
			h.Role, h.ID = store.RoleHost, host.ID
			hostChanged = h.UserID != host.UserID
			host = h
		}
		old := attendeesOf(cur)
		atts := old
		if len(s.Attendees) > 0 {
			fresh, skipped, err := m.attendees(ctx, f, host, s.Attendees)
			if err != nil {
				return err
			}
			res.Skipped = skipped
			atts = keepKeys(old, fresh, maxID(cur))
		} else if f.RegisteredUserOnly {
			// The flags changed under the kept attendees: guests go.
			atts = nil
			for _, a := range old {
				if a.UserID != "" {
					atts = append(atts, a)
				} else {
					res.Skipped = append(res.Skipped, Name(a)+": not a registered user, and the conference is for registered users only")
				}
			}
		}
		c.Participants = append([]store.Participant{host}, atts...)
		if f.SendInvitations {
			c.Sequence++
		}
		l.c = c
		if err := m.save(ctx, l); err != nil {
			l.c = cur
			return err
		}
		if (hostChanged || c.Title != cur.Title) && c.RoomJID != "" {
			// The room's owner is the host and its subject the title:
			// store it anew (nobody is in it before the host comes, but
			// early joiners).
			if err := m.putRoom(ctx, c); err != nil {
				m.log.Warn("conference room owner not changed", "conference", c.ID, "err", err)
			}
		}
		res.Conference, res.HostURL, res.AttendeeURL = c, JoinURL(base, c, host), AttendeeURL(base, c)
		if f.SendInvitations {
			out = append(out, m.invitations(c, base, MethodRequest, c.Participants)...)
			out = append(out, m.invitations(c, base, MethodCancel, removed(cur.Participants, c.Participants))...)
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	m.log.Info("conference updated", "conference", id, "sequence", res.Conference.Sequence)
	if res.Conference.Flags.SendInvitations {
		res.InviteErr = m.send(ctx, out)
	}
	return res, nil
}

func attendeesOf(c store.Conference) []store.Participant {
	var out []store.Participant
	for _, p := range c.Participants {
		if p.Role != store.RoleHost {
			out = append(out, p)
		}
	}
	return out
}

func maxID(c store.Conference) int64 {
	var n int64
	for _, p := range c.Participants {
		n = max(n, p.ID)
	}
	return n
}

// keepKeys gives the new attendees who were already invited (the same
// user, or the same e-mail address for a guest) their ID and join key,
// and the others new ones.
func keepKeys(old, fresh []store.Participant, lastID int64) []store.Participant {
	match := func(a, b store.Participant) bool {
		if a.UserID != "" || b.UserID != "" {
			return a.UserID == b.UserID
		}
		return strings.EqualFold(a.Email, b.Email)
	}
	out := make([]store.Participant, 0, len(fresh))
	for _, f := range fresh {
		for _, o := range old {
			if match(o, f) {
				f.ID, f.KeySecret, f.Enrolled = o.ID, o.KeySecret, o.Enrolled
				break
			}
		}
		if f.ID == 0 {
			lastID++
			f.ID, f.KeySecret = lastID, secret(keySecretLen)
		}
		out = append(out, f)
	}
	return out
}

// removed lists the participants of before that after does not have.
func removed(before, after []store.Participant) []store.Participant {
	var out []store.Participant
	for _, b := range before {
		gone := true
		for _, a := range after {
			if a.ID == b.ID && a.KeySecret == b.KeySecret {
				gone = false
				break
			}
		}
		if gone {
			out = append(out, b)
		}
	}
	return out
}

// Delete deletes a conference that is not in progress
// (deleteConference): its record, attendance and timeline, its room and
// its guests' passes. With invitations on, the invitees of a conference
// still to come are sent a cancellation.
func (m *Manager) Delete(ctx context.Context, caller Caller, id, base string) error {
	id = strings.TrimSpace(id)
	if id == "" {
		return ErrIDMissing
	}
	var out []outgoing
	err := m.with(ctx, id, false, func(l *live) error {
		c := l.c
		if !caller.owns(c) {
			return ErrNotFound
		}
		if c.State == store.ConferenceInProgress {
			return fmt.Errorf("%w: it is in progress", ErrCannotChange)
		}
		if c.State == store.ConferenceScheduled && c.Flags.SendInvitations {
			c.Sequence++
			out = m.invitations(c, base, MethodCancel, c.Participants)
		}
		if err := m.o.Store.DeleteConference(ctx, id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return ErrNotFound
			}
			return err
		}
		clear(l.present)
		l.loaded = false
		l.destroy = c.State == store.ConferenceScheduled
		return nil
	})
	if err != nil {
		return err
	}
	m.mu.Lock()
	for j, p := range m.passes {
		if p.ConferenceID == id {
			delete(m.passes, j)
			delete(m.ticket, p.Secret)
		}
	}
	m.mu.Unlock()
	m.log.Info("conference deleted", "conference", id)
	if len(out) > 0 {
		if err := m.send(ctx, out); err != nil {
			m.log.Warn("conference cancellations not sent", "conference", id, "err", err)
		}
	}
	return nil
}

// Filter narrows listUpcomingConferences.
type Filter struct {
	User               string // a participant (host or attendee); "" for any
	RegisteredUserOnly *bool
	PubliclyListed     *bool
	HostInvitedOnly    *bool
	From, To           *time.Time // bounds of the scheduled start
	Limit              int        // at most this many; 0 for no limit
}

// Upcoming lists the caller's conferences that have not ended, by start
// (listUpcomingConferences): a site's own, or those a user takes part
// in. A user may filter on themselves only (ErrNotAllowed otherwise); a
// site on any registered user (ErrUnknownUser for no such user).
func (m *Manager) Upcoming(ctx context.Context, caller Caller, f Filter) ([]store.Conference, error) {
	q := store.ConferenceQuery{States: []string{store.ConferenceScheduled, store.ConferenceInProgress}}
	if f.From != nil {
		q.StartFrom = f.From.UTC()
	}
	if f.To != nil {
		q.StartTo = f.To.UTC()
	}
	if caller.Site != "" {
		q.SiteID = caller.Site
	} else {
		q.User = caller.User
	}
	if strings.TrimSpace(f.User) != "" {
		u, err := m.resolveUser(ctx, Person{UserID: f.User})
		if err != nil {
			return nil, err
		}
		if caller.Site == "" && u != caller.User {
			return nil, ErrNotAllowed
		}
		q.User = u
	}
	all, err := m.o.Store.ListConferences(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]store.Conference, 0, len(all))
	for _, c := range all {
		if (f.RegisteredUserOnly != nil && c.Flags.RegisteredUserOnly != *f.RegisteredUserOnly) ||
			(f.PubliclyListed != nil && c.Flags.PubliclyListed != *f.PubliclyListed) ||
			(f.HostInvitedOnly != nil && c.Flags.HostInvitedOnly != *f.HostInvitedOnly) {
			continue
		}
		out = append(out, c)
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out, nil
}
