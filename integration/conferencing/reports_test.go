package conferencing

import (
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/conference"
	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/auth"
)

// A conference that ran: alice (host) from 10:00 to 10:45, bob from
// 10:05 to 10:20 and again from 10:30 to 10:40; ended by the host at
// 10:45. Another that never started (ABANDONED), one still to come, one
// in progress.
type reportFixture struct {
	*fixture
	ran, abandoned, future, running string
	tok                             string
}

func newReportFixture(t *testing.T) *reportFixture {
	f := &reportFixture{fixture: newFixture(t)}
	at := func(h, m int) time.Time { return t0.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	o := options()
	o.StartDate, o.EndDate, o.ConferenceKey = ts(at(1, 0)), ts(at(2, 0)), ptr("k3y")
	f.ran = f.schedule(o)
	o = options()
	o.StartDate, o.EndDate, o.Title = ts(at(1, 0)), ts(at(1, 30)), "Nobody came"
	f.abandoned = f.schedule(o)
	o = options()
	o.StartDate, o.EndDate = ts(at(30, 0)), ts(at(31, 0))
	f.future = f.schedule(o)
	o = options()
	o.StartDate, o.EndDate = ts(at(2, 0)), ts(at(4, 0))
	f.running = f.schedule(o)

	f.clock.advance(time.Hour) // 10:00
	f.enter(f.ran, alice+"/pc", "Alice")
	f.clock.advance(5 * time.Minute)
	f.enter(f.ran, bob+"/pc", "Bob")
	f.clock.advance(15 * time.Minute) // 10:20
	f.leave(f.ran, bob+"/pc", "Bob")
	f.clock.advance(10 * time.Minute) // 10:30
	f.enter(f.ran, bob+"/phone", "Bob")
	f.clock.advance(10 * time.Minute) // 10:40
	f.leave(f.ran, bob+"/phone", "Bob")
	f.clock.advance(5 * time.Minute) // 10:45
	must(t, f.conf.End(f.ctx, f.ran, conference.EndGraceful))
	f.clock.advance(75 * time.Minute) // 12:00
	f.enter(f.running, alice+"/pc", "Alice")
	must(t, f.conf.Tick(f.ctx)) // the abandoned one ends
	f.conf.Wait()
	f.tok = f.token(f.site, f.siteKey, auth.PolicyReporting)
	return f
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// reportAttendeeList: one row per stay with the clock's times; Table
// 3-53's codes.
func TestReportAttendeeList(t *testing.T) {
	f := newReportFixture(t)
	list := func(entity, token, id string) AttendeeListResponse {
		r, err := f.svc.ReportAttendeeList(f.ctx, AttendeeListRequest{EntityID: entity, EntityToken: token, ConferenceID: id})
		must(t, err)
		return r
	}
	r := list(f.site, f.tok, f.ran)
	check(t, "report", r.StatusCode, r.StatusDetails, integration.NoError)
	at := func(h, m int) int64 { return ms(t0.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)) }
	want := []Attendee{
		{Name: "Alice", EmailAddress: "alice@mail.example.com", TimeEntered: at(1, 0), TimeExited: at(1, 45), UserID: alice},
		{Name: "Bob", TimeEntered: at(1, 5), TimeExited: at(1, 20), UserID: bob},
		{Name: "Bob", TimeEntered: at(1, 30), TimeExited: at(1, 40), UserID: bob},
	}
	if len(r.Attendees) != len(want) {
		t.Fatalf("attendees: %+v", r.Attendees)
	}
	for i, w := range want {
		g := r.Attendees[i]
		role, _ := integration.LookupAttr(g.AdhocAttributes, AttrRole)
		jid, _ := integration.LookupAttr(g.AdhocAttributes, AttrJID)
		wantRole := "attendee"
		if i == 0 {
			wantRole = "host"
		}
		if g.Name != w.Name || g.EmailAddress != w.EmailAddress || g.TimeEntered != w.TimeEntered || g.TimeExited != w.TimeExited ||
			g.UserID != w.UserID || g.Guest || role != wantRole || jid != w.UserID {
			t.Errorf("attendee %d: %+v, want %+v", i, g, w)
		}
	}
	// In progress: who is in has no exit time yet.
	r = list(f.site, f.tok, f.running)
	if r.StatusCode != 0 || len(r.Attendees) != 1 || r.Attendees[0].TimeExited != 0 {
		t.Fatalf("in progress: %+v", r)
	}
	r = list(f.site, f.tok, f.abandoned)
	check(t, "never started", r.StatusCode, r.StatusDetails, integration.ErrorRetrievingAttendeeList)
	if !strings.Contains(r.StatusDetails, "ABANDONED") {
		t.Errorf("never started, details %q", r.StatusDetails)
	}
	r = list(f.site, f.tok, f.future)
	check(t, "still to come", r.StatusCode, r.StatusDetails, integration.ErrorRetrievingAttendeeList)
	r = list(f.site, f.tok, "42")
	check(t, "unknown", r.StatusCode, r.StatusDetails, integration.ErrorRetrievingConferenceDetail)
	r = list(f.site, f.tok, "")
	check(t, "no ID", r.StatusCode, r.StatusDetails, integration.ErrorRetrievingConferenceDetail)
	r = list(f.otherSite, f.token(f.otherSite, f.otherKey, auth.PolicyReporting), f.ran)
	check(t, "another site's", r.StatusCode, r.StatusDetails, integration.ErrorRetrievingConferenceDetail)
	r = list(f.otherSite, f.tok, f.ran)
	check(t, "entityID of another site", r.StatusCode, r.StatusDetails, integration.InvalidSiteID)
	r = list(f.site, f.token(f.site, f.siteKey, auth.PolicyPreconference), f.ran)
	check(t, "a PRECONFERENCE token", r.StatusCode, r.StatusDetails, integration.NotAuthorized)
	r = list(f.site, f.token(f.site, f.siteKey, auth.PolicySession), f.ran)
	check(t, "a SESSION token", r.StatusCode, r.StatusDetails, integration.NoError)
	f.st.set("Attendance", true)
	r = list(f.site, f.tok, f.ran)
	check(t, "attendance storage failing", r.StatusCode, r.StatusDetails, integration.ErrorRetrievingAttendeeList)
	f.st.set("Attendance", false)
	f.st.set("Token", true)
	r = list(f.site, f.tok, f.ran)
	check(t, "token storage failing", r.StatusCode, r.StatusDetails, integration.UnexpectedError)
}

// reportFinishedConferenceDetails: the details, optional attendees and
// playback; Table 3-58's codes.
func TestReportFinishedConferenceDetails(t *testing.T) {
	f := newReportFixture(t)
	get := func(entity, token, id string, att, pb *bool) FinishedConferenceDetailsResponse {
		r, err := f.svc.ReportFinishedConferenceDetails(f.ctx, FinishedConferenceDetailsRequest{EntityID: entity, EntityToken: token,
			ConferenceID: id, IncludeAttendees: att, IncludePlaybackURLDetails: pb})
		must(t, err)
		return r
	}
	r := get(f.site, f.tok, f.ran, nil, nil)
	check(t, "details", r.StatusCode, r.StatusDetails, integration.NoError)
	d := r.ConferenceDetails
	if d == nil || d.ConferenceID != f.ran || d.Title != "Review" || d.HostName != "Alice" || !d.StartTime.Equal(t0.Add(time.Hour)) ||
		!d.EndTime.Equal(t0.Add(105*time.Minute)) || d.Duration != 45 || d.NumAttendees != 2 || d.StatusDetails != "GRACEFUL" ||
		d.Attendees != nil || d.PlaybackURLDetails != nil {
		t.Fatalf("details: %+v", d)
	}
	r = get(f.site, f.tok, f.ran, ptr(true), ptr(true))
	d = r.ConferenceDetails
	if len(d.Attendees) != 3 || d.PlaybackURLDetails == nil || !d.PlaybackURLDetails.FinishedFlag || !d.PlaybackURLDetails.RecordedFlag ||
		!d.PlaybackURLDetails.PublishedFlag || !strings.HasPrefix(d.PlaybackURLDetails.PlaybackURL, base+"/conference/"+f.ran+"/playback#t=") ||
		strings.Contains(d.PlaybackURLDetails.PlaybackURL, "ck=") {
		t.Fatalf("with attendees and playback: %+v %+v", d, d.PlaybackURLDetails)
	}
	r = get(f.site, f.tok, f.abandoned, ptr(true), ptr(true))
	d = r.ConferenceDetails
	if r.StatusCode != 0 || d.StatusDetails != "ABANDONED" || d.Duration != 0 || d.NumAttendees != 0 || !d.StartTime.Equal(t0.Add(time.Hour)) ||
		!d.EndTime.Equal(t0.Add(90*time.Minute)) || d.PlaybackURLDetails.RecordedFlag || len(d.Attendees) != 0 {
		t.Fatalf("abandoned: %+v", d)
	}
	for _, tc := range []struct {
		name, entity, token, id string
		want                    integration.Status
	}{
		{"no ID", f.site, f.tok, " ", integration.MeetingIDIsNull},
		{"unknown", f.site, f.tok, "42", integration.InvalidMeetingID},
		{"entityID of another site", f.otherSite, f.tok, f.ran, integration.InvalidSiteID},
		{"still to come", f.site, f.tok, f.future, integration.ErrorRetrievingConferenceDetail},
		{"in progress", f.site, f.tok, f.running, integration.ErrorRetrievingConferenceDetail},
		{"an ended token", f.site, "1_x", f.ran, integration.NotAuthorized},
	} {
		r := get(tc.entity, tc.token, tc.id, nil, nil)
		check(t, tc.name, r.StatusCode, r.StatusDetails, tc.want)
		if r.ConferenceDetails != nil {
			t.Errorf("%s: details %+v", tc.name, r.ConferenceDetails)
		}
	}
	if r := get(f.site, f.tok, f.running, nil, nil); !strings.Contains(r.StatusDetails, "In progress") {
		t.Errorf("in progress says %q", r.StatusDetails)
	}
	f.st.set("Attendance", true)
	r = get(f.site, f.tok, f.ran, nil, nil)
	check(t, "attendance storage failing", r.StatusCode, r.StatusDetails, integration.ErrorRetrievingAttendeeList)
	f.st.set("Attendance", false)
	f.st.set("Conference", true)
	r = get(f.site, f.tok, f.ran, nil, nil)
	check(t, "conference storage failing", r.StatusCode, r.StatusDetails, integration.UnexpectedError)
}

// reportFinishedConferencesByDate with the seed's default dates, a
// range, and the failures of Table 3-63.
func TestReportFinishedConferencesByDate(t *testing.T) {
	f := newReportFixture(t)
	get := func(req FinishedConferencesByDateRequest) BulkFinishedConferenceDetailsResponse {
		if req.EntityID == "" {
			req.EntityID, req.EntityToken = f.site, f.tok
		}
		r, err := f.svc.ReportFinishedConferencesByDate(f.ctx, req)
		must(t, err)
		return r
	}
	names := func(r BulkFinishedConferenceDetailsResponse) string {
		var out []string
		for _, d := range r.ConferenceDetailsList {
			out = append(out, d.StatusDetails)
		}
		return strings.Join(out, ",")
	}
	r := get(FinishedConferencesByDateRequest{})
	if r.StatusCode != 0 || names(r) != "ABANDONED,GRACEFUL" { // in the order they ended
		t.Fatalf("defaults: %d %q %+v", r.StatusCode, names(r), r)
	}
	r = get(FinishedConferencesByDateRequest{FromEndDate: ts(t0.Add(100 * time.Minute)), IncludeAttendees: ptr(true)})
	if names(r) != "GRACEFUL" || len(r.ConferenceDetailsList[0].Attendees) != 3 {
		t.Fatalf("from 10:40: %q", names(r))
	}
	r = get(FinishedConferencesByDateRequest{ToEndDate: ts(t0.Add(100 * time.Minute)), IncludePlaybackURLDetails: ptr(true)})
	if names(r) != "ABANDONED" || r.ConferenceDetailsList[0].PlaybackURLDetails == nil {
		t.Fatalf("to 10:40: %q", names(r))
	}
	r = get(FinishedConferencesByDateRequest{ToEndDate: ts(t0)})
	if r.StatusCode != 0 || len(r.ConferenceDetailsList) != 0 {
		t.Fatalf("nothing before 9:00: %+v", r)
	}
	r = get(FinishedConferencesByDateRequest{EntityID: f.otherSite, EntityToken: f.token(f.otherSite, f.otherKey, auth.PolicyReporting)})
	if r.StatusCode != 0 || len(r.ConferenceDetailsList) != 0 {
		t.Fatalf("another site sees: %+v", r)
	}
	r = get(FinishedConferencesByDateRequest{EntityID: f.otherSite, EntityToken: f.tok})
	check(t, "entityID of another site", r.StatusCode, r.StatusDetails, integration.InvalidSiteID)
	r = get(FinishedConferencesByDateRequest{EntityID: f.noSched, EntityToken: f.token(f.noSched, f.noKey, auth.PolicySession)})
	check(t, "no scheduling access", r.StatusCode, r.StatusDetails, integration.NotAuthorized)
	f.st.set("ListConferences", true)
	r = get(FinishedConferencesByDateRequest{})
	check(t, "list storage failing", r.StatusCode, r.StatusDetails, integration.ErrorRetrievingConferenceList)
	f.st.set("ListConferences", false)
	f.st.set("Attendance", true)
	r = get(FinishedConferencesByDateRequest{})
	check(t, "attendance storage failing", r.StatusCode, r.StatusDetails, integration.ErrorRetrievingAttendeeList)
	f.st.set("Attendance", false)
	f.st.set("Token", true)
	r = get(FinishedConferencesByDateRequest{})
	check(t, "token storage failing", r.StatusCode, r.StatusDetails, integration.UnexpectedError)
}

// reportFinishedConferencesByID: in the order asked; what cannot be
// reported is named with 379; Table 3-66's other codes.
func TestReportFinishedConferencesByID(t *testing.T) {
	f := newReportFixture(t)
	get := func(entity, token string, ids ...string) BulkFinishedConferenceDetailsResponse {
		r, err := f.svc.ReportFinishedConferencesByID(f.ctx, FinishedConferencesByIDRequest{EntityID: entity, EntityToken: token, ConferenceIDs: ids})
		must(t, err)
		return r
	}
	r := get(f.site, f.tok, f.abandoned, f.ran)
	if r.StatusCode != 0 || len(r.ConferenceDetailsList) != 2 || r.ConferenceDetailsList[0].ConferenceID != f.abandoned ||
		r.ConferenceDetailsList[1].ConferenceID != f.ran {
		t.Fatalf("by ID: %+v", r)
	}
	r = get(f.site, f.tok, f.ran, "42", f.running)
	check(t, "partly", r.StatusCode, r.StatusDetails, integration.ErrorRetrievingConferenceDetail)
	if len(r.ConferenceDetailsList) != 1 || !strings.Contains(r.StatusDetails, `"42"`) || !strings.Contains(r.StatusDetails, "In progress") {
		t.Fatalf("partly: %+v", r)
	}
	r = get(f.site, f.tok, f.ran, f.ran, f.ran, f.ran)
	if len(r.ConferenceDetailsList) != 3 || r.StatusCode != int(integration.ErrorRetrievingConferenceDetail) {
		t.Fatalf("over max_request_size: %+v", r)
	}
	r = get(f.site, f.tok)
	if r.StatusCode != 0 || len(r.ConferenceDetailsList) != 0 {
		t.Fatalf("no IDs: %+v", r)
	}
	r = get(f.otherSite, f.tok, f.ran)
	check(t, "entityID of another site", r.StatusCode, r.StatusDetails, integration.InvalidSiteID)
	r = get(f.site, "", f.ran)
	check(t, "no token", r.StatusCode, r.StatusDetails, integration.NotAuthorized)
	f.st.set("Attendance", true)
	r = get(f.site, f.tok, f.ran)
	check(t, "attendance storage failing", r.StatusCode, r.StatusDetails, integration.ErrorRetrievingAttendeeList)
	f.st.set("Attendance", false)
	f.st.set("Conference", true)
	r = get(f.site, f.tok, f.ran)
	check(t, "conference storage failing", r.StatusCode, r.StatusDetails, integration.UnexpectedError)
}

// getPlaybackURL: the URL and the flags before, during and after a
// conference; the conference key in its derived form; Table 3-40.
func TestGetPlaybackURL(t *testing.T) {
	f := newReportFixture(t)
	tok := f.token(f.site, f.siteKey, auth.PolicyPostconference)
	get := func(entity, token, id string, withKey *bool) PlaybackURLResponse {
		r, err := f.svc.GetPlaybackURL(f.ctx, PlaybackURLRequest{EntityID: entity, EntityToken: token, ConferenceID: id, IncludeConferenceKey: withKey})
		must(t, err)
		return r
	}
	for _, tc := range []struct {
		id                          string
		finished, recorded, publish bool
	}{{f.ran, true, true, true}, {f.abandoned, true, false, false}, {f.future, false, false, false}, {f.running, false, true, false}} {
		r := get(f.site, tok, tc.id, nil)
		d := r.PlaybackURLDetail
		if r.StatusCode != 0 || d == nil || d.FinishedFlag != tc.finished || d.RecordedFlag != tc.recorded || d.PublishedFlag != tc.publish {
			t.Errorf("%s: %+v %+v", tc.id, r, d)
		}
	}
	c, _ := f.conf.Lookup(f.ctx, f.ran)
	plain := get(f.site, tok, f.ran, ptr(false)).PlaybackURLDetail.PlaybackURL
	keyed := get(f.site, tok, f.ran, ptr(true)).PlaybackURLDetail.PlaybackURL
	if !strings.HasPrefix(keyed, plain+"&ck=") || strings.Contains(keyed, "k3y") || !strings.HasSuffix(keyed, conference.PlaybackKey(c)) {
		t.Fatalf("playback URLs: %s / %s", plain, keyed)
	}
	secret := plain[strings.Index(plain, "#t=")+3:]
	if conference.CheckPlayback(c, secret, conference.PlaybackKey(c)) != nil || conference.CheckPlayback(c, secret, "k3y") != nil ||
		conference.CheckPlayback(c, secret, "") == nil || conference.CheckPlayback(c, "x"+secret[1:], "k3y") == nil {
		t.Fatal("the playback link's secrets are not checked")
	}
	for _, tc := range []struct {
		name, entity, token, id string
		want                    integration.Status
	}{
		{"no ID", f.site, tok, "", integration.MeetingIDIsNull},
		{"unknown", f.site, tok, "42", integration.InvalidMeetingID},
		{"another site's", f.otherSite, f.token(f.otherSite, f.otherKey, auth.PolicyPostconference), f.ran, integration.InvalidMeetingID},
		{"entityID of another site", f.otherSite, tok, f.ran, integration.NotAuthorized},
		{"a REPORTING token", f.site, f.tok, f.ran, integration.NotAuthorized},
	} {
		r := get(tc.entity, tc.token, tc.id, nil)
		check(t, tc.name, r.StatusCode, r.StatusDetails, tc.want)
	}
}
