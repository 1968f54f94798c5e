// Package conferencing is the web-conference part of the integration
// services (seed 001 chapter 3): PreConferenceService
// (scheduleConference, updateConference, deleteConference,
// listUpcomingConferences and the Instant Conference URL service),
// PostConferenceService (getPlaybackURL) and ReportingService
// (reportAttendeeList, reportFinishedConferenceDetails,
// reportFinishedConferencesByDate, reportFinishedConferencesByID), over
// package conference, which runs the conferences.
//
// Every outcome is a status code in the response, as the seed's tables
// give them; the error result of an operation is always nil, so the
// bindings answer every call with a normal response. A call is
// authorized by a live token issued to entityID with the service's
// policy (PRECONFERENCE, POSTCONFERENCE or REPORTING) or SESSION, whose
// entity has scheduling_access_enabled; a site then works with the
// conferences it scheduled, a user with their own (and lists those they
// take part in).
package conferencing

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/parley-im/parley/conference"
	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/store"
)

// Options configure a Service.
type Options struct {
	Auth        *auth.Service
	Conferences *conference.Manager
	// MaxResponseSize bounds the conferences of one report or listing
	// (rtc.application.max_response_size); 0 means 100.
	MaxResponseSize int
	// MaxRequestSize bounds the conference IDs of one
	// reportFinishedConferencesByID (rtc.application.max_request_size);
	// 0 means 100.
	MaxRequestSize int
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Service is the conference integration services. Create it with New.
type Service struct {
	o   Options
	log *slog.Logger
}

// New returns a Service.
func New(o Options) *Service {
	if o.MaxResponseSize <= 0 {
		o.MaxResponseSize = 100
	}
	if o.MaxRequestSize <= 0 {
		o.MaxRequestSize = 100
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Service{o: o, log: o.Logger}
}

// outcome is a call's status code and details.
type outcome struct {
	status  integration.Status
	details string
}

var ok = outcome{status: integration.NoError}

func (o outcome) failed() bool { return o.status != integration.NoError }

// statuses maps package conference's sentinels to the seed's status
// codes; an operation whose table lacks one overrides it (statusOf).
var statuses = []struct {
	err    error
	status integration.Status
}{
	{conference.ErrIDMissing, integration.MeetingIDIsNull},
	{conference.ErrNotFound, integration.InvalidMeetingID},
	{conference.ErrSiteMismatch, integration.InvalidSiteID},
	{conference.ErrUnknownUser, integration.InvalidUserID},
	{conference.ErrUnknownGUID, integration.InvalidUserGUID},
	{conference.ErrStartMissing, integration.MeetingStartTimeIsNull},
	{conference.ErrEndMissing, integration.MeetingEndTimeIsNull},
	{conference.ErrCannotChange, integration.MeetingCannotBeUpdatedNow},
	{conference.ErrStartTime, integration.MeetingStartTimeErr},
	{conference.ErrEndTime, integration.MeetingEndTimeErr},
	{conference.ErrNotCreated, integration.MeetingNotCreatedErr},
	{conference.ErrPublicNotAllowed, integration.MeetingPublicMtgTypeErr},
	{conference.ErrKey, integration.MeetingInvalidPassword},
	{conference.ErrNeverStarted, integration.ErrorRetrievingAttendeeList},
	{conference.ErrNotFinished, integration.ErrorRetrievingConferenceDetail},
	{conference.ErrNotAllowed, integration.NotAuthorized},
	{conference.ErrHostMissing, integration.OrganizerIDMissing},
	{conference.ErrNotHost, integration.UserCannotScheduleForOrganizer},
	{conference.ErrParticipants, integration.ErrorProcessingParticipant},
}

// override replaces one sentinel's status for an operation.
type override struct {
	err    error
	status integration.Status
}

// statusOf is the outcome of a failed call. An error that is not one of
// package conference's is a failure on our side: logged, and answered
// with fallback (UNEXPECTED_ERROR unless the table has a more telling
// one) without its text.
func (s *Service) statusOf(op string, err error, fallback integration.Status, overrides ...override) outcome {
	for _, o := range overrides {
		if errors.Is(err, o.err) {
			return outcome{o.status, detail(err)}
		}
	}
	for _, st := range statuses {
		if errors.Is(err, st.err) {
			return outcome{st.status, detail(err)}
		}
	}
	s.log.Error("conference service", "operation", op, "err", err)
	if fallback == 0 {
		fallback = integration.UnexpectedError
	}
	return outcome{fallback, "the request could not be completed"}
}

// detail is a sentinel's message without the package prefix.
func detail(err error) string { return strings.TrimPrefix(err.Error(), "conference: ") }

// caller authorizes a call: the token must be live, issued to entityID,
// carry policy or SESSION, and its entity must have
// scheduling_access_enabled. siteStatus is the status for an entityID
// that is not the token's site (INVALID_SITE_ID where the operation's
// table has it).
func (s *Service) caller(ctx context.Context, entityID, token, policy string, siteStatus integration.Status) (conference.Caller, outcome) {
	tok, err := s.o.Auth.Resolve(ctx, token)
	if errors.Is(err, auth.ErrInvalidToken) {
		return conference.Caller{}, outcome{integration.NotAuthorized, "invalid, ended or expired entityToken"}
	}
	if err != nil {
		return conference.Caller{}, s.statusOf("authorize", err, 0)
	}
	if !s.o.Auth.IssuedTo(tok, entityID) {
		if tok.IsUser() {
			return conference.Caller{}, outcome{integration.NotAuthorized, "the token was not issued to this entityID"}
		}
		return conference.Caller{}, outcome{siteStatus, "entityID is not the site the token was issued to"}
	}
	if !tok.HasPolicy(policy) && !tok.HasPolicy(auth.PolicySession) {
		return conference.Caller{}, outcome{integration.NotAuthorized, "the token's policy includes neither " + policy + " nor SESSION"}
	}
	settings, err := s.o.Auth.EntitySettings(ctx, tok)
	if errors.Is(err, auth.ErrInvalidToken) {
		return conference.Caller{}, outcome{integration.NotAuthorized, "invalid, ended or expired entityToken"}
	}
	if err != nil {
		return conference.Caller{}, s.statusOf("authorize", err, 0)
	}
	if !settings[auth.SettingScheduling] {
		return conference.Caller{}, outcome{integration.NotAuthorized, "scheduling_access_enabled is off for this entity"}
	}
	c := conference.Caller{GuestsAllowed: settings[auth.SettingGuestUserAcces], KeyRequired: settings[auth.SettingConferenceKey]}
	if tok.IsUser() {
		c.User = tok.EntityID
	} else {
		c.Site = tok.EntityID
	}
	return c, ok
}

// GuestsAllowed reports whether the site or user that scheduled c lets
// guests in now (guest_user_access_enabled), for conference.Options.
func GuestsAllowed(a *auth.Service) func(ctx context.Context, c store.Conference) bool {
	return func(ctx context.Context, c store.Conference) bool {
		if c.SiteID == "" {
			return a.UserSettings()[auth.SettingGuestUserAcces]
		}
		site, err := a.Site(ctx, c.SiteID)
		return err == nil && site.Settings[auth.SettingGuestUserAcces]
	}
}
