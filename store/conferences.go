package store

import (
	"context"
	"time"
)

// Conference states: a conference is scheduled until its host joins,
// in progress until it ends, then ended (with an EndReason).
const (
	ConferenceScheduled  = "scheduled"
	ConferenceInProgress = "in_progress"
	ConferenceEnded      = "ended"
)

// Participant roles.
const (
	RoleHost     = "host"
	RoleAttendee = "attendee"
)

// Conference is a web conference (seed 001 chapter 3, Pre-Conference
// Management) as package conference saves it: its schedule and flags,
// its host and invited attendees, and where its lifecycle stands.
type Conference struct {
	ID       string // unique; assigned by package conference
	SiteID   string // the site that scheduled it; "" when a user did
	Owner    string // the user who scheduled it (bare JID); "" when a site did
	Title    string
	Desc     string
	Type     string // meeting type: REGULAR, PUBLIC, RESTRICTED or REGISTERED
	Instant  bool   // created by the Instant Conference service
	Key      string // the conference key ("" for none)
	DialIn   string // dial-in information, shown in invitations
	RoomJID  string // bare JID of the conference's chat room
	Flags    ConferenceFlags
	URLs     ConferenceURLs
	StartAt  time.Time // scheduled start
	EndAt    time.Time // scheduled end
	State    string    // ConferenceScheduled, ConferenceInProgress, ConferenceEnded
	EndCause string    // why it ended (GRACEFUL, ABANDONED, ...); "" until then
	// StartedAt is when the host first joined; EndedAt when it ended.
	// Zero until then.
	StartedAt time.Time
	EndedAt   time.Time
	// Sequence counts the updates sent to invitees (iCalendar SEQUENCE).
	Sequence     int
	Participants []Participant // the host first, then attendees in ID order
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// ConferenceFlags are the seed's scheduling flags (Table 3-22).
type ConferenceFlags struct {
	RegisteredUserOnly bool
	PubliclyListed     bool
	HostInvitedOnly    bool
	EnrollmentRequired bool
	PublishAttendees   bool
	SendInvitations    bool // sendEmailNotification
}

// ConferenceURLs are the pages the host's and attendees' browsers are
// sent to when they join or when the conference ends ("" for none).
type ConferenceURLs struct {
	HostExit      string
	AttendeeExit  string
	AttendeeStart string
}

// Participant is the host or an invited (or enrolled) attendee of a
// conference.
type Participant struct {
	ID        int64  // unique within the conference; assigned by the caller
	Role      string // RoleHost or RoleAttendee
	FirstName string
	LastName  string
	Email     string
	UserID    string // the registered user's bare JID; "" for a guest
	// KeySecret is the secret half of the participant's join key
	// ("<ID>_<KeySecret>"); compared in constant time.
	KeySecret string
	Enrolled  bool // added by enrolment, not by the host
}

// ConferenceQuery selects conferences. Every set field narrows the
// selection; the result is ordered by scheduled start, then ID.
type ConferenceQuery struct {
	SiteID string   // scheduled by this site
	Owner  string   // scheduled by this user
	User   string   // this user (bare JID) is a participant (host or attendee)
	IDs    []string // only these
	States []string // in one of these states
	// StartFrom and StartTo bound the scheduled start (inclusive).
	StartFrom, StartTo time.Time
	// EndedFrom and EndedTo bound the actual end (inclusive); set either
	// to select ended conferences only.
	EndedFrom, EndedTo time.Time
	Limit              int // at most this many; 0 for no limit
}

// Attendance is one stay of one person in a conference: entering the
// conference's room and leaving it.
type Attendance struct {
	ID            int64 // assigned by the store
	ConferenceID  string
	ParticipantID int64  // the invitation it used; 0 for none
	JID           string // bare JID of the session (a user's, or a guest's)
	UserID        string // the registered user's bare JID; "" for a guest
	Name          string // display name (the room nickname)
	Email         string
	Guest         bool
	Host          bool
	Entered       time.Time
	Exited        time.Time // zero while still in
}

// ConferenceEvent is one entry of a conference's timeline (its
// recording): joins, leaves, chat, shared links, raised hands, the
// conference starting and ending.
type ConferenceEvent struct {
	Seq          int64 // assigned by the store; grows within a conference
	ConferenceID string
	At           time.Time // stored to the microsecond
	Kind         string    // join, leave, chat, link, hand, start, end, ...
	Nick         string    // who (the room nickname); "" for the conference itself
	Text         string    // chat body, link URL, end reason, ...
}

// Conferences stores web conferences, their attendance and timelines.
type Conferences interface {
	// CreateConference stores a new conference with its participants;
	// ErrExists if its ID is taken.
	CreateConference(ctx context.Context, c Conference) error
	// Conference returns a conference with its participants, or
	// ErrNotFound.
	Conference(ctx context.Context, id string) (Conference, error)
	// UpdateConference replaces a conference and its participants
	// (CreatedAt is kept); ErrNotFound if absent.
	UpdateConference(ctx context.Context, c Conference) error
	// DeleteConference removes a conference with its participants,
	// attendance and timeline; ErrNotFound if absent.
	DeleteConference(ctx context.Context, id string) error
	// ListConferences returns the conferences q selects.
	ListConferences(ctx context.Context, q ConferenceQuery) ([]Conference, error)

	// AddAttendance records a stay (ID ignored) and returns its ID;
	// ErrNotFound if the conference does not exist.
	AddAttendance(ctx context.Context, a Attendance) (int64, error)
	// EndAttendance sets the exit time of a stay that has none;
	// ErrNotFound if there is no such open stay.
	EndAttendance(ctx context.Context, conferenceID string, id int64, at time.Time) error
	// EndAllAttendance sets the exit time of every open stay of a
	// conference and returns how many it closed.
	EndAllAttendance(ctx context.Context, conferenceID string, at time.Time) (int64, error)
	// Attendance returns a conference's stays in the order they began.
	Attendance(ctx context.Context, conferenceID string) ([]Attendance, error)

	// AppendConferenceEvent adds an event (Seq ignored) to a
	// conference's timeline and returns its Seq; ErrNotFound if the
	// conference does not exist.
	AppendConferenceEvent(ctx context.Context, e ConferenceEvent) (int64, error)
	// ConferenceEvents returns up to max events (max <= 0: all) of a
	// conference's timeline with Seq above after, oldest first.
	ConferenceEvents(ctx context.Context, conferenceID string, after int64, max int) ([]ConferenceEvent, error)
}
