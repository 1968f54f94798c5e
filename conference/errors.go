package conference

import "errors"

// Sentinel errors. Each is one of the seed's outcomes (chapter 3,
// Tables 3-25, 3-31, 3-35, 3-40, 3-53 to 3-66); package
// integration/conferencing maps them to status codes. Their messages,
// and the detail wrapped around them, are safe to show a client.
var (
	// ErrNotFound: no such conference, or not one the caller may see
	// (INVALID_MEETING_ID).
	ErrNotFound = errors.New("conference: no such conference")
	// ErrIDMissing: no conference ID was given (MEETING_ID_IS_NULL).
	ErrIDMissing = errors.New("conference: the conference ID is missing")
	// ErrNotAllowed: the caller may not do this (NOT_AUTHORIZED): a user
	// asking about another user.
	ErrNotAllowed = errors.New("conference: not allowed")
	// ErrSiteMismatch: the request names a site that is not the caller
	// (INVALID_SITE_ID).
	ErrSiteMismatch = errors.New("conference: not the calling site")
	// ErrUnknownUser: a user ID names no registered user (INVALID_USER_ID).
	ErrUnknownUser = errors.New("conference: no such user")
	// ErrUnknownGUID: a user GUID names no registered user, or another
	// than the user ID does (INVALID_USER_GUID).
	ErrUnknownGUID = errors.New("conference: no such user GUID")
	// ErrStartMissing: no start time (MEETING_START_TIME_IS_NULL).
	ErrStartMissing = errors.New("conference: the start time is missing")
	// ErrEndMissing: no end time (MEETING_END_TIME_IS_NULL).
	ErrEndMissing = errors.New("conference: the end time is missing")
	// ErrStartTime: the start is in the past or too far ahead
	// (MEETING_START_TIME_ERR).
	ErrStartTime = errors.New("conference: bad start time")
	// ErrEndTime: the end is not after the start, or the conference is
	// longer than allowed (MEETING_END_TIME_ERR).
	ErrEndTime = errors.New("conference: bad end time")
	// ErrNotCreated: the options contradict each other or name an unknown
	// meeting type (MEETING_MTGNOTCREATED_ERR).
	ErrNotCreated = errors.New("conference: the conference could not be created")
	// ErrPublicNotAllowed: a PUBLIC conference for a caller without guest
	// user access (MEETING_PUBLIC_MTGTYPE_ERR).
	ErrPublicNotAllowed = errors.New("conference: public conferences are not allowed for this site")
	// ErrKey: a conference key is required and missing, or is not a
	// valid key (MEETING_INVALID_PASSWORD).
	ErrKey = errors.New("conference: invalid conference key")
	// ErrHostMissing: no host (ORGANIZER_ID_MISSING).
	ErrHostMissing = errors.New("conference: the host is missing")
	// ErrNotHost: a user scheduled for someone else
	// (USER_CANNOT_SCHEDULE_FOR_ORGANIZER).
	ErrNotHost = errors.New("conference: a user may schedule only for themselves")
	// ErrParticipants: the attendee list cannot be processed (too many
	// attendees) (ERROR_PROCESSING_PARTICIPANT).
	ErrParticipants = errors.New("conference: the attendees could not be processed")
	// ErrCannotChange: the conference is in progress (or over) and
	// cannot be changed now (MEETING_CANNOT_BE_UPDATED_NOW).
	ErrCannotChange = errors.New("conference: the conference cannot be changed now")
	// ErrNotFinished: the conference has not finished, so there is no
	// report of it (ERROR_RETRIEVING_CONFERENCE_DETAILS).
	ErrNotFinished = errors.New("conference: the conference has not finished")
	// ErrNeverStarted: the conference never started, so nobody attended
	// (ERROR_RETRIEVING_ATTENDEE_LIST).
	ErrNeverStarted = errors.New("conference: the conference never started")
	// ErrBadKey: a join or playback key does not open this conference.
	ErrBadKey = errors.New("conference: key not valid for this conference")
	// ErrClosed: the conference is not open for joining now (before its
	// early-join window, or over).
	ErrClosed = errors.New("conference: not open for joining")
	// ErrGuestsNotAllowed: the conference admits registered users only.
	ErrGuestsNotAllowed = errors.New("conference: guests may not join this conference")
)
