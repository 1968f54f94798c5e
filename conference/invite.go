package conference

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/emersion/go-ical"

	"github.com/parley-im/parley/mail"
	"github.com/parley-im/parley/store"
)

// iTIP methods (RFC 5546) of the invitations.
const (
	MethodRequest = "REQUEST" // an invitation, or its update (a higher SEQUENCE)
	MethodCancel  = "CANCEL"  // the conference is off, or the attendee was taken off
)

// outgoing is one invitation to send.
type outgoing = mail.Message

// httpURL reports whether s is an absolute http or https URL.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// EventUID is the iCalendar UID of a conference, the same in every
// invitation, update and cancellation of it.
func (m *Manager) EventUID(c store.Conference) string {
	domain := m.o.Domain
	if domain == "" {
		domain = "parley"
	}
	return "conference-" + c.ID + "@" + domain
}

// invitations builds one message per participant of to who has an
// e-mail address: the text with their own join link and an iCalendar
// object with method (REQUEST or CANCEL) and the conference's SEQUENCE.
func (m *Manager) invitations(c store.Conference, base, method string, to []store.Participant) []outgoing {
	var out []outgoing
	for _, p := range to {
		if p.Email == "" {
			continue
		}
		cal, err := m.calendar(c, base, method, p)
		if err != nil {
			m.log.Error("conference invitation", "conference", c.ID, "err", err)
			continue
		}
		out = append(out, outgoing{To: address(p), Subject: subject(c, method), Text: m.inviteText(c, base, method, p),
			Calendar: cal, Method: method})
	}
	return out
}

// send sends invitations; no relay is mail.ErrNoRelay.
func (m *Manager) send(ctx context.Context, msgs []outgoing) error {
	if len(msgs) == 0 {
		return nil
	}
	if m.o.Mail == nil || !m.o.Mail.Enabled() {
		return mail.ErrNoRelay
	}
	return m.o.Mail.Send(ctx, msgs...)
}

func address(p store.Participant) string {
	name := strings.TrimSpace(p.FirstName + " " + p.LastName)
	if name == "" {
		return p.Email
	}
	return fmt.Sprintf("%q <%s>", name, p.Email)
}

func title(c store.Conference) string {
	if c.Title != "" {
		return c.Title
	}
	return "Conference " + c.ID
}

func subject(c store.Conference, method string) string {
	switch {
	case method == MethodCancel:
		return "Cancelled: " + title(c)
	case c.Sequence > 0:
		return "Updated invitation: " + title(c)
	}
	return "Invitation: " + title(c)
}

// inviteText is the plain-text body of an invitation.
func (m *Manager) inviteText(c store.Conference, base, method string, p store.Participant) string {
	var b strings.Builder
	if method == MethodCancel {
		fmt.Fprintf(&b, "The conference %q (%s) will not take place, or you are no longer invited to it.\n", title(c), when(c))
		return b.String()
	}
	host := Host(c)
	if p.Role == store.RoleHost {
		fmt.Fprintf(&b, "You host the conference %q.\n\n", title(c))
	} else {
		fmt.Fprintf(&b, "%s invites you to the conference %q.\n\n", Name(host), title(c))
	}
	fmt.Fprintf(&b, "When: %s\n", when(c))
	if c.Desc != "" {
		fmt.Fprintf(&b, "\n%s\n", c.Desc)
	}
	fmt.Fprintf(&b, "\nJoin: %s\n", JoinURL(base, c, p))
	if p.UserID != "" {
		fmt.Fprintf(&b, "(log in as %s)\n", p.UserID)
	}
	if c.Key != "" && p.Role != store.RoleHost {
		fmt.Fprintf(&b, "Conference key: %s\n", c.Key)
	}
	if c.DialIn != "" {
		fmt.Fprintf(&b, "Dial-in: %s\n", c.DialIn)
	}
	if m.o.EarlyJoin > 0 {
		fmt.Fprintf(&b, "You may join up to %d minutes before the start.\n", int(m.o.EarlyJoin.Minutes()))
	}
	if c.Flags.PublishAttendees {
		b.WriteString("\nAttendees:\n")
		for _, a := range c.Participants {
			fmt.Fprintf(&b, "  %s\n", Name(a))
		}
	}
	return b.String()
}

func when(c store.Conference) string {
	return fmt.Sprintf("%s to %s UTC", c.StartAt.UTC().Format("Mon 2 Jan 2006 15:04"), c.EndAt.UTC().Format("15:04"))
}

// calendar is the iCalendar object of an invitation to p: one VEVENT
// with the conference's UID, SEQUENCE, times, organizer (the host, or
// the sender) and attendees (p, or everyone with publishAttendees).
func (m *Manager) calendar(c store.Conference, base, method string, p store.Participant) ([]byte, error) {
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, "-//Parley//Conferences//EN")
	cal.Props.SetText(ical.PropMethod, method)
	ev := ical.NewEvent()
	ev.Props.SetText(ical.PropUID, m.EventUID(c))
	ev.Props.SetDateTime(ical.PropDateTimeStamp, m.now())
	ev.Props.SetDateTime(ical.PropDateTimeStart, c.StartAt.UTC())
	ev.Props.SetDateTime(ical.PropDateTimeEnd, c.EndAt.UTC())
	ev.Props.SetText(ical.PropSummary, title(c))
	seq := ical.NewProp(ical.PropSequence)
	seq.Value = fmt.Sprint(c.Sequence)
	seq.SetValueType(ical.ValueInt)
	ev.Props.Set(seq)
	join := JoinURL(base, c, p)
	if u, err := url.Parse(join); err == nil && method != MethodCancel {
		ev.Props.SetURI(ical.PropURL, u)
		ev.Props.SetText(ical.PropLocation, join)
	}
	ev.Props.SetText(ical.PropDescription, m.inviteText(c, base, method, p))
	status := "CONFIRMED"
	if method == MethodCancel {
		status = "CANCELLED"
	}
	ev.Props.SetText(ical.PropStatus, status)
	host := Host(c)
	org := ical.NewProp(ical.PropOrganizer)
	if host.Email != "" {
		org.Value = "mailto:" + host.Email
		org.Params.Set(ical.ParamCommonName, Name(host))
	} else {
		org.Value = "mailto:" + m.senderAddress()
		org.Params.Set(ical.ParamCommonName, "Parley")
	}
	ev.Props.Set(org)
	for _, a := range c.Participants {
		if a.Email == "" || (!c.Flags.PublishAttendees && a.ID != p.ID) {
			continue
		}
		at := ical.NewProp(ical.PropAttendee)
		at.Value = "mailto:" + a.Email
		at.Params.Set(ical.ParamCommonName, Name(a))
		role := "REQ-PARTICIPANT"
		if a.Role == store.RoleHost {
			role = "CHAIR"
		}
		at.Params.Set(ical.ParamRole, role)
		if method == MethodRequest && a.ID == p.ID && a.Role != store.RoleHost {
			at.Params.Set(ical.ParamRSVP, "TRUE")
			at.Params.Set(ical.ParamParticipationStatus, "NEEDS-ACTION")
		}
		ev.Props.Add(at)
	}
	cal.Children = append(cal.Children, ev.Component)
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// senderAddress is the relay's From address, for an organizer without
// an e-mail address of their own.
func (m *Manager) senderAddress() string {
	if m.o.Mail != nil {
		if a := m.o.Mail.FromAddress(); a != "" {
			return a
		}
	}
	return "noreply@" + m.o.Domain
}

// IsNoRelay reports whether err says no relay is configured.
func IsNoRelay(err error) bool { return errors.Is(err, mail.ErrNoRelay) }
