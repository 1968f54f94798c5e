package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// radicale is a Radicale CalDAV server (Debian python3-radicale) on a
// loopback port, with one user, started for the test.
type radicale struct {
	url, user, password string
}

func startRadicale(t *testing.T, user, password string) *radicale {
	t.Helper()
	dir := t.TempDir()
	addrs, err := freeAddrs(1)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "users"), []byte(user+":"+password+"\n"), 0o600)
	cfg := filepath.Join(dir, "config")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`[server]
hosts = %s
[auth]
type = htpasswd
htpasswd_filename = %s
htpasswd_encryption = plain
[rights]
type = owner_only
[storage]
filesystem_folder = %s
[logging]
level = info
`, addrs[0], filepath.Join(dir, "users"), filepath.Join(dir, "collections"))), 0o600)
	var logBuf bytes.Buffer
	cmd := exec.Command(python, "-m", "radicale", "--config", cfg)
	cmd.Stdout, cmd.Stderr = &logBuf, &logBuf
	cmd.Env = hermeticEnv()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start radicale: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("---- radicale log ----\n%s", logBuf.String())
		}
	})
	deadline := time.Now().Add(startTimeout)
	for {
		if c, err := net.DialTimeout("tcp", addrs[0], time.Second); err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			t.Fatalf("radicale exited:\n%s", logBuf.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("radicale did not listen on %s within %v", addrs[0], startTimeout)
		}
		time.Sleep(25 * time.Millisecond) // readiness poll, not an assertion
	}
	return &radicale{url: "http://" + addrs[0], user: user, password: password}
}

// do sends a WebDAV request as the user and requires one of the codes.
func (r *radicale) do(t *testing.T, method, path, contentType string, body []byte, codes ...int) {
	t.Helper()
	req, _ := http.NewRequest(method, r.url+path, bytes.NewReader(body))
	req.SetBasicAuth(r.user, r.password)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if method == "PROPFIND" {
		req.Header.Set("Depth", "0")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, c := range codes {
		if resp.StatusCode == c {
			return
		}
	}
	t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
}

// TestCalendarCalDAVRadicale: Parley polls a user's calendar on a real
// CalDAV server; an event whose alarm fires in a few seconds reaches the
// user (slixmpp); an event deleted from the calendar before its alarm
// does not.
func TestCalendarCalDAVRadicale(t *testing.T) {
	cal := startRadicale(t, "alice", "radicale-password")
	cal.do(t, "PROPFIND", "/alice/", "", nil, 207) // Radicale makes the user's principal at the first request
	cal.do(t, "MKCALENDAR", "/alice/calendar/", "", nil, 201)

	dir := t.TempDir()
	addUsers(t, dir, "alice")
	userCmd(t, dir, "reminders", "alice@localhost", "on")
	// docs/calendar.md's settings, with Radicale's port and a faster poll.
	settings := docBlockIn(t, "calendar.md", "caldav")
	for from, to := range map[string]string{`url = "http://127.0.0.1:5232/"`: `url = "` + cal.url + `/"`, `poll_interval = "1m"`: `poll_interval = "1s"`} {
		if !strings.Contains(settings, from) {
			t.Fatalf("docs/calendar.md's CalDAV settings have no %s", from)
		}
		settings = strings.Replace(settings, from, to, 1)
	}
	cfg := filepath.Join(t.TempDir(), "parley.toml")
	os.WriteFile(cfg, []byte("[calendar]\ntimezone = \"UTC\"\n"+settings), 0o600)
	srv := startServer(t, "parley", dir, "--config", cfg)
	alice := startScript(t, srv, startTLS, "calendar_user.py", "--user", "alice", "--until", "caldav-marker")
	alice.waitFor("alice ready", "ready")

	now := time.Now().Truncate(time.Second)
	due1, due2, due3 := now.Add(4*time.Second), now.Add(6*time.Second), now.Add(8*time.Second)
	put := func(uid string, due time.Time) {
		// A relative trigger, as calendar clients write them: 15 minutes
		// before the start.
		cal.do(t, "PUT", "/alice/calendar/"+uid+".ics", "text/calendar", icsEvent(uid, "From CalDAV "+uid, due.Add(15*time.Minute),
			"BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:reminder", "TRIGGER:-PT15M", "END:VALARM"), 201)
	}
	put("caldav-1", due1)
	put("caldav-gone", due2)
	waitLog(t, srv, `msg="alarm scheduled" component=calendar-agent source=caldav owner=alice@localhost uid=caldav-gone`)
	cal.do(t, "DELETE", "/alice/calendar/caldav-gone.ics", "", nil, 200, 204)
	waitLog(t, srv, `msg="alarm dropped: the item left the calendar" component=calendar-agent source=caldav owner=alice@localhost uid=caldav-gone`)
	put("caldav-marker", due3)
	if time.Now().After(due1) {
		t.Fatalf("the setup took longer than the first alarm's lead: the machine is too slow for this test")
	}
	rs := reminderEvents(alice.wait())
	if len(rs) != 2 || rs[0].get("uid") != "caldav-1" || rs[1].get("uid") != "caldav-marker" {
		t.Fatalf("reminders %v", rs)
	}
	if rs[0].get("trigger") != due1.UTC().Format(time.RFC3339) || !strings.Contains(rs[0].get("body"), "Reminder: From CalDAV caldav-1") {
		t.Fatalf("reminder %v", rs[0])
	}
	if !strings.Contains(getText(t, "http://"+srv.http+"/metrics"), `parley_calendar_notifications_received_total{source="caldav"}`) {
		t.Error("no caldav counter")
	}
}

// waitLog waits for a line in the server's log.
func waitLog(t *testing.T, srv *server, want string) {
	t.Helper()
	deadline := time.Now().Add(eventTimeout)
	for !strings.Contains(srv.log(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the server did not log %s within %v", want, eventTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
