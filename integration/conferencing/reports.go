package conferencing

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/parley-im/parley/conference"
	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/api"
	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/store"
)

// Adhoc attribute names of the reports.
const (
	AttrRole = "ROLE" // Attendee: host or attendee
	AttrJID  = "JID"  // Attendee: the session's bare JID
)

// playbackDetails describes a conference's playback. The recording is
// its timeline: recorded once it started, published once it finished.
func playbackDetails(base string, c store.Conference, withKey bool) *PlaybackURLDetails {
	finished := c.State == store.ConferenceEnded
	recorded := !c.StartedAt.IsZero()
	return &PlaybackURLDetails{PlaybackURL: conference.PlaybackLink(base, c, withKey), FinishedFlag: finished,
		RecordedFlag: recorded, PublishedFlag: finished && recorded}
}

// GetPlaybackURL returns where a conference's playback is (Table
// 3-37). Status codes (Table 3-40): 0, 2, 3, 1032.
func (s *Service) GetPlaybackURL(ctx context.Context, req PlaybackURLRequest) (PlaybackURLResponse, error) {
	fail := func(o outcome) (PlaybackURLResponse, error) {
		return PlaybackURLResponse{StatusCode: int(o.status), StatusMessage: o.status.String(), StatusDetails: o.details}, nil
	}
	caller, o := s.caller(ctx, req.EntityID, req.EntityToken, auth.PolicyPostconference, integration.NotAuthorized)
	if o.failed() {
		return fail(o)
	}
	c, err := s.o.Conferences.Get(ctx, caller, req.ConferenceID)
	if err != nil {
		return fail(s.statusOf("getPlaybackURL", err, 0))
	}
	withKey := req.IncludeConferenceKey != nil && *req.IncludeConferenceKey
	return PlaybackURLResponse{StatusCode: int(integration.NoError), StatusMessage: integration.NoError.String(),
		PlaybackURLDetail: playbackDetails(api.BaseURL(ctx), c, withKey)}, nil
}

// attendees turns a conference's stays into the seed's Attendee list.
func attendees(stays []store.Attendance) []Attendee {
	out := make([]Attendee, 0, len(stays))
	for _, a := range stays {
		role := "attendee"
		if a.Host {
			role = "host"
		}
		at := Attendee{Name: a.Name, EmailAddress: a.Email, TimeEntered: a.Entered.UnixMilli(), UserID: a.UserID, Guest: a.Guest,
			AdhocAttributes: attrs{integration.Attr(AttrRole, role), integration.Attr(AttrJID, a.JID)}}
		if !a.Exited.IsZero() {
			at.TimeExited = a.Exited.UnixMilli()
		}
		out = append(out, at)
	}
	return out
}

// ReportAttendeeList returns who attended a conference (Table 3-50):
// one Attendee per stay, in the order they began. Status codes (Table
// 3-53): 0, 4, 377 (it never started), 379 (no such conference of the
// caller's), 1032, 1090.
func (s *Service) ReportAttendeeList(ctx context.Context, req AttendeeListRequest) (AttendeeListResponse, error) {
	fail := func(o outcome) (AttendeeListResponse, error) {
		return AttendeeListResponse{StatusCode: int(o.status), StatusMessage: o.status.String(), StatusDetails: o.details}, nil
	}
	caller, o := s.caller(ctx, req.EntityID, req.EntityToken, auth.PolicyReporting, integration.InvalidSiteID)
	if o.failed() {
		return fail(o)
	}
	c, err := s.o.Conferences.Get(ctx, caller, req.ConferenceID)
	if err != nil {
		return fail(s.statusOf("reportAttendeeList", err, 0,
			override{conference.ErrIDMissing, integration.ErrorRetrievingConferenceDetail},
			override{conference.ErrNotFound, integration.ErrorRetrievingConferenceDetail}))
	}
	if c.StartedAt.IsZero() {
		return fail(s.statusOf("reportAttendeeList", neverStarted(c, s.o.Now(), s.o.Conferences.EarlyJoin()), 0))
	}
	stays, err := s.o.Conferences.Attendance(ctx, c.ID)
	if err != nil {
		return fail(s.statusOf("reportAttendeeList", err, integration.ErrorRetrievingAttendeeList))
	}
	return AttendeeListResponse{StatusCode: int(integration.NoError), StatusMessage: integration.NoError.String(),
		Attendees: attendees(stays)}, nil
}

// neverStarted says why a conference that never started has no report.
func neverStarted(c store.Conference, now time.Time, early time.Duration) error {
	status, _ := conference.Status(c, now, early)
	return fmt.Errorf("%w (%s)", conference.ErrNeverStarted, status)
}

// details builds the report of one finished conference.
func (s *Service) details(ctx context.Context, c store.Conference, withAttendees, withPlayback bool) (FinishedConferenceDetails, error) {
	start := c.StartedAt
	if start.IsZero() {
		start = c.StartAt
	}
	d := FinishedConferenceDetails{ConferenceID: c.ID, Title: c.Title, HostName: conference.Name(conference.Host(c)),
		StartTime: start.UTC(), EndTime: c.EndedAt.UTC(), StatusDetails: c.EndCause}
	if !c.StartedAt.IsZero() {
		d.Duration = int(math.Round(c.EndedAt.Sub(c.StartedAt).Minutes()))
	}
	stays, err := s.o.Conferences.Attendance(ctx, c.ID)
	if err != nil {
		return d, err
	}
	people := map[string]bool{}
	for _, a := range stays {
		people[a.JID] = true
	}
	d.NumAttendees = len(people)
	if withAttendees {
		d.Attendees = attendees(stays)
	}
	if withPlayback {
		d.PlaybackURLDetails = playbackDetails(api.BaseURL(ctx), c, false)
	}
	d.AdhocAttributes = attrs{integration.Attr(AttrMeetingType, c.Type)}
	return d, nil
}

func flag(p *bool) bool { return p != nil && *p }

// ReportFinishedConferenceDetails reports one finished conference
// (Table 3-55). Status codes (Table 3-58): 0, 2, 3, 4, 377, 379 (it has
// not finished), 1032, 1090.
func (s *Service) ReportFinishedConferenceDetails(ctx context.Context, req FinishedConferenceDetailsRequest) (FinishedConferenceDetailsResponse, error) {
	fail := func(o outcome) (FinishedConferenceDetailsResponse, error) {
		return FinishedConferenceDetailsResponse{StatusCode: int(o.status), StatusMessage: o.status.String(), StatusDetails: o.details}, nil
	}
	caller, o := s.caller(ctx, req.EntityID, req.EntityToken, auth.PolicyReporting, integration.InvalidSiteID)
	if o.failed() {
		return fail(o)
	}
	c, err := s.o.Conferences.Get(ctx, caller, req.ConferenceID)
	if err != nil {
		return fail(s.statusOf("reportFinishedConferenceDetails", err, 0))
	}
	if c.State != store.ConferenceEnded {
		status, _ := conference.Status(c, s.o.Now(), s.o.Conferences.EarlyJoin())
		return fail(s.statusOf("", fmt.Errorf("%w (%s)", conference.ErrNotFinished, status), 0))
	}
	d, err := s.details(ctx, c, flag(req.IncludeAttendees), flag(req.IncludePlaybackURLDetails))
	if err != nil {
		return fail(s.statusOf("reportFinishedConferenceDetails", err, integration.ErrorRetrievingAttendeeList))
	}
	return FinishedConferenceDetailsResponse{StatusCode: int(integration.NoError), StatusMessage: integration.NoError.String(),
		ConferenceDetails: &d}, nil
}

func bulkFailure(o outcome) BulkFinishedConferenceDetailsResponse {
	return BulkFinishedConferenceDetailsResponse{StatusCode: int(o.status), StatusMessage: o.status.String(), StatusDetails: o.details}
}

// ReportFinishedConferencesByDate reports the caller's conferences that
// ended between fromEndDate (default 1970-01-01) and toEndDate (default
// now) (Table 3-60), in the order they ended, at most max_response_size
// of them. Status codes
// (Table 3-63): 0, 4, 376, 377, 379, 1032, 1090.
func (s *Service) ReportFinishedConferencesByDate(ctx context.Context, req FinishedConferencesByDateRequest) (BulkFinishedConferenceDetailsResponse, error) {
	caller, o := s.caller(ctx, req.EntityID, req.EntityToken, auth.PolicyReporting, integration.InvalidSiteID)
	if o.failed() {
		return bulkFailure(o), nil
	}
	from, to := time.Unix(0, 0).UTC(), s.o.Now().UTC()
	if req.FromEndDate != nil {
		from = req.FromEndDate.Time()
	}
	if req.ToEndDate != nil {
		to = req.ToEndDate.Time()
	}
	list, err := s.o.Conferences.Finished(ctx, caller, from, to, s.o.MaxResponseSize+1)
	if err != nil {
		return bulkFailure(s.statusOf("reportFinishedConferencesByDate", err, integration.ErrorRetrievingConferenceList)), nil
	}
	resp := BulkFinishedConferenceDetailsResponse{StatusCode: int(integration.NoError), StatusMessage: integration.NoError.String(),
		ConferenceDetailsList: []FinishedConferenceDetails{}}
	slices.SortStableFunc(list, func(a, b store.Conference) int { return a.EndedAt.Compare(b.EndedAt) })
	if len(list) > s.o.MaxResponseSize {
		list = list[:s.o.MaxResponseSize]
		resp.StatusDetails = "more conferences match; narrow the dates to see the rest"
	}
	for _, c := range list {
		d, err := s.details(ctx, c, flag(req.IncludeAttendees), flag(req.IncludePlaybackURLDetails))
		if err != nil {
			return bulkFailure(s.statusOf("reportFinishedConferencesByDate", err, integration.ErrorRetrievingAttendeeList)), nil
		}
		resp.ConferenceDetailsList = append(resp.ConferenceDetailsList, d)
	}
	return resp, nil
}

// ReportFinishedConferencesByID reports the caller's finished
// conferences among conferenceIDs (Table 3-64), in the order asked.
// IDs that name no finished conference of the caller's are left out and
// named in statusDetails with ERROR_RETRIEVING_CONFERENCE_DETAILS; the
// others are still reported. At most max_request_size IDs. Status codes
// (Table 3-66): 0, 4, 377, 379, 1032, 1090.
func (s *Service) ReportFinishedConferencesByID(ctx context.Context, req FinishedConferencesByIDRequest) (BulkFinishedConferenceDetailsResponse, error) {
	caller, o := s.caller(ctx, req.EntityID, req.EntityToken, auth.PolicyReporting, integration.InvalidSiteID)
	if o.failed() {
		return bulkFailure(o), nil
	}
	resp := BulkFinishedConferenceDetailsResponse{StatusCode: int(integration.NoError), StatusMessage: integration.NoError.String(),
		ConferenceDetailsList: []FinishedConferenceDetails{}}
	ids := req.ConferenceIDs
	var problems []string
	if len(ids) > s.o.MaxRequestSize {
		problems = append(problems, fmt.Sprintf("only the first %d conference IDs are reported", s.o.MaxRequestSize))
		ids = ids[:s.o.MaxRequestSize]
	}
	now := s.o.Now()
	for _, id := range ids {
		c, err := s.o.Conferences.Get(ctx, caller, id)
		if err != nil {
			out := s.statusOf("reportFinishedConferencesByID", err, 0)
			if out.status == integration.UnexpectedError {
				return bulkFailure(out), nil
			}
			problems = append(problems, fmt.Sprintf("%q: %s", id, out.details))
			continue
		}
		if c.State != store.ConferenceEnded {
			status, _ := conference.Status(c, now, s.o.Conferences.EarlyJoin())
			problems = append(problems, fmt.Sprintf("%q: has not finished (%s)", id, status))
			continue
		}
		d, err := s.details(ctx, c, flag(req.IncludeAttendees), flag(req.IncludePlaybackURLDetails))
		if err != nil {
			return bulkFailure(s.statusOf("reportFinishedConferencesByID", err, integration.ErrorRetrievingAttendeeList)), nil
		}
		resp.ConferenceDetailsList = append(resp.ConferenceDetailsList, d)
	}
	if len(problems) > 0 {
		resp.StatusCode = int(integration.ErrorRetrievingConferenceDetail)
		resp.StatusMessage = integration.ErrorRetrievingConferenceDetail.String()
		resp.StatusDetails = strings.Join(problems, "; ")
	}
	return resp, nil
}
