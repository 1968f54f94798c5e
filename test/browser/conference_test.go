package browser

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// api calls one operation of the JSON binding and decodes its result.
func api(t *testing.T, base, svc, op string, out any, params ...any) {
	t.Helper()
	body := map[string]any{}
	for i, p := range params {
		body[fmt.Sprintf("param%d", i)] = p
	}
	data, _ := json.Marshal(body)
	resp, err := http.Post(base+"/api/v1/"+svc+"/"+op, "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", op, resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("%s: %v in %s", op, err, raw)
	}
}

// TestConferencePage runs a web conference on Parley's conference page
// in Chromium: alice schedules it with the JSON API (a user hosting her
// own conference, bob and carol invited, a conference key); alice opens
// her host link, bob and carol the conference's link, each in a separate
// browser context, and log in with their accounts (carol tries a wrong
// key first); all three see each other; they chat, bob shares a link,
// carol raises her hand; carol leaves; alice ends the conference for
// everyone. Then the reporting service returns the attendance with
// plausible times, and the playback page shows the chat in order.
func TestConferencePage(t *testing.T) {
	if target != "parley" {
		t.Skip("the conference page is Parley's")
	}
	srv := startServer(t, "alice", "bob", "carol", "dave")
	base := srv.origin()
	before := time.Now()

	var session, pre, post, rep tokenObj
	api(t, base, "AuthenticationService", "createSession", &session, "alice@localhost", password, "USER")
	for _, p := range []struct {
		out    *tokenObj
		policy string
	}{{&pre, "PRECONFERENCE"}, {&post, "POSTCONFERENCE"}, {&rep, "REPORTING"}} {
		api(t, base, "AuthenticationService", "requestToken", p.out, "alice@localhost", session.Token, map[string]string{"tokenPolicy": p.policy}, nil)
	}
	start := time.Now().UTC().Truncate(time.Second)
	var sched struct {
		StatusCode     int
		StatusDetails  string
		ScheduleResult struct{ HostURL, AttendeeURL, ConferenceID string }
	}
	api(t, base, "PreConferenceService", "scheduleConference", &sched, map[string]any{
		"entityID": "alice@localhost", "entityToken": pre.Token,
		"scheduleOptions": map[string]any{
			"title": "Browser conference", "startDate": start.Format(time.RFC3339), "endDate": start.Add(time.Hour).Format(time.RFC3339),
			"conferenceKey": "k3y",
			"organizer":     map[string]string{"firstName": "Alice", "userid": "alice@localhost"},
			"attendees":     []map[string]string{{"firstName": "Bob", "userid": "bob"}, {"firstName": "Carol", "userid": "carol"}},
		},
	})
	if sched.StatusCode != 0 {
		t.Fatalf("scheduleConference: %+v", sched)
	}
	id := sched.ScheduleResult.ConferenceID
	// A second conference, REGISTERED with enrolment: dave was not invited.
	var course struct {
		StatusCode     int
		ScheduleResult struct{ AttendeeURL string }
	}
	api(t, base, "PreConferenceService", "scheduleConference", &course, map[string]any{
		"entityID": "alice@localhost", "entityToken": pre.Token,
		"scheduleOptions": map[string]any{
			"title": "Course", "startDate": start.Format(time.RFC3339), "endDate": start.Add(time.Hour).Format(time.RFC3339),
			"conferenceKey": "k3y", "enrollmentRequired": true, "hostInvitedOnly": false,
			"organizer": map[string]string{"userid": "alice@localhost"},
		},
	})
	if course.StatusCode != 0 {
		t.Fatalf("scheduleConference (enrolment): %+v", course)
	}
	// A third, REGULAR, of a site that lets guests in: erin, who has no
	// account, joins it by name.
	out, err := run(parleyBin, nil, "site", "create", "--name", "guests welcome", "--policies", "PRECONFERENCE,GUESTCHAT", "--json",
		"--data-dir", srv.dataDir)
	var site struct {
		SiteID  string `json:"site_id"`
		AuthKey string `json:"auth_key"`
	}
	if err != nil || json.Unmarshal([]byte(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:]), &site) != nil {
		t.Fatalf("parley site create: %v %s", err, out)
	}
	var siteSession, sitePre tokenObj
	api(t, base, "AuthenticationService", "createSession", &siteSession, site.SiteID, site.AuthKey, "SITE")
	api(t, base, "AuthenticationService", "requestToken", &sitePre, site.SiteID, siteSession.Token, map[string]string{"tokenPolicy": "PRECONFERENCE"}, nil)
	var open struct {
		StatusCode     int
		StatusDetails  string
		ScheduleResult struct{ AttendeeURL string }
	}
	api(t, base, "PreConferenceService", "scheduleConference", &open, map[string]any{
		"entityID": site.SiteID, "entityToken": sitePre.Token,
		"scheduleOptions": map[string]any{
			"title": "Open house", "startDate": start.Format(time.RFC3339), "endDate": start.Add(time.Hour).Format(time.RFC3339),
			"conferenceKey": "k3y", "registeredUserOnly": false,
			"organizer": map[string]string{"userid": "alice@localhost"},
		},
	})
	if open.StatusCode != 0 {
		t.Fatalf("scheduleConference (guests): %+v", open)
	}
	var pb struct {
		StatusCode        int
		PlaybackURLDetail struct{ PlaybackURL string }
	}
	api(t, base, "PostConferenceService", "getPlaybackURL", &pb, map[string]any{"entityID": "alice@localhost", "entityToken": post.Token,
		"conferenceID": id, "includeConferenceKey": true})

	driverTimeout := 120 * time.Second
	p := startProc(t, "conference-browser", pkgDir, driverTimeout+10*time.Second, is("fail"),
		"node", "conference_driver.mjs", "--host", sched.ScheduleResult.HostURL, "--attendee", sched.ScheduleResult.AttendeeURL,
		"--playback", pb.PlaybackURLDetail.PlaybackURL, "--enrol", course.ScheduleResult.AttendeeURL, "--guest", open.ScheduleResult.AttendeeURL,
		"--key", "k3y", "--password", password, "--chromium", chromiumPath,
		"--timeout", strconv.Itoa(int(driverTimeout/time.Second)), "--artifacts", artifactDir(t),
		"--chromium-args="+os.Getenv(chromiumArgsEnv))
	events := p.wait()
	find := func(name string, kv ...string) event {
		t.Helper()
		for _, e := range events {
			if is(name, kv...)(e) {
				return e
			}
		}
		t.Fatalf("no %s event with %v in %v", name, kv, events)
		return nil
	}
	for _, e := range events {
		if e.get("event") == "pageerror" {
			t.Errorf("a page failed: %s", e)
		}
	}
	find("done")
	if e := find("joined", "who", "alice"); e.get("host") != "true" || !strings.Contains(e.get("invitation"), "Alice, the host") {
		t.Errorf("alice joined: %s", e)
	}
	if e := find("joined", "who", "bob"); e.get("host") != "false" {
		t.Errorf("bob joined: %s", e)
	}
	for _, who := range []string{"alice", "bob", "carol"} {
		if e := find("joined", "who", who); e.get("title") != "Browser conference" {
			t.Errorf("%s's page shows the title %q", who, e.get("title"))
		}
	}
	if e := find("refused", "who", "carol"); !strings.Contains(e.get("error"), "conference key") {
		t.Errorf("carol with a wrong key: %s", e)
	}
	// Everyone sees the three with live presence; only the host may
	// remove people.
	for _, who := range []string{"alice", "bob", "carol"} {
		var list []struct {
			Nick, Show, Role string
			Removable        bool
		}
		for _, e := range events {
			if is("participants", "who", who)(e) {
				json.Unmarshal([]byte(e.get("list")), &list)
				break
			}
		}
		if len(list) != 3 {
			t.Fatalf("%s's participants: %+v", who, list)
		}
		for _, pt := range list {
			if pt.Show != "available" || (pt.Nick == "Alice") != (pt.Role == "moderator") || pt.Removable != (who == "alice" && pt.Nick != "Alice") {
				t.Errorf("%s sees %+v", who, pt)
			}
		}
	}
	find("seen", "who", "carol", "text", "hello from bob")
	if e := find("joined", "who", "dave"); e.get("title") != "Course" {
		t.Errorf("dave, enrolled: %s", e)
	}
	if e := find("joined", "who", "erin"); e.get("title") != "Open house" {
		t.Errorf("erin, a guest: %s", e)
	}
	find("seen", "who", "erin", "text", "hello from a guest")
	find("link", "who", "alice")
	find("hand", "who", "alice", "nick", "Carol")
	if e := find("left", "who", "carol"); !strings.Contains(e.get("text"), "left") {
		t.Errorf("carol left: %s", e)
	}
	for _, who := range []string{"alice", "bob"} {
		if e := find("ended", "who", who); !strings.Contains(e.get("text"), "ended") {
			t.Errorf("%s at the end: %s", who, e)
		}
	}

	// The reports.
	after := time.Now()
	var att struct {
		StatusCode int
		Attendees  []struct {
			Name                    string
			UserID                  string
			TimeEntered, TimeExited int64
			Guest                   bool
		}
	}
	api(t, base, "ReportingService", "reportAttendeeList", &att, map[string]any{"entityID": "alice@localhost", "entityToken": rep.Token, "conferenceID": id})
	if att.StatusCode != 0 || len(att.Attendees) != 3 {
		t.Fatalf("reportAttendeeList: %+v", att)
	}
	names := map[string]bool{}
	for _, a := range att.Attendees {
		names[a.Name+" "+a.UserID] = true
		in, out := time.UnixMilli(a.TimeEntered), time.UnixMilli(a.TimeExited)
		if a.Guest || in.Before(before.Add(-time.Second)) || out.Before(in) || out.After(after.Add(time.Second)) {
			t.Errorf("implausible attendance: %+v (test ran %v to %v)", a, before, after)
		}
	}
	if !names["Alice alice@localhost"] || !names["Bob bob@localhost"] || !names["Carol carol@localhost"] {
		t.Errorf("attendees: %v", names)
	}
	var det struct {
		StatusCode        int
		ConferenceDetails struct {
			StatusDetails string
			NumAttendees  int
			Duration      int
		}
	}
	api(t, base, "ReportingService", "reportFinishedConferenceDetails", &det, map[string]any{"entityID": "alice@localhost", "entityToken": rep.Token, "conferenceID": id})
	if det.StatusCode != 0 || det.ConferenceDetails.StatusDetails != "GRACEFUL" || det.ConferenceDetails.NumAttendees != 3 {
		t.Fatalf("reportFinishedConferenceDetails: %+v", det)
	}

	// The playback page: the chat in order, between the joins and the end.
	var items []struct{ Kind, Text, At string }
	json.Unmarshal([]byte(find("playback").get("items")), &items)
	var chat, kinds []string
	for _, it := range items {
		kinds = append(kinds, it.Kind)
		if it.Kind == "chat" {
			chat = append(chat, it.Text[strings.Index(it.Text, " ")+1:])
		}
	}
	wantChat := []string{"Bob: hello from bob", "Alice: welcome, everyone", "Carol: hi, carol here"}
	if fmt.Sprint(chat) != fmt.Sprint(wantChat) {
		t.Fatalf("playback chat %q, want %q", chat, wantChat)
	}
	joined := strings.Join(kinds, ",")
	if !strings.HasPrefix(joined, "start,join,join,join,chat,chat,chat,link,hand,leave") || !strings.HasSuffix(joined, "end") {
		t.Errorf("playback order: %s", joined)
	}
}
