package bind

import (
	"errors"
	"fmt"
	"testing"

	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/api"
	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/integration/conferencing"
	"github.com/parley-im/parley/integration/presence"
)

// The sentinels of the service layer become the right binding errors,
// wrapped or not; unknown errors stay unmapped (Internal, message hidden).
func TestErrorMapping(t *testing.T) {
	cases := []struct {
		mapper api.ErrorMapper
		err    error
		code   api.Code
		status integration.Status
	}{
		{authError, auth.ErrInvalidInput, api.BadRequest, integration.ServiceInputError},
		{authError, fmt.Errorf("%w: PROXY needs PROXY_USER", auth.ErrInvalidInput), api.BadRequest, integration.ServiceInputError},
		{authError, auth.ErrRequestSizeExceeded, api.BadRequest, integration.RequestSizeExceeded},
		{authError, auth.ErrAuthFailed, api.Unauthenticated, integration.NotAuthorized},
		{authError, auth.ErrInvalidToken, api.Unauthenticated, integration.NotAuthorized},
		{authError, fmt.Errorf("x: %w", auth.ErrNotAuthorized), api.Forbidden, integration.NotAuthorized},
		{presenceError, presence.ErrInvalidInput, api.BadRequest, integration.ServiceInputError},
		{presenceError, presence.ErrInvalidToken, api.Unauthenticated, integration.NotAuthorized},
		{presenceError, presence.ErrNotAuthorized, api.Forbidden, integration.NotAuthorized},
	}
	for _, c := range cases {
		e := api.Classify(c.err, c.mapper)
		if e.Code != c.code || e.Status != c.status || e.Message != c.err.Error() {
			t.Errorf("%v: %+v, want code %d status %d", c.err, e, c.code, c.status)
		}
	}
	secret := errors.New("sqlite: disk I/O error at /var/lib/parley/parley.db")
	for _, m := range []api.ErrorMapper{authError, presenceError} {
		if e := api.Classify(secret, m); e.Code != api.Internal || e.Message != "internal error" || e.Status != integration.UnexpectedError {
			t.Errorf("unknown error: %+v", e)
		}
	}
}

// Every service describes the seed's operations with param0..N, and
// the three can share one OpenAPI document (their complex types agree).
func TestDescriptions(t *testing.T) {
	svcs := []*api.Service{Authentication(&auth.Service{}), Configuration(nil), Presence(nil),
		PreConference(&conferencing.Service{}), PostConference(&conferencing.Service{}), Reporting(&conferencing.Service{})}
	want := map[string][]string{
		"AuthenticationService": {"createSession:3", "requestToken:4", "requestMultipleTokens:4", "requestTokenForCredentials:3", "endSession:2", "getTokenStatus:2"},
		"ConfigurationService":  {"getConfiguration:1"},
		"PresenceService":       {"getPresence:5", "getBulkPresence:1"},
		"PreConferenceService":  {"scheduleConference:1", "updateConference:1", "deleteConference:1", "listUpcomingConferences:1"},
		"PostConferenceService": {"getPlaybackURL:1"},
		"ReportingService": {"reportAttendeeList:1", "reportFinishedConferenceDetails:1", "reportFinishedConferencesByDate:1",
			"reportFinishedConferencesByID:1"},
	}
	for _, s := range svcs {
		var got []string
		for _, op := range s.Operations {
			got = append(got, fmt.Sprintf("%s:%d", op.Name, len(op.Params)))
			for i, p := range op.Params {
				if p.Name != fmt.Sprintf("param%d", i) || p.Doc == "" {
					t.Errorf("%s.%s: parameter %d is %q with doc %q", s.Name, op.Name, i, p.Name, p.Doc)
				}
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want[s.Name]) {
			t.Errorf("%s: %v, want %v", s.Name, got, want[s.Name])
		}
	}
	names := map[string]bool{}
	for _, ct := range api.ComplexTypes(svcs...) { // panics on a clash
		names[ct.Name] = true
	}
	for _, n := range []string{"TokenObject", "AdhocAttribute", "TokenProperties", "PolicyObject", "ArrayOfPolicyObject", "ArrayOfTokenObject",
		"CredentialObject", "GetConfigurationRequest", "GetConfigurationResponse", "PresentityStatus", "PresentityResource", "BulkPresenceRequest", "BulkPresenceResponse",
		"ScheduleRequest", "ScheduleOptions", "ParticipantData", "ScheduleResponse", "ScheduleResult", "DeleteConferenceRequest",
		"StatusResponse", "UpcomingConferencesRequest", "UpcomingConferencesResponse", "UpcomingConferenceDetails",
		"PlaybackURLRequest", "PlaybackURLResponse", "PlaybackURLDetails", "AttendeeListRequest", "AttendeeListResponse", "Attendee",
		"FinishedConferenceDetailsRequest", "FinishedConferenceDetailsResponse", "FinishedConferenceDetails",
		"FinishedConferencesByDateRequest", "FinishedConferencesByIDRequest", "BulkFinishedConferenceDetailsResponse"} {
		if !names[n] {
			t.Errorf("no complex type %s", n)
		}
	}
}
