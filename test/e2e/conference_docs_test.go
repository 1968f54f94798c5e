package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestConferenceDocs runs the walkthroughs of docs/conferences.md as
// written against a running server: the curl blocks (scheduling, the
// raw SOAP call, the instant conference) in one shell as a reader would
// type them, the zeep program, then the conference happens in its room
// with slixmpp clients the way the "Joining" section tells, and the
// reports block pulls the attendance.
func TestConferenceDocs(t *testing.T) {
	requireZeep(t)
	for _, tool := range []string{"bash", "curl", "jq", "date"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" || os.Getenv(requiredEnv) != "" {
				t.Fatalf("%s is needed to run the docs' shell snippets", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	dir := t.TempDir()
	addUsers(t, dir, "alice", "bob", "carol")
	siteID, siteKey := createSite(t, dir, "Training", "PRECONFERENCE", "POSTCONFERENCE", "REPORTING")
	srv := startServer(t, "parley", dir)
	base := "http://" + srv.http
	env := append(hermeticEnv(), "BASE="+base, "SITE_ID="+siteID, "SITE_KEY="+siteKey)
	work := t.TempDir()
	run := func(name string, extraEnv []string, argv ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Dir, cmd.Env = work, append(env, extraEnv...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", name, err, out, stderr.String())
		}
		return string(out)
	}

	// Walkthroughs 1 and 3 in one shell: the SOAP call and the instant
	// conference use the token the first block got.
	shell := docBlockIn(t, "conferences.md", "conf-schedule") + docBlockIn(t, "conferences.md", "conf-soap") +
		docBlockIn(t, "conferences.md", "conf-instant")
	out := run("curl walkthroughs", nil, "bash", "-euo", "pipefail", "-c", shell)
	m := regexp.MustCompile(`"conference": "(\d{10})"`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, `"statusMessage": "NO_ERROR"`) {
		t.Fatalf("scheduling printed:\n%s", out)
	}
	conf := m[1]
	for _, want := range []string{
		base + "/conference/" + conf + "#key=1_",      // the host's link
		conf + "\tWaiting for Host\tQuarterly review", // the upcoming list
		"<conferenceID>" + conf + "</conferenceID>",   // the SOAP answer
		"<meetingResp><responseCode>0</responseCode>", // the instant conference
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the walkthroughs' output lacks %q:\n%s", want, out)
		}
	}

	script := filepath.Join(t.TempDir(), "schedule.py")
	if err := os.WriteFile(script, []byte(docBlockIn(t, "conferences.md", "conf-zeep")), 0o644); err != nil {
		t.Fatal(err)
	}
	out = run("zeep walkthrough", nil, python, script)
	if !regexp.MustCompile(`(?m)^1065 ERROR_SENDING_EMAIL_INVITES \d{10}\n` + regexp.QuoteMeta(base) + `/conference/\d{10}$`).MatchString(strings.TrimSpace(out)) {
		t.Fatalf("the zeep program printed %q", out)
	}

	// Joining, as the guide tells: bob with the key, alice the host, carol
	// refused; alice destroys the room.
	room := runScript(t, srv, startTLS, "conference_room.py", "--room", "conf"+conf+"@conference.localhost", "--key", "k3y")
	need(t, room, "refused", "client", "carol", "condition", "registration-required")
	need(t, room, "ended", "client", "alice")

	out = run("reports walkthrough", []string{"CONF=" + conf}, "bash", "-euo", "pipefail", "-c", docBlockIn(t, "conferences.md", "conf-reports"))
	rows := regexp.MustCompile(`(?m)^(Bob\tbob@localhost|Alice\talice@localhost)\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).FindAllString(out, -1)
	if len(rows) != 2 || !strings.HasPrefix(rows[0], "Bob") || !strings.Contains(out, `"statusDetails": "GRACEFUL"`) ||
		!strings.Contains(out, `"numAttendees": 2`) || !strings.Contains(out, `"playback": "`+base+"/conference/"+conf+"/playback#t=") ||
		!strings.Contains(out, conf+"\tQuarterly review\tGRACEFUL\t2") {
		t.Fatalf("the reports printed:\n%s", out)
	}
}
