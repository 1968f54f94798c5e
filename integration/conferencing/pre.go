package conferencing

import (
	"context"
	"strings"
	"time"

	"github.com/parley-im/parley/conference"
	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/api"
	"github.com/parley-im/parley/integration/auth"
)

// Adhoc attribute names Parley reads from ScheduleOptions.
const (
	AttrMeetingType      = "MEETING_TYPE"
	AttrHostExitURL      = "HOST_EXIT_URL"
	AttrAttendeeExitURL  = "ATTENDEE_EXIT_URL"
	AttrAttendeeStartURL = "ATTENDEE_START_URL"
)

func person(p ParticipantData) conference.Person {
	return conference.Person{FirstName: p.FirstName, LastName: p.LastName, Email: strings.TrimSpace(p.EmailAddr),
		UserID: p.Userid, UserGUID: p.Userguid}
}

func timeOf(t *api.Timestamp) *time.Time {
	if t == nil {
		return nil
	}
	v := t.Time()
	return &v
}

// spec turns ScheduleOptions into a conference.Spec.
func spec(o *ScheduleOptions) conference.Spec {
	if o == nil {
		return conference.Spec{}
	}
	s := conference.Spec{ID: o.ConferenceID, SiteID: strings.TrimSpace(o.SiteID), Title: o.Title, Description: o.Description,
		DialIn: o.DialinInfo, RegisteredUserOnly: o.RegisteredUserOnly, PubliclyListed: o.PubliclyListed,
		HostInvitedOnly: o.HostInvitedOnly, EnrollmentRequired: o.EnrollmentRequired, PublishAttendees: o.PublishAttendees,
		SendInvitations: o.SendEmailNotification, Start: timeOf(o.StartDate), End: timeOf(o.EndDate), Key: o.ConferenceKey}
	if o.Organizer != nil {
		p := person(*o.Organizer)
		s.Host = &p
	}
	for _, a := range o.Attendees {
		s.Attendees = append(s.Attendees, person(a))
	}
	s.Type, _ = integration.LookupAttr(o.AdhocAttributes, AttrMeetingType)
	s.HostExitURL, _ = integration.LookupAttr(o.AdhocAttributes, AttrHostExitURL)
	s.AttendeeExitURL, _ = integration.LookupAttr(o.AdhocAttributes, AttrAttendeeExitURL)
	s.AttendeeStartURL, _ = integration.LookupAttr(o.AdhocAttributes, AttrAttendeeStartURL)
	return s
}

// scheduleResponse is the response of a scheduling call: the result of
// a created or updated conference, with PROCESSED_WITH_NON_FATAL_ERRORS
// when attendees were left out and ERROR_SENDING_EMAIL_INVITES when the
// invitations failed (the conference exists either way).
func (s *Service) scheduleResponse(op string, r conference.Result) ScheduleResponse {
	resp := ScheduleResponse{StatusCode: int(integration.NoError),
		ScheduleResult: &ScheduleResult{AttendeeURL: r.AttendeeURL, HostURL: r.HostURL, ConferenceID: r.Conference.ID,
			AdhocAttributes: attrs{integration.Attr(AttrMeetingType, r.Conference.Type)}}}
	var details []string
	if len(r.Skipped) > 0 {
		resp.StatusCode = int(integration.ProcessedWithNonFatalErrors)
		details = append(details, "left out: "+strings.Join(r.Skipped, "; "))
	}
	if r.InviteErr != nil {
		resp.StatusCode = int(integration.ErrorSendingEmailInvites)
		if conference.IsNoRelay(r.InviteErr) {
			details = append(details, "invitations not sent: no mail relay is configured")
		} else {
			s.log.Warn("conference invitations", "operation", op, "conference", r.Conference.ID, "err", r.InviteErr)
			details = append(details, "invitations not sent: "+r.InviteErr.Error())
		}
	}
	resp.StatusMessage = integration.Status(resp.StatusCode).String()
	resp.StatusDetails = strings.Join(details, "; ")
	return resp
}

func scheduleFailure(o outcome) ScheduleResponse {
	return ScheduleResponse{StatusCode: int(o.status), StatusMessage: o.status.String(), StatusDetails: o.details}
}

// ScheduleConference schedules a conference (Table 3-20). Status codes
// (Table 3-25): 0, 4, 5, 6, 351, 352, 356, 357, 358, 362, 367, 1013,
// 1032, 1061, 1062, 1064, 1065, 1090.
func (s *Service) ScheduleConference(ctx context.Context, req ScheduleRequest) (ScheduleResponse, error) {
	caller, o := s.caller(ctx, req.EntityID, req.EntityToken, auth.PolicyPreconference, integration.InvalidSiteID)
	if o.failed() {
		return scheduleFailure(o), nil
	}
	if req.ScheduleOptions == nil {
		return scheduleFailure(outcome{integration.MeetingStartTimeIsNull, "scheduleOptions is missing"}), nil
	}
	r, err := s.o.Conferences.Schedule(ctx, caller, spec(req.ScheduleOptions), api.BaseURL(ctx))
	if err != nil {
		return scheduleFailure(s.statusOf("scheduleConference", err, integration.MeetingNotCreatedErr)), nil
	}
	return s.scheduleResponse("scheduleConference", r), nil
}

// UpdateConference updates a scheduled conference named by
// scheduleOptions.conferenceId (Table 3-27); what the request leaves
// out is kept. Status codes as scheduleConference's, and 2 (no
// conferenceId), 3 (no such conference of the caller's) and 354 (in
// progress or over).
func (s *Service) UpdateConference(ctx context.Context, req ScheduleRequest) (ScheduleResponse, error) {
	caller, o := s.caller(ctx, req.EntityID, req.EntityToken, auth.PolicyPreconference, integration.InvalidSiteID)
	if o.failed() {
		return scheduleFailure(o), nil
	}
	if req.ScheduleOptions == nil {
		return scheduleFailure(outcome{integration.MeetingIDIsNull, "scheduleOptions is missing"}), nil
	}
	r, err := s.o.Conferences.Update(ctx, caller, spec(req.ScheduleOptions), api.BaseURL(ctx))
	if err != nil {
		return scheduleFailure(s.statusOf("updateConference", err, 0)), nil
	}
	return s.scheduleResponse("updateConference", r), nil
}

// DeleteConference deletes a conference that is not in progress (Table
// 3-28). Status codes (Table 3-31): 0, 3, 4, 354, 1032, 1090.
func (s *Service) DeleteConference(ctx context.Context, req DeleteConferenceRequest) (StatusResponse, error) {
	fail := func(o outcome) (StatusResponse, error) {
		return StatusResponse{StatusCode: int(o.status), StatusMessage: o.status.String(), StatusDetails: o.details}, nil
	}
	caller, o := s.caller(ctx, req.EntityID, req.EntityToken, auth.PolicyPreconference, integration.InvalidSiteID)
	if o.failed() {
		return fail(o)
	}
	if err := s.o.Conferences.Delete(ctx, caller, req.ConferenceID, api.BaseURL(ctx)); err != nil {
		return fail(s.statusOf("deleteConference", err, 0, override{conference.ErrIDMissing, integration.InvalidMeetingID}))
	}
	return StatusResponse{StatusCode: int(integration.NoError), StatusMessage: integration.NoError.String()}, nil
}

// ListUpcomingConferences lists the caller's conferences that have not
// ended (Table 3-32), at most max_response_size of them. Status codes
// (Table 3-35): 0, 5, 376, 1032, 1090.
func (s *Service) ListUpcomingConferences(ctx context.Context, req UpcomingConferencesRequest) (UpcomingConferencesResponse, error) {
	fail := func(o outcome) (UpcomingConferencesResponse, error) {
		return UpcomingConferencesResponse{StatusCode: int(o.status), StatusMessage: o.status.String(), StatusDetails: o.details}, nil
	}
	entityID := req.EntityID
	if entityID == "" {
		entityID = req.EntityIDAlias
	}
	caller, o := s.caller(ctx, entityID, req.EntityToken, auth.PolicyPreconference, integration.NotAuthorized)
	if o.failed() {
		return fail(o)
	}
	reg := req.RegisteredUserOny
	if reg == nil {
		reg = req.RegisteredUserOnly
	}
	f := conference.Filter{User: req.UserID, RegisteredUserOnly: reg, PubliclyListed: req.PubliclyListed,
		HostInvitedOnly: req.HostInvitedOnly, From: timeOf(req.FromStartDate), To: timeOf(req.ToStartDate),
		Limit: s.o.MaxResponseSize + 1}
	list, err := s.o.Conferences.Upcoming(ctx, caller, f)
	if err != nil {
		return fail(s.statusOf("listUpcomingConferences", err, integration.ErrorRetrievingConferenceList))
	}
	resp := UpcomingConferencesResponse{StatusCode: int(integration.NoError), StatusMessage: integration.NoError.String(),
		ConferenceDetails: []UpcomingConferenceDetails{}}
	if len(list) > s.o.MaxResponseSize {
		list = list[:s.o.MaxResponseSize]
		resp.StatusDetails = "more conferences match; narrow the dates to see the rest"
	}
	now := s.o.Now()
	base := api.BaseURL(ctx)
	for _, c := range list {
		status, code := conference.Status(c, now, s.o.Conferences.EarlyJoin())
		host := conference.Host(c)
		d := UpcomingConferenceDetails{ConferenceID: c.ID, ConferenceStatus: status, ConferenceTitle: c.Title,
			RegisteredUserOnly: c.Flags.RegisteredUserOnly, PubliclyListed: c.Flags.PubliclyListed,
			HostInvitedOnly: c.Flags.HostInvitedOnly, ConferenceURL: conference.AttendeeURL(base, c),
			HostName: conference.Name(host), ScheduledStartTime: c.StartAt.UTC(), ScheduledEndTime: c.EndAt.UTC(), StatusDetail: code,
			Attributes: attrs{integration.Attr(AttrMeetingType, c.Type)}}
		if host.UserID != "" {
			d.HostGUID = conference.UserGUID(host.UserID)
		}
		if caller.User != "" {
			// A user's own link, when they are invited.
			for _, p := range c.Participants {
				if p.UserID == caller.User {
					d.ConferenceURL = conference.JoinURL(base, c, p)
				}
			}
		}
		resp.ConferenceDetails = append(resp.ConferenceDetails, d)
	}
	return resp, nil
}
