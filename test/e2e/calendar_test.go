package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// icsEvent is a text/calendar event; extra lines go into the VEVENT.
func icsEvent(uid, summary string, start time.Time, extra ...string) []byte {
	lines := []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Parley e2e//EN", "BEGIN:VEVENT",
		"UID:" + uid, "DTSTAMP:20260101T000000Z", "SUMMARY:" + summary, "LOCATION:Room 4",
		"DTSTART:" + start.UTC().Format("20060102T150405Z"), "DTEND:" + start.Add(time.Hour).UTC().Format("20060102T150405Z")}
	lines = append(lines, extra...)
	lines = append(lines, "END:VEVENT", "END:VCALENDAR")
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

// alarmAt is a VALARM that fires at t (absolute).
func alarmAt(t time.Time) []string {
	return []string{"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER;VALUE=DATE-TIME:" + t.UTC().Format("20060102T150405Z"), "END:VALARM"}
}

// publish sends a notification to the server's embedded NATS as a
// request, and returns the agent's answer (it has been processed then).
func publish(t *testing.T, srv *server, owner, contentType string, data []byte) string {
	t.Helper()
	nc, err := nats.Connect("nats://" + srv.nats)
	if err != nil {
		t.Fatalf("connect to the embedded NATS at %s: %v", srv.nats, err)
	}
	defer nc.Close()
	m := nats.NewMsg("calendar.notifications")
	if contentType != "" {
		m.Header.Set("Content-Type", contentType)
	}
	if owner != "" {
		m.Header.Set("Calendar-Owner", owner)
	}
	m.Data = data
	reply, err := nc.RequestMsg(m, 10*time.Second)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return string(reply.Data)
}

// agentCmd runs `parley calendar-agent ACTION --data-dir DIR`.
func agentCmd(t *testing.T, dir, action string) string {
	t.Helper()
	out, err := parleyCmd(t, dir, "calendar-agent", action)
	if err != nil {
		t.Fatalf("parley calendar-agent %s: %v\n%s", action, err, out)
	}
	return out
}

func reminderEvents(events []event) []event {
	var out []event
	for _, e := range events {
		if e.get("event") == "reminder" {
			out = append(out, e)
		}
	}
	return out
}

// TestCalendarReminders: seed 002 end to end with the embedded NATS and
// slixmpp clients. alice (reminders on with the ad-hoc command) gets a
// reminder with the iCalendar data; bob (reminders off) and carol
// (offline) get nothing, also not at carol's next login, and the
// discards are logged; a future alarm arrives when it is due; the
// operator stops and starts the agent.
func TestCalendarReminders(t *testing.T) {
	dir := t.TempDir()
	addUsers(t, dir, "alice", "bob", "carol")
	if out, err := userCmd(t, dir, "reminders", "carol@localhost", "on"); err != nil || !strings.Contains(out, "calendar reminders on for carol@localhost") {
		t.Fatalf("parley user reminders: %v %s", err, out)
	}
	srv := startServer(t, "parley", dir)
	alice := startScript(t, srv, startTLS, "calendar_user.py", "--user", "alice", "--reminders", "on", "--timezone", "Europe/Berlin", "--until", "alice-end")
	alice.waitFor("alice's reminders on", "command_done", "status", "completed")
	alice.waitFor("alice ready", "ready")
	bob := startScript(t, srv, startTLS, "calendar_user.py", "--user", "bob", "--until", "bob-end")
	bob.waitFor("bob ready", "ready")

	start := time.Date(2026, 3, 3, 13, 0, 0, 0, time.UTC)
	if ans := publish(t, srv, "mailto:alice@localhost", "text/calendar", icsEvent("now-1", "Design review", start)); !strings.Contains(ans, `"delivered":1`) {
		t.Fatalf("agent answered %s", ans)
	}
	r := alice.waitFor("the reminder", "reminder", "uid", "now-1")
	if r.get("frm") != "calendar.localhost" || r.get("type") != "headline" || r.get("subject") != "Reminder: Design review" ||
		r.get("content_type") != "text/calendar" {
		t.Fatalf("reminder %v", r)
	}
	if b := r.get("body"); !strings.Contains(b, "When: Tuesday 3 March 2026, 14:00–15:00 CET") || !strings.Contains(b, "Where: Room 4") {
		t.Fatalf("body %q (times in alice's zone, Europe/Berlin)", b)
	}
	if ics := r.get("ics"); !strings.Contains(ics, "BEGIN:VEVENT") || !strings.Contains(ics, "UID:now-1") || !strings.Contains(ics, "SUMMARY:Design review") {
		t.Fatalf("iCalendar data %q", ics)
	}

	// bob has reminders off (the default): nothing; then on, with the
	// CLI while the server runs: the next one arrives, and is his first.
	if ans := publish(t, srv, "bob@localhost", "", icsEvent("bob-off", "Not for bob", start)); !strings.Contains(ans, `"discarded":"reminders_off"`) {
		t.Fatalf("agent answered %s", ans)
	}
	if out, err := userCmd(t, dir, "reminders", "bob@localhost", "on"); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	publish(t, srv, "bob@localhost", "", icsEvent("bob-end", "For bob", start))
	if rs := reminderEvents(bob.wait()); len(rs) != 1 || rs[0].get("uid") != "bob-end" {
		t.Fatalf("bob's reminders: %v", rs)
	}

	// carol is offline: discarded; at her next login nothing is waiting.
	if ans := publish(t, srv, "carol@localhost", "", icsEvent("carol-offline", "Missed", start)); !strings.Contains(ans, `"discarded":"offline"`) {
		t.Fatalf("agent answered %s", ans)
	}
	carol := startScript(t, srv, startTLS, "calendar_user.py", "--user", "carol", "--until", "carol-end")
	carol.waitFor("carol ready", "ready")
	publish(t, srv, "carol@localhost", "", icsEvent("carol-end", "Now online", start))
	if rs := reminderEvents(carol.wait()); len(rs) != 1 || rs[0].get("uid") != "carol-end" {
		t.Fatalf("carol's reminders: %v", rs)
	}
	log := srv.log()
	for _, want := range []string{
		`msg="reminder discarded" component=calendar-agent reason=reminders_off owner=bob@localhost uid=bob-off`,
		`msg="reminder discarded" component=calendar-agent reason=offline owner=carol@localhost uid=carol-offline`,
		`msg="reminder delivered" component=calendar-agent owner=alice@localhost uid=now-1`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("server log lacks %s", want)
		}
	}

	// A future alarm arrives when it is due, not before; the XML schema
	// works as well.
	due := time.Now().Add(3 * time.Second).Truncate(time.Second)
	ans := publish(t, srv, "", "text/xml", []byte(fmt.Sprintf(`<event xmlns="urn:parley:calendar:0"><uid>later</uid>
		<owner>mailto:alice@localhost</owner><summary>Soon</summary><start>%s</start>
		<alarm><trigger>%s</trigger></alarm></event>`, due.Add(time.Hour).UTC().Format(time.RFC3339), due.UTC().Format(time.RFC3339))))
	if !strings.Contains(ans, `"next_alarm":"`+due.UTC().Format(time.RFC3339)+`"`) {
		t.Fatalf("agent answered %s", ans)
	}
	r = alice.waitFor("the scheduled reminder", "reminder", "uid", "later")
	var received float64
	json.Unmarshal([]byte(r.get("received")), &received)
	if r.get("trigger") != due.UTC().Format(time.RFC3339) || received < float64(due.Unix()) {
		t.Fatalf("reminder %v came before its trigger %v", r, due)
	}

	// The operator: status, stop (a publish then finds no agent), start.
	if out := agentCmd(t, dir, "status"); !strings.Contains(out, "calendar agent: running since") || !strings.Contains(out, "delivered: 4") ||
		!strings.Contains(out, "offline 1") || !strings.Contains(out, "reminders_off 1") {
		t.Fatalf("status:\n%s", out)
	}
	if out := agentCmd(t, dir, "stop"); !strings.HasPrefix(out, "calendar agent: stopped") {
		t.Fatalf("stop:\n%s", out)
	}
	nc, err := nats.Connect("nats://" + srv.nats)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Request("calendar.notifications", icsEvent("x", "x", start), 5*time.Second); err != nats.ErrNoResponders {
		t.Fatalf("request while stopped: %v, want no responders", err)
	}
	nc.Close()
	if out := agentCmd(t, dir, "start"); !strings.HasPrefix(out, "calendar agent: running since") {
		t.Fatalf("start:\n%s", out)
	}
	publish(t, srv, "alice@localhost", "", icsEvent("alice-end", "Done", start))
	if rs := reminderEvents(alice.wait()); len(rs) != 3 {
		t.Fatalf("alice's reminders: %v", rs)
	}
	metrics := getText(t, "http://"+srv.http+"/metrics")
	for _, want := range []string{"parley_calendar_reminders_delivered_total 5", `parley_calendar_reminders_discarded_total{reason="offline"} 1`,
		`parley_calendar_notifications_received_total{source="nats"} 7`, "parley_nats_up 1"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if h := getText(t, "http://"+srv.http+"/healthz"); !strings.Contains(h, "nats: embedded "+srv.nats+", connected") {
		t.Errorf("/healthz: %q", h)
	}
}

// TestCalendarAlarmAcrossRestart: an alarm scheduled before a restart
// fires after it, for a user who logged in to the restarted server.
func TestCalendarAlarmAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	addUsers(t, dir, "alice")
	userCmd(t, dir, "reminders", "alice@localhost", "on")
	srv := startServer(t, "parley", dir)
	// Far enough ahead for a restart and a login on a loaded machine;
	// the test waits for the event, not for the time.
	due := time.Now().Add(10 * time.Second).Truncate(time.Second)
	ans := publish(t, srv, "alice@localhost", "", icsEvent("across", "After the restart", due.Add(15*time.Minute), alarmAt(due)...))
	if !strings.Contains(ans, `"next_alarm":"`+due.UTC().Format(time.RFC3339)+`"`) {
		t.Fatalf("agent answered %s", ans)
	}
	srv.stop()
	srv2 := startServer(t, "parley (restarted)", dir)
	alice := startScript(t, srv2, startTLS, "calendar_user.py", "--user", "alice", "--until", "across")
	ready := alice.waitFor("alice ready", "ready")
	_ = ready
	if time.Now().After(due) {
		t.Fatalf("alice was online only after the alarm was due (%v): the machine is too slow for this test", due)
	}
	rs := reminderEvents(alice.wait())
	if len(rs) != 1 || rs[0].get("trigger") != due.UTC().Format(time.RFC3339) {
		t.Fatalf("reminders %v", rs)
	}
	if !strings.Contains(srv2.log(), `msg="reminder delivered" component=calendar-agent owner=alice@localhost uid=across`) {
		t.Error("delivery not logged")
	}
}

// TestCalendarWebhook: a calendar server that can only call webhooks.
func TestCalendarWebhook(t *testing.T) {
	dir := t.TempDir()
	addUsers(t, dir, "alice")
	cfg := filepath.Join(t.TempDir(), "parley.toml")
	os.WriteFile(cfg, []byte("[calendar]\nwebhook_token = \"e2e-webhook-token-0123456789\"\ntimezone = \"UTC\"\n"), 0o600)
	userCmd(t, dir, "reminders", "alice@localhost", "on")
	srv := startServer(t, "parley", dir, "--config", cfg)
	alice := startScript(t, srv, startTLS, "calendar_user.py", "--user", "alice", "--until", "hook")
	alice.waitFor("alice ready", "ready")
	post := func(token string, body []byte) (int, string) {
		req, _ := http.NewRequest("POST", "http://"+srv.http+"/api/v1/calendar/notifications", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "text/calendar; charset=utf-8")
		req.Header.Set("Calendar-Owner", "alice@localhost")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post("wrong-token", icsEvent("bad", "x", time.Now())); code != 401 {
		t.Fatalf("wrong token: %d %s", code, body)
	}
	code, body := post("e2e-webhook-token-0123456789", icsEvent("hook", "By webhook", time.Date(2026, 3, 3, 13, 0, 0, 0, time.UTC)))
	if code != 200 || !strings.Contains(body, `"delivered":1`) {
		t.Fatalf("%d %s", code, body)
	}
	rs := reminderEvents(alice.wait())
	if len(rs) != 1 || !strings.Contains(rs[0].get("body"), "13:00–14:00 UTC") {
		t.Fatalf("%v", rs)
	}
}

func getText(t *testing.T, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
