package server_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/integration/api"
	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/integration/conferencing"
	"github.com/parley-im/parley/internal/smtptest"
	xxml "github.com/parley-im/parley/xmpp/xml"
)

// TestConferenceFlow runs a conference through the running server over
// both bindings: a site schedules it with invitations (a real SMTP relay
// receives them), the host and an attendee enter its room with their
// XMPP clients and chat, the attendee leaves, the host ends it by
// destroying the room, and the reports and the playback URL say so.
func TestConferenceFlow(t *testing.T) {
	relay := smtptest.Start(t, smtptest.Options{Username: "parley", Password: "relay pw"})
	it := newITest(t, func(c *config.Config) {
		c.Mail.Relay, c.Mail.Username, c.Mail.Password, c.Mail.CAFile = relay.Addr, "parley", "relay pw", relay.CAFile
	})
	it.srv.AddUser("alice@localhost", "secret")
	it.srv.AddUser("bob@localhost", "secret")
	siteID, key := it.site("conf-site", "PRECONFERENCE", "POSTCONFERENCE", "REPORTING")

	for _, b := range []binding{soapB, jsonB} {
		t.Run(string(b), func(t *testing.T) {
			var session auth.TokenObject
			if e := it.call(b, "AuthenticationService", "createSession", &session, siteID, key, "SITE"); e != nil {
				t.Fatal(e)
			}
			tok := func(policy string) string {
				var o auth.TokenObject
				if e := it.call(b, "AuthenticationService", "requestToken", &o, siteID, session.Token, auth.TokenProperties{TokenPolicy: policy}, nil); e != nil {
					t.Fatal(e)
				}
				return o.Token
			}
			pre, post, rep := tok("PRECONFERENCE"), tok("POSTCONFERENCE"), tok("REPORTING")
			start := api.Timestamp(time.Now().UTC())
			end := api.Timestamp(time.Now().UTC().Add(time.Hour))
			opts := &conferencing.ScheduleOptions{Title: "Flow " + string(b), StartDate: &start, EndDate: &end,
				SendEmailNotification: ptrTo(true),
				Organizer:             &conferencing.ParticipantData{FirstName: "Alice", EmailAddr: "alice@mail.example.com", Userid: "alice"},
				Attendees:             []conferencing.ParticipantData{{FirstName: "Bob", EmailAddr: "bob@mail.example.com", Userid: "bob@localhost"}}}
			var sched conferencing.ScheduleResponse
			if e := it.call(b, "PreConferenceService", "scheduleConference", &sched, conferencing.ScheduleRequest{EntityID: siteID, EntityToken: pre, ScheduleOptions: opts}); e != nil {
				t.Fatal(e)
			}
			if sched.StatusCode != 0 || sched.ScheduleResult == nil {
				t.Fatalf("scheduleConference: %+v", sched)
			}
			id := sched.ScheduleResult.ConferenceID
			if !strings.HasPrefix(sched.ScheduleResult.HostURL, it.base+"/conference/"+id+"#key=") {
				t.Fatalf("host URL %q", sched.ScheduleResult.HostURL)
			}
			// Both invitations arrive; bob's has his link and the calendar.
			got := relay.Wait(t, 2, 10*time.Second)
			var bobMail []byte
			for _, m := range got {
				if m.To[0] == "bob@mail.example.com" {
					bobMail = m.Data
				}
			}
			msg, err := mail.ReadMessage(bytes.NewReader(bobMail))
			if err != nil || msg.Header.Get("Subject") != "Invitation: Flow "+string(b) ||
				!strings.Contains(string(bobMail), "text/calendar") || !strings.Contains(string(bobMail), "invite.ics") {
				t.Fatalf("bob's invitation: %v\n%s", err, bobMail)
			}

			// A call with a bad status: the end before the start.
			bad := *opts
			bad.EndDate = &start
			var failed conferencing.ScheduleResponse
			if e := it.call(b, "PreConferenceService", "scheduleConference", &failed, conferencing.ScheduleRequest{EntityID: siteID, EntityToken: pre, ScheduleOptions: &bad}); e != nil || failed.StatusCode != 357 {
				t.Fatalf("end before start: %s %+v", e, failed)
			}

			var upcoming conferencing.UpcomingConferencesResponse
			if e := it.call(b, "PreConferenceService", "listUpcomingConferences", &upcoming, conferencing.UpcomingConferencesRequest{EntityID: siteID, EntityToken: pre}); e != nil {
				t.Fatal(e)
			}
			if !hasConference(upcoming, id, "Waiting for Host") {
				t.Fatalf("upcoming: %+v", upcoming)
			}

			// The conference happens in its room.
			room := "conf" + id
			bob := mucLogin(t, it.srv, "bob")
			alice := mucLogin(t, it.srv, "alice")
			join(t, bob, room, "Bob", "")
			join(t, alice, room, "Alice", "")
			var running conferencing.UpcomingConferencesResponse
			if e := it.call(b, "PreConferenceService", "listUpcomingConferences", &running, conferencing.UpcomingConferencesRequest{EntityID: siteID, EntityToken: pre}); e != nil || !hasConference(running, id, "In progress") {
				t.Fatalf("in progress: %s %+v", e, running)
			}
			bob.Send("<message to='%s' type='groupchat'><body>hello from bob</body></message>", roomJID(room))
			await(t, alice, "bob's message", func(el *xxml.Element) bool {
				return el.Name == "message" && strings.Contains(el.String(), "hello from bob")
			})
			bob.Send("<presence to='%s' type='unavailable'/>", occJID(room, "Bob"))
			await(t, alice, "bob leaving", func(el *xxml.Element) bool {
				return el.Name == "presence" && el.Attr("from") == occJID(room, "Bob") && el.Attr("type") == "unavailable"
			})
			// The host ends it: the room's owner destroys the room.
			alice.Send("<iq type='set' id='end' to='%s'><query xmlns='%s'><destroy><reason>done</reason></destroy></query></iq>", roomJID(room), muc.NSOwner)
			await(t, alice, "the destroy result", func(el *xxml.Element) bool { return el.Name == "iq" && el.Attr("id") == "end" })

			var att conferencing.AttendeeListResponse
			if e := it.call(b, "ReportingService", "reportAttendeeList", &att, conferencing.AttendeeListRequest{EntityID: siteID, EntityToken: rep, ConferenceID: id}); e != nil {
				t.Fatal(e)
			}
			if att.StatusCode != 0 || len(att.Attendees) != 2 || att.Attendees[0].Name != "Bob" || att.Attendees[1].Name != "Alice" ||
				att.Attendees[0].UserID != "bob@localhost" || att.Attendees[0].TimeExited < att.Attendees[0].TimeEntered ||
				att.Attendees[1].TimeExited < att.Attendees[0].TimeExited || att.Attendees[0].TimeEntered < start.Time().UnixMilli()-1000 {
				t.Fatalf("attendees: %+v", att)
			}
			var details conferencing.FinishedConferenceDetailsResponse
			if e := it.call(b, "ReportingService", "reportFinishedConferenceDetails", &details, conferencing.FinishedConferenceDetailsRequest{
				EntityID: siteID, EntityToken: rep, ConferenceID: id, IncludeAttendees: ptrTo(true), IncludePlaybackURLDetails: ptrTo(true)}); e != nil {
				t.Fatal(e)
			}
			d := details.ConferenceDetails
			if details.StatusCode != 0 || d == nil || d.StatusDetails != "GRACEFUL" || d.NumAttendees != 2 || len(d.Attendees) != 2 ||
				d.PlaybackURLDetails == nil || !d.PlaybackURLDetails.FinishedFlag || d.EndTime.Before(d.StartTime) {
				t.Fatalf("details: %+v", details)
			}
			var byID, byDate conferencing.BulkFinishedConferenceDetailsResponse
			if e := it.call(b, "ReportingService", "reportFinishedConferencesByID", &byID, conferencing.FinishedConferencesByIDRequest{
				EntityID: siteID, EntityToken: rep, ConferenceIDs: []string{id}}); e != nil || byID.StatusCode != 0 || len(byID.ConferenceDetailsList) != 1 {
				t.Fatalf("by ID: %s %+v", e, byID)
			}
			if e := it.call(b, "ReportingService", "reportFinishedConferencesByDate", &byDate, conferencing.FinishedConferencesByDateRequest{
				EntityID: siteID, EntityToken: rep}); e != nil || byDate.StatusCode != 0 || len(byDate.ConferenceDetailsList) == 0 {
				t.Fatalf("by date: %s %+v", e, byDate)
			}
			var pb conferencing.PlaybackURLResponse
			if e := it.call(b, "PostConferenceService", "getPlaybackURL", &pb, conferencing.PlaybackURLRequest{EntityID: siteID, EntityToken: post, ConferenceID: id}); e != nil ||
				pb.StatusCode != 0 || pb.PlaybackURLDetail == nil || !pb.PlaybackURLDetail.PublishedFlag ||
				!strings.HasPrefix(pb.PlaybackURLDetail.PlaybackURL, it.base+"/conference/"+id+"/playback#t=") {
				t.Fatalf("getPlaybackURL: %s %+v", e, pb)
			}
			var del conferencing.StatusResponse
			if e := it.call(b, "PreConferenceService", "deleteConference", &del, conferencing.DeleteConferenceRequest{EntityID: siteID, EntityToken: pre, ConferenceID: "0"}); e != nil || del.StatusCode != 3 {
				t.Fatalf("deleteConference of none: %s %+v", e, del)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

func hasConference(r conferencing.UpcomingConferencesResponse, id, status string) bool {
	for _, d := range r.ConferenceDetails {
		if d.ConferenceID == id {
			return d.ConferenceStatus == status
		}
	}
	return false
}

// The Instant Conference URL service, its schemas and the three WSDLs
// are served by the running server; the services are in the OpenAPI
// document.
func TestConferenceURLsAndDescriptions(t *testing.T) {
	it := newITest(t)
	siteID, key := it.site("instant-site", "PRECONFERENCE")
	var session auth.TokenObject
	if e := it.call(jsonB, "AuthenticationService", "createSession", &session, siteID, key, "SITE"); e != nil {
		t.Fatal(e)
	}
	xmlin := "<instantMtgReq><siteid>" + siteID + "</siteid><token>" + session.Token + "</token><meetingTitle>Now</meetingTitle></instantMtgReq>"
	resp, err := http.Get(it.base + "/imtapp/app/OracleRTCService?operation=instantMeeting&xmlin=" + url.QueryEscape(xmlin))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var mr struct {
		Code int    `xml:"responseCode"`
		ID   string `xml:"mtgId"`
		URL  string `xml:"playbackURL"`
	}
	if err := xml.Unmarshal(body, &mr); err != nil || resp.StatusCode != 200 || mr.Code != 0 || mr.ID == "" || !strings.HasPrefix(mr.URL, it.base+"/conference/") {
		t.Fatalf("instantMeeting: %d %s (%v)", resp.StatusCode, body, err)
	}
	if c, err := it.srv.Conferences().Lookup(t.Context(), mr.ID); err != nil || !c.Instant || c.Title != "Now" {
		t.Fatalf("the instant conference: %+v %v", c, err)
	}
	for _, path := range []string{"/imtapp/app/instantMtgReq.xsd", "/imtapp/app/meetingResp.xsd", "/imtapp/app/errorMsg.xsd"} {
		if ct, _ := getOK(t, it.base+path); !strings.Contains(ct, "xml") {
			t.Errorf("%s: %s", path, ct)
		}
	}
	for svc, ops := range map[string][]string{
		"PreConferenceService":  {"scheduleConference", "updateConference", "deleteConference", "listUpcomingConferences"},
		"PostConferenceService": {"getPlaybackURL"},
		"ReportingService":      {"reportAttendeeList", "reportFinishedConferenceDetails", "reportFinishedConferencesByDate", "reportFinishedConferencesByID"},
	} {
		_, wsdl := getOK(t, it.base+"/imtapp/ws/"+svc+"?WSDL")
		_, openapi := getOK(t, it.base+"/api/v1/openapi.json")
		for _, op := range ops {
			if !strings.Contains(wsdl, `<operation name="`+op+`"`) || !strings.Contains(openapi, `"/`+svc+`/`+op+`"`) {
				t.Errorf("%s.%s is not described", svc, op)
			}
		}
	}
	// Conferences off: no services.
	off := newITest(t, func(c *config.Config) { c.Conference.Enabled = false })
	r, err := http.Get(off.base + "/imtapp/ws/PreConferenceService?WSDL")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 404 {
		t.Fatalf("PreConferenceService with conferences off: %d", r.StatusCode)
	}
}

func getOK(t *testing.T, u string) (string, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, body)
	}
	return resp.Header.Get("Content-Type"), string(body)
}
