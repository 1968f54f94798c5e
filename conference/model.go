package conference

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parley-im/parley/store"
)

// Meeting types (the Instant Conference service's meetingType). Each
// stands for a combination of the scheduling flags:
//
//	REGULAR     guests (if the site allows them) and registered users with the link
//	PUBLIC      REGULAR, and publicly listed
//	REGISTERED  registered users with the link
//	RESTRICTED  registered users the host invited
const (
	TypeRegular    = "REGULAR"
	TypePublic     = "PUBLIC"
	TypeRegistered = "REGISTERED"
	TypeRestricted = "RESTRICTED"
)

// typeOf is the meeting type the flags amount to.
func typeOf(f store.ConferenceFlags) string {
	switch {
	case f.RegisteredUserOnly && f.HostInvitedOnly:
		return TypeRestricted
	case f.RegisteredUserOnly:
		return TypeRegistered
	case f.PubliclyListed:
		return TypePublic
	}
	return TypeRegular
}

// Timeline event kinds.
const (
	EventStart  = "start"  // the host joined for the first time
	EventJoin   = "join"   // someone entered
	EventLeave  = "leave"  // someone left
	EventRename = "rename" // someone changed their display name (Text: the new one)
	EventChat   = "chat"   // a chat message (Text: the body)
	EventLink   = "link"   // a shared link (Text: the URL)
	EventHand   = "hand"   // a hand raised (Text "up") or lowered ("down")
	EventEnd    = "end"    // the conference ended (Text: the end cause)
)

// End causes (the seed's statusDetails of a finished conference).
const (
	EndGraceful  = "GRACEFUL"  // the host ended it, or everyone left after its scheduled end
	EndAbandoned = "ABANDONED" // its scheduled end passed and the host never came
	EndAborted   = "ABORTED"   // interrupted (the server stopped) and not resumed before its end
	EndFailed    = "FAILED"    // it could not run (its room could not be made)
	EndForced    = "FORCED"    // an administrator stopped it (parley conference end)
)

// Statuses of a conference that has not finished (UpcomingConferenceDetails
// conferenceStatus, and its statusDetail code).
const (
	StatusNotStarted    = "Not Started"
	StatusWaitingOnHost = "Waiting for Host"
	StatusInProgress    = "In progress"
	DetailWaiting       = "WFH"
	DetailInProgress    = "IP"
)

// Caller is the entity that calls a service, as the integration layer
// authenticated it: a site, or a user acting for themselves, with the
// settings that bear on conferences.
type Caller struct {
	Site string // the site ID; "" for a user
	User string // the user's bare JID; "" for a site
	// GuestsAllowed: guest_user_access_enabled; guests may join the
	// caller's conferences (and PUBLIC ones may be scheduled).
	GuestsAllowed bool
	// KeyRequired: conference_key_required; every conference needs a key.
	KeyRequired bool
}

// owns reports whether c scheduled the conference.
func (c Caller) owns(conf store.Conference) bool {
	if c.Site != "" {
		return conf.SiteID == c.Site
	}
	return c.User != "" && conf.SiteID == "" && conf.Owner == c.User
}

// Person is a host or attendee as a request describes them (the seed's
// ParticipantData).
type Person struct {
	FirstName, LastName, Email string
	UserID                     string // a registered user's ID (bare JID, or a local part of the default domain)
	UserGUID                   string // a registered user's GUID (UserGUID)
}

func (p Person) empty() bool {
	return strings.TrimSpace(p.FirstName+p.LastName+p.Email+p.UserID+p.UserGUID) == ""
}

// Spec is what a scheduling request asks for. For Update, every nil
// pointer, empty string and empty list keeps what the conference has;
// for Schedule it takes the seed's default.
type Spec struct {
	ID          string // the conference to update; must be "" to schedule
	SiteID      string // must be the caller's site when given
	Title       string
	Description string
	DialIn      string
	Type        string // a meeting type; "" derives it from the flags
	// The seed's flags; nil for its default (registeredUserOnly true,
	// publiclyListed false, hostInvitedOnly as registeredUserOnly,
	// enrollmentRequired false, publishAttendees false,
	// sendEmailNotification false).
	RegisteredUserOnly *bool
	PubliclyListed     *bool
	HostInvitedOnly    *bool
	EnrollmentRequired *bool
	PublishAttendees   *bool
	SendInvitations    *bool
	Start, End         *time.Time
	Host               *Person
	Attendees          []Person
	Key                *string
	HostExitURL        string
	AttendeeExitURL    string
	AttendeeStartURL   string
}

// Result is a scheduled or updated conference.
type Result struct {
	Conference store.Conference
	// Skipped lists the attendees that were left out and why
	// (PROCESSED_WITH_NON_FATAL_ERRORS).
	Skipped []string
	// InviteErr is why the invitations could not all be sent
	// (ERROR_SENDING_EMAIL_INVITES); nil if they were, or none were due.
	InviteErr   error
	HostURL     string // the host's join URL
	AttendeeURL string // the conference's join URL for anyone it admits
}

// Status is the conference's status for listings: Not Started, Waiting
// for Host (open for early join, host absent), In progress; and its
// code (WFH, IP, "" before it opens). Ended conferences have their end
// cause.
func Status(c store.Conference, now time.Time, early time.Duration) (status, detail string) {
	switch c.State {
	case store.ConferenceInProgress:
		return StatusInProgress, DetailInProgress
	case store.ConferenceEnded:
		return c.EndCause, c.EndCause
	}
	if !now.Before(c.StartAt.Add(-early)) {
		return StatusWaitingOnHost, DetailWaiting
	}
	return StatusNotStarted, ""
}

// Host returns the conference's host.
func Host(c store.Conference) store.Participant {
	for _, p := range c.Participants {
		if p.Role == store.RoleHost {
			return p
		}
	}
	return store.Participant{}
}

// Name is how a participant is called: first and last name, or the
// e-mail address, or the user ID.
func Name(p store.Participant) string {
	if n := strings.TrimSpace(p.FirstName + " " + p.LastName); n != "" {
		return n
	}
	if p.Email != "" {
		return p.Email
	}
	return p.UserID
}

// UserGUID is the GUID of a registered user: a stable identifier
// derived from the bare JID (upper-case hex of the first 16 bytes of
// SHA-256 of "parley-user-guid:" and the JID).
func UserGUID(bareJID string) string {
	sum := sha256.Sum256([]byte("parley-user-guid:" + bareJID))
	return strings.ToUpper(hex.EncodeToString(sum[:16]))
}

const keyAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// secret returns n characters from crypto/rand.
func secret(n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(keyAlphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err) // crypto/rand does not fail
		}
		b[i] = keyAlphabet[v.Int64()]
	}
	return string(b)
}

// keySecretLen is the length of a join key's secret half: 32 characters
// of a 57-letter alphabet, about 186 bits.
const keySecretLen = 32

// JoinKey is a participant's join key: "<participant ID>_<secret>".
func JoinKey(p store.Participant) string { return strconv.FormatInt(p.ID, 10) + "_" + p.KeySecret }

// ParticipantByKey finds the participant a join key names, comparing
// the secret in constant time.
func ParticipantByKey(c store.Conference, key string) (store.Participant, bool) {
	id, sec, ok := strings.Cut(strings.TrimSpace(key), "_")
	if !ok {
		return store.Participant{}, false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != id {
		return store.Participant{}, false // one spelling per key
	}
	for _, p := range c.Participants {
		if p.ID == n {
			if subtle.ConstantTimeCompare([]byte(sec), []byte(p.KeySecret)) == 1 && p.KeySecret != "" {
				return p, true
			}
			return store.Participant{}, false
		}
	}
	return store.Participant{}, false
}

// keyOK compares an offered conference key with the conference's in
// constant time; a conference without a key takes anything.
func keyOK(c store.Conference, offered string) bool {
	if c.Key == "" {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(offered), []byte(c.Key)) == 1
}

// validKey reports whether k can be a conference key: 1 to 64 printable
// characters.
func validKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for _, r := range k {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// PlaybackKey is the conference key in the form a playback URL carries
// it (includeConferenceKey): an HMAC-SHA-256 of the conference's ID
// keyed with the conference key, which opens the playback without
// revealing the key. "" for a conference without a key.
func PlaybackKey(c store.Conference) string {
	if c.Key == "" {
		return ""
	}
	m := hmac.New(sha256.New, []byte(c.Key))
	m.Write([]byte("parley-playback:" + c.ID))
	return hex.EncodeToString(m.Sum(nil))
}

// URLs of the conference pages, under the server's base URL
// (scheme://host[:port]). Keys go in the fragment, which browsers never
// send to a server nor in a Referer: the page reads it.
func conferenceURL(base string, c store.Conference) string {
	return strings.TrimSuffix(base, "/") + "/conference/" + url.PathEscape(c.ID)
}

// JoinURL is where a participant joins: their personal link.
func JoinURL(base string, c store.Conference, p store.Participant) string {
	return conferenceURL(base, c) + "#key=" + url.QueryEscape(JoinKey(p))
}

// AttendeeURL is the conference's link for anyone it admits (who then
// log in, or give a display name where guests may join).
func AttendeeURL(base string, c store.Conference) string { return conferenceURL(base, c) }

// PlaybackURL is the page that replays the conference's timeline. With
// withKey, the conference key rides along in its playback form
// (PlaybackKey).
func PlaybackURL(base string, c store.Conference, playbackSecret string, withKey bool) string {
	u := conferenceURL(base, c) + "/playback#t=" + url.QueryEscape(playbackSecret)
	if withKey && c.Key != "" {
		u += "&ck=" + PlaybackKey(c)
	}
	return u
}

// playbackSecret is the secret of a conference's playback link: the
// host participant's join secret, hashed, so that it is unguessable,
// stable, and different from every join key.
func playbackSecret(c store.Conference) string {
	h := Host(c)
	if h.KeySecret == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("parley-playback-link:" + c.ID + ":" + h.KeySecret))
	return hex.EncodeToString(sum[:18])
}

// PlaybackLink is the conference's playback URL.
func PlaybackLink(base string, c store.Conference, withKey bool) string {
	return PlaybackURL(base, c, playbackSecret(c), withKey)
}

// CheckPlayback verifies the secrets of a playback link: the link's own
// secret, and the conference key (given as is, or in its playback
// form) when the conference has one.
func CheckPlayback(c store.Conference, linkSecret, key string) error {
	want := playbackSecret(c)
	if want == "" || subtle.ConstantTimeCompare([]byte(linkSecret), []byte(want)) != 1 {
		return ErrBadKey
	}
	if c.Key == "" || keyOK(c, key) || subtle.ConstantTimeCompare([]byte(key), []byte(PlaybackKey(c))) == 1 {
		return nil
	}
	return fmt.Errorf("%w: the conference key is required", ErrBadKey)
}
