package conference

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"net/mail"
	"strings"
	"time"

	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
)

const (
	// startSlack: a start this far in the past is still taken as "now"
	// (clocks differ; a request takes time).
	startSlack = 5 * time.Minute
	// maxAhead: how far ahead a conference may be scheduled.
	maxAhead = 2 * 366 * 24 * time.Hour
	// roomHistory: chat messages a room sends to people who join late.
	roomHistory = 50
	// maxText bounds titles, descriptions, dial-in text and URLs.
	maxText = 4000
)

func boolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

// flags resolves the request's flags and meeting type over the
// conference's current ones (the seed's defaults for a new one).
func flags(cur store.ConferenceFlags, s Spec) (store.ConferenceFlags, string, error) {
	f := cur
	typ := strings.ToUpper(strings.TrimSpace(s.Type))
	switch typ {
	case "":
	case TypeRegular:
		f.RegisteredUserOnly, f.HostInvitedOnly, f.PubliclyListed = false, false, false
	case TypePublic:
		f.RegisteredUserOnly, f.HostInvitedOnly, f.PubliclyListed = false, false, true
	case TypeRegistered:
		f.RegisteredUserOnly, f.HostInvitedOnly = true, false
	case TypeRestricted:
		f.RegisteredUserOnly, f.HostInvitedOnly = true, true
	default:
		return f, "", fmt.Errorf("%w: unknown meeting type %q (REGULAR, PUBLIC, RESTRICTED or REGISTERED)", ErrNotCreated, s.Type)
	}
	f.RegisteredUserOnly = boolOr(s.RegisteredUserOnly, f.RegisteredUserOnly)
	f.PubliclyListed = boolOr(s.PubliclyListed, f.PubliclyListed)
	// hostInvitedOnly defaults to true, but not where registeredUserOnly
	// is false (which it requires).
	if s.HostInvitedOnly != nil {
		f.HostInvitedOnly = *s.HostInvitedOnly
	} else if s.RegisteredUserOnly != nil && typ == "" {
		f.HostInvitedOnly = *s.RegisteredUserOnly
	}
	f.EnrollmentRequired = boolOr(s.EnrollmentRequired, f.EnrollmentRequired)
	f.PublishAttendees = boolOr(s.PublishAttendees, f.PublishAttendees)
	f.SendInvitations = boolOr(s.SendInvitations, f.SendInvitations)
	switch {
	case f.HostInvitedOnly && !f.RegisteredUserOnly:
		return f, "", fmt.Errorf("%w: hostInvitedOnly requires registeredUserOnly", ErrNotCreated)
	case f.EnrollmentRequired && !f.RegisteredUserOnly:
		return f, "", fmt.Errorf("%w: enrollmentRequired requires registeredUserOnly", ErrNotCreated)
	}
	got := typeOf(f)
	if typ != "" && got != typ {
		return f, "", fmt.Errorf("%w: meeting type %s contradicts the flags (they make it %s)", ErrNotCreated, typ, got)
	}
	return f, got, nil
}

// seedDefaults are the flags of a new conference before the request's.
var seedDefaults = store.ConferenceFlags{RegisteredUserOnly: true, HostInvitedOnly: true}

// normalizeUser turns a user ID into a bare JID ("alice" is
// alice@<Domain>).
func (m *Manager) normalizeUser(id string) (string, error) {
	id = strings.TrimSpace(id)
	if !strings.Contains(id, "@") && m.o.Domain != "" {
		id += "@" + m.o.Domain
	}
	j, err := jid.Parse(id)
	if err != nil || j.Local() == "" || !j.IsBare() {
		return "", fmt.Errorf("%w: %q is not a user ID", ErrUnknownUser, id)
	}
	return j.String(), nil
}

// resolveUser finds the registered user a person names by ID or GUID
// ("" when it names none).
func (m *Manager) resolveUser(ctx context.Context, p Person) (string, error) {
	guid := strings.ToUpper(strings.TrimSpace(p.UserGUID))
	if strings.TrimSpace(p.UserID) != "" {
		u, err := m.normalizeUser(p.UserID)
		if err != nil {
			return "", err
		}
		if _, err := m.o.Store.User(ctx, u); errors.Is(err, store.ErrNotFound) {
			return "", fmt.Errorf("%w: %s", ErrUnknownUser, u)
		} else if err != nil {
			return "", err
		}
		if guid != "" && guid != UserGUID(u) {
			return "", fmt.Errorf("%w: %s is not the GUID of %s", ErrUnknownGUID, guid, u)
		}
		return u, nil
	}
	if guid == "" {
		return "", nil
	}
	users, err := m.o.Store.ListUsers(ctx, "")
	if err != nil {
		return "", err
	}
	for _, u := range users {
		if UserGUID(u) == guid {
			return u, nil
		}
	}
	return "", fmt.Errorf("%w: %s", ErrUnknownGUID, guid)
}

// participant builds a participant from a person whose registered user
// is userID ("" for a guest).
func participant(p Person, userID string) store.Participant {
	return store.Participant{FirstName: strings.TrimSpace(p.FirstName), LastName: strings.TrimSpace(p.LastName),
		Email: strings.TrimSpace(p.Email), UserID: userID}
}

func validEmail(s string) bool {
	if s == "" {
		return true
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// host resolves the request's host for caller.
func (m *Manager) host(ctx context.Context, caller Caller, p *Person) (store.Participant, error) {
	if p == nil || p.empty() {
		if caller.User != "" {
			return store.Participant{UserID: caller.User}, nil
		}
		return store.Participant{}, ErrHostMissing
	}
	u, err := m.resolveUser(ctx, *p)
	if err != nil {
		return store.Participant{}, err
	}
	if caller.User != "" && u != caller.User {
		return store.Participant{}, ErrNotHost
	}
	h := participant(*p, u)
	if !validEmail(h.Email) {
		return store.Participant{}, fmt.Errorf("%w: the host's e-mail address %q is not valid", ErrHostMissing, h.Email)
	}
	return h, nil
}

// attendees resolves the request's attendees. Those that cannot take
// part are left out and named in skipped.
func (m *Manager) attendees(ctx context.Context, f store.ConferenceFlags, host store.Participant, in []Person) (out []store.Participant, skipped []string, err error) {
	if len(in) > m.o.MaxAttendees {
		return nil, nil, fmt.Errorf("%w: %d attendees, at most %d", ErrParticipants, len(in), m.o.MaxAttendees)
	}
	seen := map[string]bool{}
	if host.UserID != "" {
		seen["u:"+host.UserID] = true
	}
	if host.Email != "" {
		seen["e:"+strings.ToLower(host.Email)] = true
	}
	for i, p := range in {
		label := fmt.Sprintf("attendee %d", i+1)
		if p.Email != "" || p.UserID != "" {
			label += " (" + strings.TrimSpace(p.UserID+" "+p.Email) + ")"
		}
		if p.empty() {
			skipped = append(skipped, label+": empty")
			continue
		}
		u, err := m.resolveUser(ctx, p)
		switch {
		case errors.Is(err, ErrUnknownUser), errors.Is(err, ErrUnknownGUID):
			skipped = append(skipped, label+": "+strings.TrimPrefix(err.Error(), "conference: "))
			continue
		case err != nil:
			return nil, nil, err
		}
		a := participant(p, u)
		a.Role = store.RoleAttendee
		key := "u:" + u
		if u == "" {
			key = "e:" + strings.ToLower(a.Email)
		}
		switch {
		case !validEmail(a.Email):
			skipped = append(skipped, label+": not a valid e-mail address")
		case u == "" && f.RegisteredUserOnly:
			skipped = append(skipped, label+": not a registered user, and the conference is for registered users only")
		case u == "" && a.Email == "":
			skipped = append(skipped, label+": neither a user ID nor an e-mail address")
		case seen[key]:
			skipped = append(skipped, label+": listed twice")
		default:
			seen[key] = true
			out = append(out, a)
		}
	}
	return out, skipped, nil
}

// checkText bounds a request's free text.
func checkText(s Spec) error {
	for _, v := range []string{s.Title, s.Description, s.DialIn, s.HostExitURL, s.AttendeeExitURL, s.AttendeeStartURL} {
		if len(v) > maxText {
			return fmt.Errorf("%w: a text or URL is longer than %d bytes", ErrNotCreated, maxText)
		}
	}
	for _, u := range []string{s.HostExitURL, s.AttendeeExitURL, s.AttendeeStartURL} {
		if u != "" && !httpURL(u) {
			return fmt.Errorf("%w: %q is not an http or https URL", ErrNotCreated, u)
		}
	}
	return nil
}

// checkKey applies the key rules: required by the caller's settings or
// by enrolment, and a valid key when given.
func checkKey(caller Caller, f store.ConferenceFlags, key string) error {
	switch {
	case key != "" && !validKey(key):
		return fmt.Errorf("%w: a conference key is 1 to 64 printable characters", ErrKey)
	case key == "" && caller.KeyRequired:
		return fmt.Errorf("%w: this site requires a conference key", ErrKey)
	case key == "" && f.EnrollmentRequired:
		return fmt.Errorf("%w: a conference that requires enrolment requires a conference key", ErrKey)
	}
	return nil
}

// checkTimes applies the schedule rules; checkStart is false when an
// update keeps the start.
func (m *Manager) checkTimes(start, end time.Time, checkStart bool) error {
	now := m.now()
	if checkStart && (start.Before(now.Add(-startSlack)) || start.After(now.Add(maxAhead))) {
		return fmt.Errorf("%w: the start must be between now and two years ahead", ErrStartTime)
	}
	if !end.After(start) {
		return fmt.Errorf("%w: the end must be after the start", ErrEndTime)
	}
	if end.Sub(start) > m.o.MaxDuration {
		return fmt.Errorf("%w: a conference lasts at most %v", ErrEndTime, m.o.MaxDuration)
	}
	return nil
}

// newID returns a random 10-digit conference ID.
func newID() string {
	n, err := rand.Int(rand.Reader, big.NewInt(9_000_000_000))
	if err != nil {
		panic(err)
	}
	return fmt.Sprint(1_000_000_000 + n.Int64())
}

// Schedule schedules a conference for caller (scheduleConference). base
// is the server's URL as the caller reached it, for the join URLs.
func (m *Manager) Schedule(ctx context.Context, caller Caller, s Spec, base string) (Result, error) {
	return m.schedule(ctx, caller, s, base, false)
}

func (m *Manager) schedule(ctx context.Context, caller Caller, s Spec, base string, instant bool) (Result, error) {
	if s.SiteID != "" && s.SiteID != caller.Site {
		return Result{}, ErrSiteMismatch
	}
	if strings.TrimSpace(s.ID) != "" {
		return Result{}, fmt.Errorf("%w: the server assigns the conference ID (to change a conference, update it)", ErrNotCreated)
	}
	switch {
	case s.Start == nil:
		return Result{}, ErrStartMissing
	case s.End == nil:
		return Result{}, ErrEndMissing
	}
	start, end := s.Start.UTC(), s.End.UTC()
	if err := m.checkTimes(start, end, true); err != nil {
		return Result{}, err
	}
	if err := checkText(s); err != nil {
		return Result{}, err
	}
	f, typ, err := flags(seedDefaults, s)
	if err != nil {
		return Result{}, err
	}
	if typ == TypePublic && !caller.GuestsAllowed {
		return Result{}, ErrPublicNotAllowed
	}
	key := ""
	if s.Key != nil {
		key = *s.Key
	}
	if err := checkKey(caller, f, key); err != nil {
		return Result{}, err
	}
	host, err := m.host(ctx, caller, s.Host)
	if err != nil {
		return Result{}, err
	}
	host.Role, host.ID, host.KeySecret = store.RoleHost, 1, secret(keySecretLen)
	atts, skipped, err := m.attendees(ctx, f, host, s.Attendees)
	if err != nil {
		return Result{}, err
	}
	now := m.now()
	c := store.Conference{SiteID: caller.Site, Title: strings.TrimSpace(s.Title), Desc: s.Description, Type: typ,
		Key: key, DialIn: s.DialIn, Flags: f, Instant: instant,
		URLs:    store.ConferenceURLs{HostExit: s.HostExitURL, AttendeeExit: s.AttendeeExitURL, AttendeeStart: s.AttendeeStartURL},
		StartAt: start, EndAt: end, State: store.ConferenceScheduled, CreatedAt: now, UpdatedAt: now}
	if caller.Site == "" {
		c.Owner = caller.User
	}
	c.Participants = append([]store.Participant{host}, atts...)
	for i := range c.Participants[1:] {
		p := &c.Participants[i+1]
		p.ID, p.KeySecret = int64(i+2), secret(keySecretLen)
	}
	if err := m.create(ctx, &c); err != nil {
		return Result{}, err
	}
	m.log.Info("conference scheduled", "conference", c.ID, "site", c.SiteID, "owner", c.Owner, "start", c.StartAt, "attendees", len(atts))
	res := Result{Conference: c, Skipped: skipped, HostURL: JoinURL(base, c, host), AttendeeURL: AttendeeURL(base, c)}
	if f.SendInvitations {
		res.InviteErr = m.send(ctx, m.invitations(c, base, MethodRequest, c.Participants))
	}
	return res, nil
}

// create stores a new conference under a fresh ID, with its room.
func (m *Manager) create(ctx context.Context, c *store.Conference) error {
	for try := 0; ; try++ {
		c.ID = newID()
		if m.o.MUCDomain != "" {
			c.RoomJID = RoomJID(c.ID, m.o.MUCDomain)
			if _, err := m.o.Store.Room(ctx, c.RoomJID); err == nil {
				continue // someone's room has the name: take another ID
			}
		}
		err := m.o.Store.CreateConference(ctx, *c)
		if errors.Is(err, store.ErrExists) && try < 5 {
			continue
		}
		if err != nil {
			return err
		}
		break
	}
	if c.RoomJID == "" {
		return nil
	}
	if err := m.putRoom(ctx, *c); err != nil {
		m.o.Store.DeleteConference(context.WithoutCancel(ctx), c.ID)
		return fmt.Errorf("conference room: %w", err)
	}
	return nil
}

// putRoom stores the conference's room: hidden, persistent, owned by
// the host when the host has an account (so that the host's own XMPP
// client may end the conference by destroying the room). It keeps no
// archive of its own: the conference's timeline records the chat (one
// write per message, not two: BenchmarkRoomMessage), and the room's
// recent history (roomHistory messages) is sent to whoever joins late.
// Admission is the Manager's (Admit), not the room's.
func (m *Manager) putRoom(ctx context.Context, c store.Conference) error {
	// The room's name is what any XMPP user may read (disco#info): the
	// conference's ID only. Its title is the room's subject, which only
	// the people in the room see.
	name := "Conference " + c.ID
	var owners []string
	if h := Host(c); h.UserID != "" {
		owners = []string{h.UserID}
	}
	room, err := muc.NewPersistentRoom(jid.MustParse(c.RoomJID), muc.RoomOptions{Name: name,
		Public: false, Archive: false, MaxUsers: m.o.MaxOccupants, HistoryLength: roomHistory, Owners: owners, Subject: title(c), System: true})
	if err != nil {
		return err
	}
	return m.o.Store.PutRoom(ctx, room)
}

// InstantSpec is what the Instant Conference service asks for.
type InstantSpec struct {
	Type             string
	Key              string
	Title            string
	HostExitURL      string
	AttendeeExitURL  string
	AttendeeStartURL string
}

// Instant creates a conference that starts now (the Instant Conference
// service), REGULAR unless another type is asked for; its host is
// whoever holds the host's join URL.
func (m *Manager) Instant(ctx context.Context, caller Caller, in InstantSpec, base string) (Result, error) {
	now := m.now()
	end := now.Add(m.o.InstantLength)
	typ := in.Type
	if strings.TrimSpace(typ) == "" {
		typ = TypeRegular
	}
	title := strings.TrimSpace(in.Title)
	if title == "" {
		title = "Instant conference"
	}
	s := Spec{Title: title, Type: typ, Start: &now, End: &end, Host: &Person{FirstName: "Host"},
		HostExitURL: in.HostExitURL, AttendeeExitURL: in.AttendeeExitURL, AttendeeStartURL: in.AttendeeStartURL}
	if in.Key != "" {
		s.Key = &in.Key
	}
	if caller.User != "" {
		s.Host = nil // a user's instant conference is their own
	}
	return m.schedule(ctx, caller, s, base, true)
}
