package server_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/conference"
	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/integration/api"
	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/integration/conferencing"
	"github.com/parley-im/parley/internal/smtptest"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
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

// guestLogin logs a conference guest in over XMPP (TCP): its pass's
// ticket, OAUTHBEARER on the guest domain (the only mechanism there).
func guestLogin(t *testing.T, srv *xmpptest.Server, jid, ticket string) *xmpptest.Conn {
	t.Helper()
	c := srv.Dial()
	c.Domain = jid[strings.Index(jid, "@")+1:]
	features := c.Open()
	if m := features.Child(ns.SASL, "mechanisms"); m == nil || len(m.Children) != 1 || m.Children[0].Text != "OAUTHBEARER" {
		t.Fatalf("the guest domain offers %s, want OAUTHBEARER only", features)
	}
	c.Send("<auth xmlns='%s' mechanism='OAUTHBEARER'>%s</auth>", ns.SASL,
		base64.StdEncoding.EncodeToString([]byte("n,,\x01auth=Bearer "+ticket+"\x01\x01")))
	if el := c.Next(); el.Name != "success" {
		t.Fatalf("guest login: %s", el)
	}
	c.Open()
	c.Bind("web")
	return c
}

// TestConferenceGuests: a REGULAR conference of a site that lets guests
// in; a visitor gets a pass from the conference page's endpoint, logs
// in with its ticket on the guest domain and joins the room by name
// beside a registered user; it chats, may write to nobody else, is
// refused a wrong ticket, and its stay is recorded as a guest's.
func TestConferenceGuests(t *testing.T) {
	it := newITest(t)
	it.srv.AddUser("alice@localhost", "secret")
	siteID, _ := it.site("guest-site", "PRECONFERENCE", "GUESTCHAT") // GUESTCHAT turns guest access on
	ctx := t.Context()
	m := it.srv.Conferences()
	start, end := time.Now(), time.Now().Add(time.Hour)
	r, err := m.Schedule(ctx, conference.Caller{Site: siteID, GuestsAllowed: true}, conference.Spec{Title: "Open house",
		Type: conference.TypeRegular, Start: &start, End: &end, Key: ptrTo("k3y"), Host: &conference.Person{UserID: "alice"}}, it.base)
	if err != nil {
		t.Fatal(err)
	}
	c := r.Conference
	room := "conf" + c.ID

	// The page's endpoint gives the visitor a pass (CSRF token from the page).
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, err := browser.Get(it.base + "/conference/" + c.ID)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csrf := regexp.MustCompile(`data-csrf="([^"]+)"`).FindSubmatch(page)
	post := func(path string, form url.Values) (int, map[string]any) {
		req, _ := http.NewRequest("POST", it.base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-CSRF-Token", string(csrf[1]))
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if s, d := post("/conference/"+c.ID+"/describe", url.Values{}); s != 200 || d["guestsAllowed"] != true {
		t.Fatalf("describe: %d %v", s, d)
	}
	if s, _ := post("/conference/"+c.ID+"/guest", url.Values{"name": {"Vic"}, "confkey": {"wrong"}}); s != 403 {
		t.Fatalf("a wrong key: %d", s)
	}
	s, pass := post("/conference/"+c.ID+"/guest", url.Values{"name": {"Vic"}, "confkey": {"k3y"}})
	if s != 200 || !strings.HasSuffix(pass["jid"].(string), "@conference-guests.localhost") || pass["ticket"] == "" {
		t.Fatalf("guest pass: %d %v", s, pass)
	}
	guestJID, ticket := pass["jid"].(string), pass["ticket"].(string)

	// A wrong ticket does not log in.
	bad := it.srv.Dial()
	bad.Domain = "conference-guests.localhost"
	bad.Open()
	bad.Send("<auth xmlns='%s' mechanism='OAUTHBEARER'>%s</auth>", ns.SASL, base64.StdEncoding.EncodeToString([]byte("n,,\x01auth=Bearer nope\x01\x01")))
	if el := bad.ExpectMatch("the refusal", func(el *xxml.Element) bool { return el.Name == "failure" || el.Name == "challenge" }, isAny); el == nil {
		t.Fatal("no refusal")
	}

	alice := mucLogin(t, it.srv, "alice")
	join(t, alice, room, "Alice", "")
	guest := guestLogin(t, it.srv, guestJID, ticket)
	guest.Send("<presence/>") // to nobody: dropped, no error
	join(t, guest, room, "Vic", "")
	await(t, alice, "the guest's entry", presenceFrom(occJID(room, "Vic")))
	guest.Send("<message to='%s' type='groupchat'><body>hello from a guest</body></message>", roomJID(room))
	await(t, alice, "the guest's message", func(el *xxml.Element) bool {
		return el.Name == "message" && strings.Contains(el.String(), "hello from a guest")
	})
	guest.Send("<message to='alice@localhost' id='dm'><body>psst</body></message>")
	if el := await(t, guest, "the refusal", func(el *xxml.Element) bool { return el.Attr("id") == "dm" }); errCond(el) != "not-allowed" {
		t.Fatalf("a guest writing to a user: %s", el)
	}
	guest.Send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
	if el := await(t, guest, "the pong", func(el *xxml.Element) bool { return el.Attr("id") == "p1" }); el.Attr("type") != "result" {
		t.Fatalf("ping: %s", el)
	}
	guest.Send("<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>")
	if el := await(t, guest, "the roster refusal", func(el *xxml.Element) bool { return el.Attr("id") == "r1" }); errCond(el) != "not-allowed" {
		t.Fatalf("roster: %s", el)
	}
	// The guest's connection drops: it leaves the room.
	guest.Close()
	await(t, alice, "the guest leaving", func(el *xxml.Element) bool {
		return el.Name == "presence" && el.Attr("from") == occJID(room, "Vic") && el.Attr("type") == "unavailable"
	})
	xmpptest.WaitFor(t, "the guest's stay closed", func() bool {
		att, _ := m.Attendance(ctx, c.ID)
		for _, a := range att {
			if a.JID == guestJID && a.Guest && a.Name == "Vic" && !a.Exited.IsZero() {
				return true
			}
		}
		return false
	})
}
