package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/parley-im/parley/internal/smtptest"
)

// runZeep runs clients/zeep_conference.py PHASE and returns the names of
// the checks it passed; it fails the test unless the script finished.
func runZeep(t *testing.T, args ...string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, append([]string{filepath.Join("clients", "zeep_conference.py")}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var checks []string
	done := false
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var e event
		if json.Unmarshal([]byte(line), &e) != nil {
			continue
		}
		switch e.get("event") {
		case "check":
			checks = append(checks, e.get("name"))
		case "done":
			done = true
		}
	}
	if err != nil || !done {
		t.Fatalf("zeep_conference.py %s: %v\nstdout:\n%s\nstderr:\n%s", args[0], err, out, stderr.String())
	}
	return checks
}

// TestZeepConferenceServices: zeep loads the WSDLs of
// PreConferenceService, PostConferenceService and ReportingService from
// the running server and calls every operation with its error paths,
// and the Instant Conference URL service, whose answers validate
// against the published schemas. In between, the conference happens in
// its room with slixmpp clients (the host, an invitee, an uninvited user
// refused); a real SMTP relay in this test receives the invitations.
func TestZeepConferenceServices(t *testing.T) {
	requireZeep(t)
	relay := smtptest.Start(t, smtptest.Options{Reject: func(rcpt string) error {
		if strings.HasPrefix(rcpt, "nobody@") {
			return errors.New("no such mailbox")
		}
		return nil
	}})
	const maxAttendees = 3
	dir := t.TempDir()
	addUsers(t, dir, "alice", "bob", "carol")
	siteID, siteKey := createSite(t, dir, "conference site", "PRECONFERENCE", "POSTCONFERENCE", "REPORTING")
	cfg := filepath.Join(t.TempDir(), "parley.toml")
	toml := fmt.Sprintf("[conference]\nmax_attendees = %d\n\n[mail]\nrelay = %q\nca_file = %q\nfrom = \"Parley <parley@localhost>\"\n",
		maxAttendees, relay.Addr, relay.CAFile)
	if err := os.WriteFile(cfg, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "parley", dir, "--config", cfg)
	state := filepath.Join(t.TempDir(), "state.json")
	common := []string{"--base", "http://" + srv.http, "--site-id", siteID, "--site-key", siteKey,
		"--max-attendees", fmt.Sprint(maxAttendees), "--state", state}

	checks := runZeep(t, append([]string{"schedule"}, common...)...)
	var st struct {
		Conference, Room string
	}
	data, err := os.ReadFile(state)
	if err != nil || json.Unmarshal(data, &st) != nil || st.Room == "" {
		t.Fatalf("state: %s (%v)", data, err)
	}

	room := runScript(t, srv, startTLS, "conference_room.py", "--room", st.Room, "--key", "k3y")
	need(t, room, "waiting", "client", "bob")
	need(t, room, "refused", "client", "carol", "condition", "registration-required")
	need(t, room, "host_in", "client", "alice", "role", "moderator", "affiliation", "owner")
	need(t, room, "ended", "client", "alice")

	checks = append(checks, runZeep(t, append([]string{"report"}, common...)...)...)
	for _, want := range []string{
		"scheduleConference", "scheduleConference with a naive datetime",
		"scheduleConference entityID of another site: 4", "scheduleConference an unknown host: 5", "scheduleConference a GUID of nobody: 6",
		"scheduleConference no start: 351", "scheduleConference no end: 352", "scheduleConference a start in the past: 356",
		"scheduleConference an end before the start: 357", "scheduleConference contradicting flags: 358",
		"scheduleConference a PUBLIC conference for a site without guest access: 362", "scheduleConference enrolment without a key: 367",
		"scheduleConference a guest invited to a RESTRICTED conference: 1013", "scheduleConference an invalid token: 1032",
		"scheduleConference no host: 1061", "scheduleConference by a user for another: 1062",
		"scheduleConference more attendees than max_attendees: 1064", "scheduleConference a recipient the relay refuses: 1065",
		"updateConference", "updateConference without a conferenceId: 2", "updateConference of no conference: 3",
		"listUpcomingConferences", "listUpcomingConferences for carol", "listUpcomingConferences of an unknown user: 5",
		"listUpcomingConferences with an invalid token: 1032",
		"deleteConference", "deleteConference twice: 3", "deleteConference of another site's entity: 4", "deleteConference with an invalid token: 1032",
		"getPlaybackURL before", "getPlaybackURL without an ID: 2", "getPlaybackURL of none: 3", "getPlaybackURL with a REPORTING token: 1032",
		"reportAttendeeList before it started: 377", "reportAttendeeList of none: 379",
		"reportFinishedConferenceDetails before it finished: 379",
		"instantMtgReq.xsd accepts the request", "instantMeeting XML: meetingResp", "instantMeeting text: a redirect to the host's join URL",
		"instantMeeting no siteid: 4", "instantMeeting an invalid token: 1032", "instantMeeting a PUBLIC meeting: 362",
		"instantMeeting a malformed xmlin: 1010", "instantMeeting text error: an HTML page",
		"reportAttendeeList", "reportAttendeeList for another site's entity: 4",
		"reportFinishedConferenceDetails", "reportFinishedConferenceDetails without an ID: 2", "reportFinishedConferenceDetails of none: 3",
		"reportFinishedConferenceDetails with an invalid token: 1032",
		"reportFinishedConferencesByDate with the default dates", "reportFinishedConferencesByDate for another site's entity: 4",
		"reportFinishedConferencesByID", "reportFinishedConferencesByID with an unknown ID: 379",
		"reportFinishedConferencesByID with an invalid token: 1032",
		"getPlaybackURL after", "deleteConference of the finished conference",
	} {
		found := false
		for _, c := range checks {
			found = found || c == want
		}
		if !found {
			t.Errorf("zeep_conference.py did not check %q", want)
		}
	}
	t.Logf("zeep: %d checks passed", len(checks))

	// The relay got the invitations; bob's carries his own link and an
	// iCalendar REQUEST for the conference.
	var bobs []smtptest.Message
	for _, m := range relay.Pending() {
		if len(m.To) == 1 && m.To[0] == "bob@mail.example.com" {
			bobs = append(bobs, m)
		}
	}
	if len(bobs) != 1 {
		t.Fatalf("bob got %d invitations", len(bobs))
	}
	text, cal := invitationParts(t, bobs[0].Data)
	if !strings.Contains(text, "/conference/"+st.Conference+"#key=") || !strings.Contains(text, "Conference key: k3y") {
		t.Fatalf("bob's invitation text:\n%s", text)
	}
	ev := cal.Events()
	if len(ev) != 1 || cal.Props.Get(ical.PropMethod).Value != "REQUEST" ||
		ev[0].Props.Get(ical.PropUID).Value != "conference-"+st.Conference+"@localhost" || ev[0].Props.Get(ical.PropSequence).Value != "0" {
		t.Fatalf("bob's calendar: %+v", cal)
	}
}

// invitationParts returns the text and the parsed text/calendar part of
// an invitation.
func invitationParts(t *testing.T, data []byte) (string, *ical.Calendar) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var text string
	var cal *ical.Calendar
	var walk func(ct, enc string, r io.Reader)
	walk = func(ct, enc string, r io.Reader) {
		mt, params, _ := mime.ParseMediaType(ct)
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(r, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err != nil {
					return
				}
				walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			}
		}
		body := decodeTransfer(t, enc, r)
		switch mt {
		case "text/plain":
			text = string(body)
		case "text/calendar":
			c, err := ical.NewDecoder(bytes.NewReader(body)).Decode()
			if err != nil {
				t.Fatalf("the calendar part does not parse: %v\n%s", err, body)
			}
			cal = c
		}
	}
	walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	if cal == nil {
		t.Fatalf("no text/calendar part:\n%s", data)
	}
	return text, cal
}

func decodeTransfer(t *testing.T, enc string, r io.Reader) []byte {
	t.Helper()
	switch strings.ToLower(enc) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
