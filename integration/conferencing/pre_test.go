package conferencing

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/auth"
)

// scheduleConference: success, and every status code of Table 3-25.
func TestScheduleConferenceStatuses(t *testing.T) {
	f := newFixture(t)
	tok := f.token(f.site, f.siteKey, auth.PolicyPreconference)
	resp, err := f.svc.ScheduleConference(f.ctx, ScheduleRequest{EntityID: f.site, EntityToken: tok, ScheduleOptions: options()})
	if err != nil || resp.StatusCode != 0 || resp.StatusMessage != "NO_ERROR" || resp.ScheduleResult == nil {
		t.Fatalf("schedule: %+v %v", resp, err)
	}
	r := resp.ScheduleResult
	if !strings.HasPrefix(r.HostURL, base+"/conference/"+r.ConferenceID+"#key=1_") || r.AttendeeURL != base+"/conference/"+r.ConferenceID {
		t.Fatalf("result: %+v", r)
	}
	if v, _ := integration.LookupAttr(r.AdhocAttributes, AttrMeetingType); v != "RESTRICTED" {
		t.Fatalf("meeting type %q", v)
	}

	tooMany := make([]ParticipantData, 501)
	for i := range tooMany {
		tooMany[i] = ParticipantData{EmailAddr: fmt.Sprintf("p%d@example.org", i)}
	}
	userTok := f.userToken(bob, auth.PolicyPreconference)
	cases := []struct {
		name   string
		entity string
		token  string
		mod    func(*ScheduleOptions) *ScheduleOptions
		want   integration.Status
	}{
		{"entityID of another site", f.otherSite, tok, nil, integration.InvalidSiteID},
		{"siteId of another site", f.site, tok, func(o *ScheduleOptions) *ScheduleOptions { o.SiteID = "999"; return o }, integration.InvalidSiteID},
		{"unknown host", f.site, tok, func(o *ScheduleOptions) *ScheduleOptions { o.Organizer.Userid = "nobody"; return o }, integration.InvalidUserID},
		{"GUID of another user", f.site, tok, func(o *ScheduleOptions) *ScheduleOptions {
			o.Organizer.Userguid = "00000000000000000000000000000000"
			return o
		}, integration.InvalidUserGUID},
		{"no scheduleOptions", f.site, tok, func(*ScheduleOptions) *ScheduleOptions { return nil }, integration.MeetingStartTimeIsNull},
		{"no start", f.site, tok, func(o *ScheduleOptions) *ScheduleOptions { o.StartDate = nil; return o }, integration.MeetingStartTimeIsNull},
		{"no end", f.site, tok, func(o *ScheduleOptions) *ScheduleOptions { o.EndDate = nil; return o }, integration.MeetingEndTimeIsNull},
		{"start in the past", f.site, tok, func(o *ScheduleOptions) *ScheduleOptions { o.StartDate = ts(t0.Add(-time.Hour)); return o }, integration.MeetingStartTimeErr},
		{"end before start", f.site, tok, func(o *ScheduleOptions) *ScheduleOptions { o.EndDate = ts(t0); return o }, integration.MeetingEndTimeErr},
		{"contradicting flags", f.site, tok, func(o *ScheduleOptions) *ScheduleOptions {
			o.RegisteredUserOnly, o.HostInvitedOnly = ptr(false), ptr(true)
			return o
		}, integration.MeetingNotCreatedErr},
		{"an unknown MEETING_TYPE", f.site, tok, func(o *ScheduleOptions) *ScheduleOptions {
			o.AdhocAttributes = attrs{integration.Attr(AttrMeetingType, "WEBINAR")}
			return o
		}, integration.MeetingNotCreatedErr},
		{"PUBLIC without guest access", f.site, tok, func(o *ScheduleOptions) *ScheduleOptions {
			o.AdhocAttributes = attrs{integration.Attr(AttrMeetingType, "PUBLIC")}
			return o
		}, integration.MeetingPublicMtgTypeErr},
		{"enrolment without a key", f.site, tok, func(o *ScheduleOptions) *ScheduleOptions { o.EnrollmentRequired = ptr(true); return o }, integration.MeetingInvalidPassword},
		{"an empty key", f.site, tok, func(o *ScheduleOptions) *ScheduleOptions { o.ConferenceKey = ptr("a\tb"); return o }, integration.MeetingInvalidPassword},
		{"a guest attendee of a RESTRICTED conference", f.site, tok, func(o *ScheduleOptions) *ScheduleOptions {
			o.Attendees = append(o.Attendees, ParticipantData{FirstName: "G", EmailAddr: "g@example.org"})
			return o
		}, integration.ProcessedWithNonFatalErrors},
		{"an invalid token", f.site, tok + "x", nil, integration.NotAuthorized},
		{"a PRESENCE token", f.site, "", nil, integration.NotAuthorized},
		{"no host", f.site, tok, func(o *ScheduleOptions) *ScheduleOptions { o.Organizer = nil; return o }, integration.OrganizerIDMissing},
		{"a user for another", bob, userTok, nil, integration.UserCannotScheduleForOrganizer},
		{"too many attendees", f.site, tok, func(o *ScheduleOptions) *ScheduleOptions { o.Attendees = tooMany; return o }, integration.ErrorProcessingParticipant},
		{"invitations without a relay", f.site, tok, func(o *ScheduleOptions) *ScheduleOptions {
			o.SendEmailNotification = ptr(true)
			return o
		}, integration.ErrorSendingEmailInvites},
	}
	presence := f.token(f.site, f.siteKey, auth.PolicySession)
	f.auth.UpdateSite(f.ctx, f.site, "", auth.Settings{auth.SettingPresence: true})
	presenceOnly, err := f.auth.RequestToken(f.ctx, f.site, presence, auth.TokenProperties{TokenPolicy: auth.PolicyPresence}, nil)
	must(t, err)
	for _, tc := range cases {
		o := options()
		if tc.mod != nil {
			o = tc.mod(o)
		}
		token := tc.token
		if token == "" {
			token = presenceOnly.Token
		}
		resp, err := f.svc.ScheduleConference(f.ctx, ScheduleRequest{EntityID: tc.entity, EntityToken: token, ScheduleOptions: o})
		if err != nil {
			t.Fatalf("%s: error %v (every outcome is a status)", tc.name, err)
		}
		check(t, tc.name, resp.StatusCode, resp.StatusDetails, tc.want)
		if resp.StatusMessage != tc.want.String() {
			t.Errorf("%s: statusMessage %q", tc.name, resp.StatusMessage)
		}
		created := tc.want == integration.ProcessedWithNonFatalErrors || tc.want == integration.ErrorSendingEmailInvites
		if created != (resp.ScheduleResult != nil) {
			t.Errorf("%s: scheduleResult %+v", tc.name, resp.ScheduleResult)
		}
		if created && resp.StatusDetails == "" {
			t.Errorf("%s: no statusDetails", tc.name)
		}
	}
	// A site whose scheduling_access_enabled is off; a user may
	// schedule for themselves; storage failing.
	resp, _ = f.svc.ScheduleConference(f.ctx, ScheduleRequest{EntityID: f.noSched, EntityToken: f.token(f.noSched, f.noKey, auth.PolicySession), ScheduleOptions: options()})
	check(t, "no scheduling access", resp.StatusCode, resp.StatusDetails, integration.NotAuthorized)
	o := options()
	o.Organizer = &ParticipantData{Userid: bob}
	o.Attendees = []ParticipantData{{Userid: alice}}
	resp, _ = f.svc.ScheduleConference(f.ctx, ScheduleRequest{EntityID: bob, EntityToken: userTok, ScheduleOptions: o})
	check(t, "a user for themselves", resp.StatusCode, resp.StatusDetails, integration.NoError)
	f.st.set("CreateConference", true)
	resp, _ = f.svc.ScheduleConference(f.ctx, ScheduleRequest{EntityID: f.site, EntityToken: tok, ScheduleOptions: options()})
	check(t, "storage failing", resp.StatusCode, resp.StatusDetails, integration.MeetingNotCreatedErr)
	if strings.Contains(resp.StatusDetails, "fire") {
		t.Fatalf("a storage error's text reached the client: %q", resp.StatusDetails)
	}
	f.st.set("CreateConference", false)
	f.st.set("Token", true)
	resp, _ = f.svc.ScheduleConference(f.ctx, ScheduleRequest{EntityID: f.site, EntityToken: tok, ScheduleOptions: options()})
	check(t, "token storage failing", resp.StatusCode, resp.StatusDetails, integration.UnexpectedError)
}

// updateConference: the update, and its own codes (2, 3, 354).
func TestUpdateConferenceStatuses(t *testing.T) {
	f := newFixture(t)
	id := f.schedule(options())
	tok := f.token(f.site, f.siteKey, auth.PolicyPreconference)
	resp, _ := f.svc.UpdateConference(f.ctx, ScheduleRequest{EntityID: f.site, EntityToken: tok,
		ScheduleOptions: &ScheduleOptions{ConferenceID: id, Title: "Moved", Attendees: []ParticipantData{{Userid: carol}}}})
	check(t, "update", resp.StatusCode, resp.StatusDetails, integration.NoError)
	c, _ := f.conf.Lookup(f.ctx, id)
	if c.Title != "Moved" || len(c.Participants) != 2 || c.Participants[1].UserID != carol {
		t.Fatalf("updated: %+v", c)
	}
	for _, tc := range []struct {
		name string
		o    *ScheduleOptions
		want integration.Status
	}{
		{"no scheduleOptions", nil, integration.MeetingIDIsNull},
		{"no conferenceId", &ScheduleOptions{Title: "x"}, integration.MeetingIDIsNull},
		{"unknown conferenceId", &ScheduleOptions{ConferenceID: "1"}, integration.InvalidMeetingID},
		{"end before start", &ScheduleOptions{ConferenceID: id, EndDate: ts(t0)}, integration.MeetingEndTimeErr},
	} {
		resp, _ := f.svc.UpdateConference(f.ctx, ScheduleRequest{EntityID: f.site, EntityToken: tok, ScheduleOptions: tc.o})
		check(t, tc.name, resp.StatusCode, resp.StatusDetails, tc.want)
	}
	other := f.token(f.otherSite, f.otherKey, auth.PolicyPreconference)
	resp, _ = f.svc.UpdateConference(f.ctx, ScheduleRequest{EntityID: f.otherSite, EntityToken: other, ScheduleOptions: &ScheduleOptions{ConferenceID: id}})
	check(t, "another site's conference", resp.StatusCode, resp.StatusDetails, integration.InvalidMeetingID)
	f.clock.advance(25 * time.Hour)
	f.enter(id, alice+"/pc", "Alice")
	resp, _ = f.svc.UpdateConference(f.ctx, ScheduleRequest{EntityID: f.site, EntityToken: tok, ScheduleOptions: &ScheduleOptions{ConferenceID: id, Title: "x"}})
	check(t, "in progress", resp.StatusCode, resp.StatusDetails, integration.MeetingCannotBeUpdatedNow)
}

// deleteConference: Table 3-31.
func TestDeleteConferenceStatuses(t *testing.T) {
	f := newFixture(t)
	id := f.schedule(options())
	running := f.schedule(options())
	tok := f.token(f.site, f.siteKey, auth.PolicyPreconference)
	del := func(entity, token, conf string) StatusResponse {
		r, err := f.svc.DeleteConference(f.ctx, DeleteConferenceRequest{EntityID: entity, EntityToken: token, ConferenceID: conf})
		must(t, err)
		return r
	}
	r := del(f.otherSite, f.token(f.otherSite, f.otherKey, auth.PolicyPreconference), id)
	check(t, "another site's", r.StatusCode, r.StatusDetails, integration.InvalidMeetingID)
	r = del(f.otherSite, tok, id)
	check(t, "entityID of another site", r.StatusCode, r.StatusDetails, integration.InvalidSiteID)
	r = del(f.site, "1_nope", id)
	check(t, "a bad token", r.StatusCode, r.StatusDetails, integration.NotAuthorized)
	r = del(f.site, tok, "")
	check(t, "no ID", r.StatusCode, r.StatusDetails, integration.InvalidMeetingID)
	f.st.set("DeleteConference", true)
	r = del(f.site, tok, id)
	check(t, "storage failing", r.StatusCode, r.StatusDetails, integration.UnexpectedError)
	f.st.set("DeleteConference", false)
	r = del(f.site, tok, id)
	check(t, "delete", r.StatusCode, r.StatusDetails, integration.NoError)
	r = del(f.site, tok, id)
	check(t, "twice", r.StatusCode, r.StatusDetails, integration.InvalidMeetingID)
	f.clock.advance(25 * time.Hour)
	f.enter(running, alice+"/pc", "Alice")
	r = del(f.site, tok, running)
	check(t, "in progress", r.StatusCode, r.StatusDetails, integration.MeetingCannotBeUpdatedNow)
}

// listUpcomingConferences: the details of each conference, the
// filters, the response size limit and Table 3-35's codes.
func TestListUpcomingConferences(t *testing.T) {
	f := newFixture(t)
	ids := []string{}
	for i := range 4 {
		o := options()
		o.StartDate, o.EndDate = ts(t0.Add(time.Duration(i)*time.Hour)), ts(t0.Add(time.Duration(i+1)*time.Hour))
		if i == 1 {
			o.AdhocAttributes = attrs{integration.Attr(AttrMeetingType, "REGISTERED")}
		}
		ids = append(ids, f.schedule(o))
	}
	tok := f.token(f.site, f.siteKey, auth.PolicyPreconference)
	list := func(req UpcomingConferencesRequest) UpcomingConferencesResponse {
		if req.EntityToken == "" {
			req.EntityToken = tok
		}
		r, err := f.svc.ListUpcomingConferences(f.ctx, req)
		must(t, err)
		return r
	}
	r := list(UpcomingConferencesRequest{EntityID: f.site})
	check(t, "list", r.StatusCode, r.StatusDetails, integration.NoError)
	if len(r.ConferenceDetails) != 3 || r.StatusDetails == "" { // max_response_size 3 of 4
		t.Fatalf("list: %d conferences, details %q", len(r.ConferenceDetails), r.StatusDetails)
	}
	d := r.ConferenceDetails[0]
	if d.ConferenceID != ids[0] || d.ConferenceStatus != "Waiting for Host" || d.StatusDetail != "WFH" || d.ConferenceTitle != "Review" ||
		!d.RegisteredUserOnly || !d.HostInvitedOnly || d.PubliclyListed || d.HostName != "Alice" || len(d.HostGUID) != 32 ||
		d.ConferenceURL != base+"/conference/"+ids[0] || !d.ScheduledStartTime.Equal(t0) || !d.ScheduledEndTime.Equal(t0.Add(time.Hour)) {
		t.Fatalf("details: %+v", d)
	}
	if r.ConferenceDetails[2].ConferenceStatus != "Not Started" {
		t.Fatalf("a later conference: %+v", r.ConferenceDetails[2])
	}
	r = list(UpcomingConferencesRequest{EntityIDAlias: f.site, RegisteredUserOnly: ptr(true), HostInvitedOnly: ptr(false)})
	if len(r.ConferenceDetails) != 1 || r.ConferenceDetails[0].ConferenceID != ids[1] {
		t.Fatalf("filtered by the corrected names: %+v", r)
	}
	r = list(UpcomingConferencesRequest{EntityID: f.site, RegisteredUserOny: ptr(true), HostInvitedOnly: ptr(true), FromStartDate: ts(t0.Add(90 * time.Minute))})
	if len(r.ConferenceDetails) != 2 || r.ConferenceDetails[0].ConferenceID != ids[2] {
		t.Fatalf("from a date: %+v", r)
	}
	r = list(UpcomingConferencesRequest{EntityID: f.site, ToStartDate: ts(t0.Add(30 * time.Minute))})
	if len(r.ConferenceDetails) != 1 {
		t.Fatalf("to a date: %+v", r)
	}
	r = list(UpcomingConferencesRequest{EntityID: f.site, UserID: "carol"})
	if r.StatusCode != 0 || len(r.ConferenceDetails) != 0 {
		t.Fatalf("carol takes part in none: %+v", r)
	}
	r = list(UpcomingConferencesRequest{EntityID: f.site, UserID: "nobody"})
	check(t, "an unknown user", r.StatusCode, r.StatusDetails, integration.InvalidUserID)
	r = list(UpcomingConferencesRequest{EntityID: f.otherSite})
	check(t, "entityId of another site", r.StatusCode, r.StatusDetails, integration.NotAuthorized)
	// A user sees the conferences they take part in, with their own link.
	bobTok := f.userToken(bob, auth.PolicyPreconference)
	r = list(UpcomingConferencesRequest{EntityID: "bob", EntityToken: bobTok})
	if r.StatusCode != 0 || len(r.ConferenceDetails) != 3 || !strings.Contains(r.ConferenceDetails[0].ConferenceURL, "#key=2_") {
		t.Fatalf("bob's list: %+v", r)
	}
	r = list(UpcomingConferencesRequest{EntityID: bob, EntityToken: bobTok, UserID: alice})
	check(t, "a user asking about another", r.StatusCode, r.StatusDetails, integration.NotAuthorized)
	f.st.set("ListConferences", true)
	r = list(UpcomingConferencesRequest{EntityID: f.site})
	check(t, "storage failing", r.StatusCode, r.StatusDetails, integration.ErrorRetrievingConferenceList)
	f.st.set("ListConferences", false)
	f.st.set("Token", true)
	r = list(UpcomingConferencesRequest{EntityID: f.site})
	check(t, "token storage failing", r.StatusCode, r.StatusDetails, integration.UnexpectedError)
}
