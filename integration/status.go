// Package integration holds what every integration service shares: the
// status codes of the seed's tables (Real-Time Collaboration Integration
// Services, chapter 3). The services live in sub-packages (auth,
// configuration, presence) and the SOAP and JSON bindings over them.
package integration

import "strconv"

// Status is the numeric status a service call returns with its result
// (the seed's "Status Code" columns). NoError is success.
type Status int

// Status codes, exactly as the seed numbers and names them.
const (
	NoError                         Status = 0
	MeetingIDIsNull                 Status = 2
	InvalidMeetingID                Status = 3
	InvalidSiteID                   Status = 4
	InvalidUserID                   Status = 5
	InvalidUserGUID                 Status = 6
	MeetingStartTimeIsNull          Status = 351
	MeetingEndTimeIsNull            Status = 352
	MeetingCannotBeUpdatedNow       Status = 354
	MeetingStartTimeErr             Status = 356
	MeetingEndTimeErr               Status = 357
	MeetingNotCreatedErr            Status = 358
	MeetingPublicMtgTypeErr         Status = 362
	MeetingInvalidPassword          Status = 367
	ErrorRetrievingConferenceList   Status = 376
	ErrorRetrievingAttendeeList     Status = 377
	ErrorRetrievingConferenceDetail Status = 379
	ServiceInputError               Status = 1010
	RequestSizeExceeded             Status = 1011
	AdditionalDataAvailable         Status = 1012
	ProcessedWithNonFatalErrors     Status = 1013
	NotAuthorized                   Status = 1032
	OrganizerIDMissing              Status = 1061
	UserCannotScheduleForOrganizer  Status = 1062
	ErrorProcessingParticipant      Status = 1064
	ErrorSendingEmailInvites        Status = 1065
	UnexpectedError                 Status = 1090
)

var statusNames = map[Status]string{
	NoError:                         "NO_ERROR",
	MeetingIDIsNull:                 "MEETING_ID_IS_NULL",
	InvalidMeetingID:                "INVALID_MEETING_ID",
	InvalidSiteID:                   "INVALID_SITE_ID",
	InvalidUserID:                   "INVALID_USER_ID",
	InvalidUserGUID:                 "INVALID_USER_GUID",
	MeetingStartTimeIsNull:          "MEETING_START_TIME_IS_NULL",
	MeetingEndTimeIsNull:            "MEETING_END_TIME_IS_NULL",
	MeetingCannotBeUpdatedNow:       "MEETING_CANNOT_BE_UPDATED_NOW",
	MeetingStartTimeErr:             "MEETING_START_TIME_ERR",
	MeetingEndTimeErr:               "MEETING_END_TIME_ERR",
	MeetingNotCreatedErr:            "MEETING_MTGNOTCREATED_ERR",
	MeetingPublicMtgTypeErr:         "MEETING_PUBLIC_MTGTYPE_ERR",
	MeetingInvalidPassword:          "MEETING_INVALID_PASSWORD",
	ErrorRetrievingConferenceList:   "ERROR_RETRIEVING_CONFERENCE_LIST",
	ErrorRetrievingAttendeeList:     "ERROR_RETRIEVING_ATTENDEE_LIST",
	ErrorRetrievingConferenceDetail: "ERROR_RETRIEVING_CONFERENCE_DETAILS",
	ServiceInputError:               "SERVICE_INPUT_ERROR",
	RequestSizeExceeded:             "REQUEST_SIZE_EXCEEDED",
	AdditionalDataAvailable:         "ADDITIONAL_DATA_AVAILABLE",
	ProcessedWithNonFatalErrors:     "PROCESSED_WITH_NON_FATAL_ERRORS",
	NotAuthorized:                   "NOT_AUTHORIZED",
	OrganizerIDMissing:              "ORGANIZER_ID_MISSING",
	UserCannotScheduleForOrganizer:  "USER_CANNOT_SCHEDULE_FOR_ORGANIZER",
	ErrorProcessingParticipant:      "ERROR_PROCESSING_PARTICIPANT",
	ErrorSendingEmailInvites:        "ERROR_SENDING_EMAIL_INVITES",
	UnexpectedError:                 "UNEXPECTED_ERROR",
}

// String returns the seed's name of the status, or its number for an
// unknown one.
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return strconv.Itoa(int(s))
}
