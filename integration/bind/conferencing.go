package bind

import (
	"github.com/parley-im/parley/integration/api"
	"github.com/parley-im/parley/integration/conferencing"
)

// The conference services answer every outcome with a status code in
// the response (the seed gives each result one), so they need no error
// mapper: their operations never fail.

// PreConference describes PreConferenceService (seed chapter 3,
// "Pre-Conference Management Services") over c. The Instant Conference
// service is a URL service, not an operation (conferencing.InstantPath).
func PreConference(c *conferencing.Service) *api.Service {
	return &api.Service{
		Name: "PreConferenceService",
		Doc:  "Schedules, updates, deletes and lists web conferences.",
		Operations: []*api.Operation{
			api.NewOperation("scheduleConference",
				"Schedules a conference and returns its ID, the host's join URL and the conference's attendee URL. The seed's defaults apply to null flags: registeredUserOnly true, hostInvitedOnly true (false where registeredUserOnly is false), publiclyListed, enrollmentRequired, publishAttendees and sendEmailNotification false. adhocAttributes of scheduleOptions: MEETING_TYPE (REGULAR, PUBLIC, RESTRICTED, REGISTERED), HOST_EXIT_URL, ATTENDEE_EXIT_URL, ATTENDEE_START_URL. statusCode: 0 NO_ERROR, 4 INVALID_SITE_ID, 5 INVALID_USER_ID, 6 INVALID_USER_GUID, 351 MEETING_START_TIME_IS_NULL, 352 MEETING_END_TIME_IS_NULL, 356 MEETING_START_TIME_ERR, 357 MEETING_END_TIME_ERR, 358 MEETING_MTGNOTCREATED_ERR, 362 MEETING_PUBLIC_MTGTYPE_ERR, 367 MEETING_INVALID_PASSWORD, 1013 PROCESSED_WITH_NON_FATAL_ERRORS (attendees left out, named in statusDetails), 1032 NOT_AUTHORIZED, 1061 ORGANIZER_ID_MISSING, 1062 USER_CANNOT_SCHEDULE_FOR_ORGANIZER, 1064 ERROR_PROCESSING_PARTICIPANT, 1065 ERROR_SENDING_EMAIL_INVITES (the conference exists), 1090 UNEXPECTED_ERROR.",
				c.ScheduleConference,
				"ScheduleRequest: entityID, entityToken (PRECONFERENCE or SESSION), scheduleOptions, adhocAttributes"),
			api.NewOperation("updateConference",
				"Updates the scheduled conference named by scheduleOptions.conferenceId; what the request leaves out (null, empty) is kept, attendees who stay keep their join keys. With sendEmailNotification, everyone gets the update (a new iCalendar SEQUENCE) and removed attendees a cancellation. statusCode: as scheduleConference, and 2 MEETING_ID_IS_NULL, 3 INVALID_MEETING_ID, 354 MEETING_CANNOT_BE_UPDATED_NOW (in progress or over).",
				c.UpdateConference,
				"ScheduleRequest: entityID, entityToken (PRECONFERENCE or SESSION), scheduleOptions with conferenceId, adhocAttributes"),
			api.NewOperation("deleteConference",
				"Deletes a scheduled or finished conference, with its room, attendance and timeline; invitees of one still to come get a cancellation when it was scheduled with sendEmailNotification. statusCode: 0 NO_ERROR, 3 INVALID_MEETING_ID, 4 INVALID_SITE_ID, 354 MEETING_CANNOT_BE_UPDATED_NOW (in progress), 1032 NOT_AUTHORIZED, 1090 UNEXPECTED_ERROR.",
				c.DeleteConference,
				"DeleteConferenceRequest: entityID, entityToken (PRECONFERENCE or SESSION), conferenceID, adhocAttributes"),
			api.NewOperation("listUpcomingConferences",
				"Lists the conferences that have not ended, by start: a site's own, or those a user takes part in, filtered by userID, the flags and the start dates; at most max_response_size. conferenceStatus: Not Started, Waiting for Host (open for early join), In progress. statusCode: 0 NO_ERROR, 5 INVALID_USER_ID, 376 ERROR_RETRIEVING_CONFERENCE_LIST, 1032 NOT_AUTHORIZED, 1090 UNEXPECTED_ERROR.",
				c.ListUpcomingConferences,
				"UpcomingConferencesRequest: entityId, entityToken (PRECONFERENCE or SESSION), userID, registeredUserOny, publiclyListed, hostInvitedOnly, fromStartDate, toStartDate, adhocAttrributes (the seed's spelling; entityID and registeredUserOnly are accepted too)"),
		},
	}
}

// PostConference describes PostConferenceService (seed chapter 3,
// "Post-Conference Management Services") over c.
func PostConference(c *conferencing.Service) *api.Service {
	return &api.Service{
		Name: "PostConferenceService",
		Doc:  "Where a conference's playback is: the page that replays its timeline (joins, leaves, chat, shared links).",
		Operations: []*api.Operation{
			api.NewOperation("getPlaybackURL",
				"Returns the playback URL of a conference and whether it finished, was recorded (it started) and is published (finished and recorded). With includeConferenceKey the URL carries the conference key in a derived form that opens the playback without revealing the key. statusCode: 0 NO_ERROR, 2 MEETING_ID_IS_NULL, 3 INVALID_MEETING_ID, 1032 NOT_AUTHORIZED.",
				c.GetPlaybackURL,
				"PlaybackURLRequest: entityID, entityToken (POSTCONFERENCE or SESSION), conferenceID, includeConferenceKey, adhocAttributes"),
		},
	}
}

// Reporting describes ReportingService (seed chapter 3, "Reporting
// Services") over c.
func Reporting(c *conferencing.Service) *api.Service {
	return &api.Service{
		Name: "ReportingService",
		Doc:  "Reports on conferences: who attended, and the details of finished conferences.",
		Operations: []*api.Operation{
			api.NewOperation("reportAttendeeList",
				"Returns one Attendee per stay in the conference (timeEntered and timeExited in milliseconds since 1970 UTC, timeExited 0 while still in; adhocAttributes ROLE and JID). statusCode: 0 NO_ERROR, 4 INVALID_SITE_ID, 377 ERROR_RETRIEVING_ATTENDEE_LIST (it never started), 379 ERROR_RETRIEVING_CONFERENCE_DETAILS (no such conference), 1032 NOT_AUTHORIZED, 1090 UNEXPECTED_ERROR.",
				c.ReportAttendeeList,
				"AttendeeListRequest: entityID, entityToken (REPORTING or SESSION), conferenceID, adhocAttributes"),
			api.NewOperation("reportFinishedConferenceDetails",
				"Returns a finished conference's details (start and end, duration in minutes, number of attendees, statusDetails GRACEFUL, ABANDONED, ABORTED, FAILED or FORCED), with its attendees and playback details when asked. statusCode: 0 NO_ERROR, 2 MEETING_ID_IS_NULL, 3 INVALID_MEETING_ID, 4 INVALID_SITE_ID, 377 ERROR_RETRIEVING_ATTENDEE_LIST, 379 ERROR_RETRIEVING_CONFERENCE_DETAILS (it has not finished), 1032 NOT_AUTHORIZED, 1090 UNEXPECTED_ERROR.",
				c.ReportFinishedConferenceDetails,
				"FinishedConferenceDetailsRequest: entityID, entityToken (REPORTING or SESSION), conferenceID, includeAttendees, includePlaybackURLDetails, adhocAttributes"),
			api.NewOperation("reportFinishedConferencesByDate",
				"Returns the details of the caller's conferences that ended between fromEndDate (null: 1970-01-01) and toEndDate (null: now), at most max_response_size. statusCode: 0 NO_ERROR, 4 INVALID_SITE_ID, 376 ERROR_RETRIEVING_CONFERENCE_LIST, 377 ERROR_RETRIEVING_ATTENDEE_LIST, 379 ERROR_RETRIEVING_CONFERENCE_DETAILS, 1032 NOT_AUTHORIZED, 1090 UNEXPECTED_ERROR.",
				c.ReportFinishedConferencesByDate,
				"FinishedConferencesByDateRequest: entityID, entityToken (REPORTING or SESSION), fromEndDate, toEndDate, includeAttendees, includePlaybackURLDetails, adhocAttributes"),
			api.NewOperation("reportFinishedConferencesByID",
				"Returns the details of the caller's finished conferences among conferenceIDs, in order; the IDs that name none are named in statusDetails with 379. statusCode: 0 NO_ERROR, 4 INVALID_SITE_ID, 377 ERROR_RETRIEVING_ATTENDEE_LIST, 379 ERROR_RETRIEVING_CONFERENCE_DETAILS, 1032 NOT_AUTHORIZED, 1090 UNEXPECTED_ERROR.",
				c.ReportFinishedConferencesByID,
				"FinishedConferencesByIDRequest: entityID, entityToken (REPORTING or SESSION), conferenceIDs, includeAttendees, includePlaybackURLDetails, adhocAttributes"),
		},
	}
}
