package conferencing

import (
	"time"

	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/api"
)

// The seed's data types of Pre-Conference Management, Post-Conference
// Management and Reporting (chapter 3, Tables 3-20 to 3-66), field for
// field in the seed's order and with the seed's names (its spelling
// included: UpcomingConferencesRequest's entityId, registeredUserOny
// and adhocAttrributes). A pointer is the seed's optional value (absent
// or nil is its null); times in requests are api.Timestamp.

type attrs = []integration.AdhocAttribute

// ParticipantData is a conference attendee or organizer (Table 3-23).
type ParticipantData struct {
	FirstName       string `xml:"firstName" json:"firstName"`
	LastName        string `xml:"lastName" json:"lastName"`
	EmailAddr       string `xml:"emailAddr" json:"emailAddr"`
	Userguid        string `xml:"userguid" json:"userguid"`
	Userid          string `xml:"userid" json:"userid"`
	AdhocAttributes attrs  `xml:"adhocAttributes" json:"adhocAttributes"`
}

// ScheduleOptions are the scheduling parameters (Table 3-22). Parley
// reads three more from adhocAttributes: MEETING_TYPE (REGULAR, PUBLIC,
// RESTRICTED, REGISTERED), HOST_EXIT_URL, ATTENDEE_EXIT_URL and
// ATTENDEE_START_URL.
type ScheduleOptions struct {
	Attendees             []ParticipantData `xml:"attendees" json:"attendees"`
	ConferenceID          string            `xml:"conferenceId" json:"conferenceId"`
	Description           string            `xml:"description" json:"description"`
	RegisteredUserOnly    *bool             `xml:"registeredUserOnly" json:"registeredUserOnly"`
	PubliclyListed        *bool             `xml:"publiclyListed" json:"publiclyListed"`
	HostInvitedOnly       *bool             `xml:"hostInvitedOnly" json:"hostInvitedOnly"`
	EnrollmentRequired    *bool             `xml:"enrollmentRequired" json:"enrollmentRequired"`
	DialinInfo            string            `xml:"dialinInfo" json:"dialinInfo"`
	StartDate             *api.Timestamp    `xml:"startDate" json:"startDate"`
	EndDate               *api.Timestamp    `xml:"endDate" json:"endDate"`
	Organizer             *ParticipantData  `xml:"organizer" json:"organizer"`
	ConferenceKey         *string           `xml:"conferenceKey" json:"conferenceKey"`
	PublishAttendees      *bool             `xml:"publishAttendees" json:"publishAttendees"`
	SendEmailNotification *bool             `xml:"sendEmailNotification" json:"sendEmailNotification"`
	SiteID                string            `xml:"siteId" json:"siteId"`
	Title                 string            `xml:"title" json:"title"`
	AdhocAttributes       attrs             `xml:"adhocAttributes" json:"adhocAttributes"`
}

// ScheduleRequest is scheduleConference's and updateConference's param0
// (Table 3-21).
type ScheduleRequest struct {
	EntityID        string           `xml:"entityID" json:"entityID"`
	EntityToken     string           `xml:"entityToken" json:"entityToken"`
	ScheduleOptions *ScheduleOptions `xml:"scheduleOptions" json:"scheduleOptions"`
	AdhocAttributes attrs            `xml:"adhocAttributes" json:"adhocAttributes"`
}

// ScheduleResult is a scheduled conference's ID and join URLs (Table
// 3-26). hostURL and attendeeURL are personal: the host's, and the
// conference's link for anyone it admits (each invitee's own link is in
// their invitation).
type ScheduleResult struct {
	AttendeeURL     string `xml:"attendeeURL" json:"attendeeURL"`
	HostURL         string `xml:"hostURL" json:"hostURL"`
	ConferenceID    string `xml:"conferenceID" json:"conferenceID"`
	AdhocAttributes attrs  `xml:"adhocAttributes" json:"adhocAttributes"`
}

// ScheduleResponse is scheduleConference's and updateConference's
// result (Table 3-24).
type ScheduleResponse struct {
	StatusCode      int             `xml:"statusCode" json:"statusCode"`
	StatusMessage   string          `xml:"statusMessage" json:"statusMessage"`
	StatusDetails   string          `xml:"statusDetails" json:"statusDetails"`
	ScheduleResult  *ScheduleResult `xml:"scheduleResult" json:"scheduleResult"`
	AdhocAttributes attrs           `xml:"adhocAttributes" json:"adhocAttributes"`
}

// DeleteConferenceRequest is deleteConference's param0 (Table 3-29).
type DeleteConferenceRequest struct {
	EntityID        string `xml:"entityID" json:"entityID"`
	EntityToken     string `xml:"entityToken" json:"entityToken"`
	ConferenceID    string `xml:"conferenceID" json:"conferenceID"`
	AdhocAttributes attrs  `xml:"adhocAttributes" json:"adhocAttributes"`
}

// StatusResponse is deleteConference's result (Table 3-30).
type StatusResponse struct {
	StatusCode      int    `xml:"statusCode" json:"statusCode"`
	StatusMessage   string `xml:"statusMessage" json:"statusMessage"`
	StatusDetails   string `xml:"statusDetails" json:"statusDetails"`
	AdhocAttributes attrs  `xml:"adhocAttributes" json:"adhocAttributes"`
}

// UpcomingConferencesRequest is listUpcomingConferences' param0 (Table
// 3-33), with the seed's spelling. entityID and registeredUserOnly are
// accepted as well, for clients that correct it.
type UpcomingConferencesRequest struct {
	EntityID           string         `xml:"entityId" json:"entityId"`
	EntityToken        string         `xml:"entityToken" json:"entityToken"`
	UserID             string         `xml:"userID" json:"userID"`
	RegisteredUserOny  *bool          `xml:"registeredUserOny" json:"registeredUserOny"`
	PubliclyListed     *bool          `xml:"publiclyListed" json:"publiclyListed"`
	HostInvitedOnly    *bool          `xml:"hostInvitedOnly" json:"hostInvitedOnly"`
	FromStartDate      *api.Timestamp `xml:"fromStartDate" json:"fromStartDate"`
	ToStartDate        *api.Timestamp `xml:"toStartDate" json:"toStartDate"`
	AdhocAttrributes   attrs          `xml:"adhocAttrributes" json:"adhocAttrributes"`
	EntityIDAlias      string         `xml:"entityID" json:"entityID"`
	RegisteredUserOnly *bool          `xml:"registeredUserOnly" json:"registeredUserOnly"`
}

// UpcomingConferenceDetails is one upcoming conference (Table 3-36).
// conferenceStatus is "Not Started", "Waiting for Host" or "In
// progress"; statusDetail "", WFH or IP.
type UpcomingConferenceDetails struct {
	Attributes         attrs     `xml:"attributes" json:"attributes"`
	ConferenceID       string    `xml:"conferenceID" json:"conferenceID"`
	ConferenceStatus   string    `xml:"conferenceStatus" json:"conferenceStatus"`
	ConferenceTitle    string    `xml:"conferenceTitle" json:"conferenceTitle"`
	RegisteredUserOnly bool      `xml:"registeredUserOnly" json:"registeredUserOnly"`
	PubliclyListed     bool      `xml:"publiclyListed" json:"publiclyListed"`
	HostInvitedOnly    bool      `xml:"hostInvitedOnly" json:"hostInvitedOnly"`
	ConferenceURL      string    `xml:"conferenceURL" json:"conferenceURL"`
	HostGUID           string    `xml:"hostGUID" json:"hostGUID"`
	HostName           string    `xml:"hostName" json:"hostName"`
	ScheduledEndTime   time.Time `xml:"scheduledEndTime" json:"scheduledEndTime"`
	ScheduledStartTime time.Time `xml:"scheduledStartTime" json:"scheduledStartTime"`
	StatusDetail       string    `xml:"statusDetail" json:"statusDetail"`
	AdhocAttrributes   attrs     `xml:"adhocAttrributes" json:"adhocAttrributes"`
}

// UpcomingConferencesResponse is listUpcomingConferences' result (Table
// 3-34): conferenceDetails holds one entry per conference.
type UpcomingConferencesResponse struct {
	StatusCode        int                         `xml:"statusCode" json:"statusCode"`
	StatusMessage     string                      `xml:"statusMessage" json:"statusMessage"`
	StatusDetails     string                      `xml:"statusDetails" json:"statusDetails"`
	ConferenceDetails []UpcomingConferenceDetails `xml:"conferenceDetails" json:"conferenceDetails"`
	AdhocAttributes   attrs                       `xml:"adhocAttributes" json:"adhocAttributes"`
}

// PlaybackURLRequest is getPlaybackURL's param0 (Table 3-38).
type PlaybackURLRequest struct {
	EntityID             string `xml:"entityID" json:"entityID"`
	EntityToken          string `xml:"entityToken" json:"entityToken"`
	ConferenceID         string `xml:"conferenceID" json:"conferenceID"`
	IncludeConferenceKey *bool  `xml:"includeConferenceKey" json:"includeConferenceKey"`
	AdhocAttributes      attrs  `xml:"adhocAttributes" json:"adhocAttributes"`
}

// PlaybackURLDetails is where a conference's playback is (Table 3-41).
// Parley's recording is the conference's timeline: recordedFlag is true
// once the conference started, publishedFlag once it finished.
type PlaybackURLDetails struct {
	PlaybackURL     string `xml:"playbackURL" json:"playbackURL"`
	FinishedFlag    bool   `xml:"finishedFlag" json:"finishedFlag"`
	RecordedFlag    bool   `xml:"recordedFlag" json:"recordedFlag"`
	PublishedFlag   bool   `xml:"publishedFlag" json:"publishedFlag"`
	AdhocAttributes attrs  `xml:"adhocAttributes" json:"adhocAttributes"`
}

// PlaybackURLResponse is getPlaybackURL's result (Table 3-39).
type PlaybackURLResponse struct {
	StatusCode        int                 `xml:"statusCode" json:"statusCode"`
	StatusMessage     string              `xml:"statusMessage" json:"statusMessage"`
	StatusDetails     string              `xml:"statusDetails" json:"statusDetails"`
	PlaybackURLDetail *PlaybackURLDetails `xml:"playbackURLDetail" json:"playbackURLDetail"`
	AdhocAttributes   attrs               `xml:"adhocAttributes" json:"adhocAttributes"`
}

// AttendeeListRequest is reportAttendeeList's param0 (Table 3-51).
type AttendeeListRequest struct {
	EntityID        string `xml:"entityID" json:"entityID"`
	EntityToken     string `xml:"entityToken" json:"entityToken"`
	ConferenceID    string `xml:"conferenceID" json:"conferenceID"`
	AdhocAttributes attrs  `xml:"adhocAttributes" json:"adhocAttributes"`
}

// Attendee is one stay of one person in a conference (Table 3-54):
// timeEntered and timeExited are milliseconds since 1970-01-01 UTC
// (timeExited 0 while still in). adhocAttributes: ROLE (host or
// attendee) and JID.
type Attendee struct {
	Name            string `xml:"name" json:"name"`
	EmailAddress    string `xml:"emailAddress" json:"emailAddress"`
	TimeEntered     int64  `xml:"timeEntered" json:"timeEntered"`
	TimeExited      int64  `xml:"timeExited" json:"timeExited"`
	UserID          string `xml:"userID" json:"userID"`
	Guest           bool   `xml:"guest" json:"guest"`
	AdhocAttributes attrs  `xml:"adhocAttributes" json:"adhocAttributes"`
}

// AttendeeListResponse is reportAttendeeList's result (Table 3-52).
type AttendeeListResponse struct {
	StatusCode      int        `xml:"statusCode" json:"statusCode"`
	StatusMessage   string     `xml:"statusMessage" json:"statusMessage"`
	StatusDetails   string     `xml:"statusDetails" json:"statusDetails"`
	Attendees       []Attendee `xml:"attendees" json:"attendees"`
	AdhocAttributes attrs      `xml:"adhocAttributes" json:"adhocAttributes"`
}

// FinishedConferenceDetailsRequest is reportFinishedConferenceDetails'
// param0 (Table 3-56).
type FinishedConferenceDetailsRequest struct {
	EntityID                  string `xml:"entityID" json:"entityID"`
	EntityToken               string `xml:"entityToken" json:"entityToken"`
	ConferenceID              string `xml:"conferenceID" json:"conferenceID"`
	IncludeAttendees          *bool  `xml:"includeAttendees" json:"includeAttendees"`
	IncludePlaybackURLDetails *bool  `xml:"includePlaybackURLDetails" json:"includePlaybackURLDetails"`
	AdhocAttributes           attrs  `xml:"adhocAttributes" json:"adhocAttributes"`
}

// FinishedConferenceDetails is a finished conference (Table 3-59):
// startTime is when the host started it (its scheduled start if it
// never started), duration the minutes from start to end,
// numAttendees the people who came (the host too), statusDetails its
// end cause (GRACEFUL, ABANDONED, ABORTED, FAILED, FORCED).
type FinishedConferenceDetails struct {
	ConferenceID       string              `xml:"conferenceID" json:"conferenceID"`
	Title              string              `xml:"title" json:"title"`
	HostName           string              `xml:"hostName" json:"hostName"`
	StartTime          time.Time           `xml:"startTime" json:"startTime"`
	EndTime            time.Time           `xml:"endTime" json:"endTime"`
	Duration           int                 `xml:"duration" json:"duration"`
	NumAttendees       int                 `xml:"numAttendees" json:"numAttendees"`
	Rating             string              `xml:"rating" json:"rating"`
	Comments           string              `xml:"comments" json:"comments"`
	StatusDetails      string              `xml:"statusDetails" json:"statusDetails"`
	Attendees          []Attendee          `xml:"attendees" json:"attendees"`
	PlaybackURLDetails *PlaybackURLDetails `xml:"playbackURLDetails" json:"playbackURLDetails"`
	AdhocAttributes    attrs               `xml:"adhocAttributes" json:"adhocAttributes"`
}

// FinishedConferenceDetailsResponse is reportFinishedConferenceDetails'
// result (Table 3-57).
type FinishedConferenceDetailsResponse struct {
	StatusCode        int                        `xml:"statusCode" json:"statusCode"`
	StatusMessage     string                     `xml:"statusMessage" json:"statusMessage"`
	StatusDetails     string                     `xml:"statusDetails" json:"statusDetails"`
	ConferenceDetails *FinishedConferenceDetails `xml:"conferenceDetails" json:"conferenceDetails"`
	AdhocAttributes   attrs                      `xml:"adhocAttributes" json:"adhocAttributes"`
}

// FinishedConferencesByDateRequest is reportFinishedConferencesByDate's
// param0 (Table 3-61): conferences that ended between fromEndDate
// (default 1970-01-01) and toEndDate (default now).
type FinishedConferencesByDateRequest struct {
	EntityID                  string         `xml:"entityID" json:"entityID"`
	EntityToken               string         `xml:"entityToken" json:"entityToken"`
	FromEndDate               *api.Timestamp `xml:"fromEndDate" json:"fromEndDate"`
	ToEndDate                 *api.Timestamp `xml:"toEndDate" json:"toEndDate"`
	IncludeAttendees          *bool          `xml:"includeAttendees" json:"includeAttendees"`
	IncludePlaybackURLDetails *bool          `xml:"includePlaybackURLDetails" json:"includePlaybackURLDetails"`
	AdhocAttributes           attrs          `xml:"adhocAttributes" json:"adhocAttributes"`
}

// FinishedConferencesByIDRequest is reportFinishedConferencesByID's
// param0 (Table 3-65).
type FinishedConferencesByIDRequest struct {
	EntityID                  string   `xml:"entityID" json:"entityID"`
	EntityToken               string   `xml:"entityToken" json:"entityToken"`
	ConferenceIDs             []string `xml:"conferenceIDs" json:"conferenceIDs"`
	IncludeAttendees          *bool    `xml:"includeAttendees" json:"includeAttendees"`
	IncludePlaybackURLDetails *bool    `xml:"includePlaybackURLDetails" json:"includePlaybackURLDetails"`
	AdhocAttributes           attrs    `xml:"adhocAttributes" json:"adhocAttributes"`
}

// BulkFinishedConferenceDetailsResponse is the result of
// reportFinishedConferencesByDate and reportFinishedConferencesByID
// (Table 3-62).
type BulkFinishedConferenceDetailsResponse struct {
	StatusCode            int                         `xml:"statusCode" json:"statusCode"`
	StatusMessage         string                      `xml:"statusMessage" json:"statusMessage"`
	StatusDetails         string                      `xml:"statusDetails" json:"statusDetails"`
	ConferenceDetailsList []FinishedConferenceDetails `xml:"conferenceDetailsList" json:"conferenceDetailsList"`
	AdhocAttributes       attrs                       `xml:"adhocAttributes" json:"adhocAttributes"`
}
