package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/control"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/xml"
)

const webhookToken = "calendar-webhook-token-for-tests"

// calendarServer runs a server whose calendar agent has a webhook token
// and a control socket at a short path.
func calendarServer(t *testing.T, opts ...xmpptest.Options) *xmpptest.Server {
	t.Helper()
	dir, err := os.MkdirTemp("", "pcal")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	base := func(c *config.Config) {
		c.Calendar.WebhookToken = webhookToken
		c.Calendar.TimeZone = "UTC"
		c.Control.Socket = filepath.Join(dir, "parley.sock")
	}
	return xmpptest.RunServer(t, append([]xmpptest.Options{base}, opts...)...)
}

func reminders(t *testing.T, srv *xmpptest.Server, user, value string) {
	t.Helper()
	if err := srv.Store().SetCalendarPrefs(context.Background(), user, store.CalendarPrefs{Reminders: value}); err != nil {
		t.Fatal(err)
	}
}

func icsEvent(uid, summary, start string, extra ...string) []byte {
	lines := []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//EN", "BEGIN:VEVENT", "UID:" + uid, "SUMMARY:" + summary, "DTSTART:" + start}
	lines = append(lines, extra...)
	lines = append(lines, "END:VEVENT", "END:VCALENDAR")
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

func isReminder(uid string) func(*xml.Element) bool {
	return func(el *xml.Element) bool {
		c := el.Child("urn:parley:calendar:0", "calendar")
		return el.Name == "message" && c != nil && c.Attr("uid") == uid
	}
}

func publish(t *testing.T, srv *xmpptest.Server, owner string, data []byte) {
	t.Helper()
	nc, err := nats.Connect(srv.Bus().ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	m := nats.NewMsg("calendar.notifications")
	m.Header.Set("Content-Type", "text/calendar")
	if owner != "" {
		m.Header.Set("Calendar-Owner", owner)
	}
	m.Data = data
	if _, err := nc.RequestMsg(m, 5*time.Second); err != nil { // the reply: processed
		t.Fatal(err)
	}
}

// The whole path inside one server: a publisher on the embedded NATS,
// the agent, an online client with reminders on; and the discards.
func TestCalendarOverNATS(t *testing.T) {
	srv := calendarServer(t)
	for _, u := range []string{"alice", "bob", "carol"} {
		srv.AddUser(u+"@localhost", "secret")
	}
	reminders(t, srv, "alice@localhost", store.RemindersOn)
	reminders(t, srv, "carol@localhost", store.RemindersOn)
	a := online(t, srv, "alice", "desk")
	b := online(t, srv, "bob", "desk") // reminders off (the default)
	publish(t, srv, "mailto:alice@localhost", icsEvent("n1", "Design review", "20260302T100000Z", "LOCATION:Room 4"))
	m := a.ExpectMatch("reminder", isReminder("n1"), isPresence)
	if m.Attr("from") != "calendar.localhost" || m.Attr("type") != "headline" ||
		!strings.Contains(m.Child("", "body").Text, "Reminder: Design review\nWhen: Monday 2 March 2026, 10:00 UTC\nWhere: Room 4") {
		t.Fatalf("%s", m)
	}
	publish(t, srv, "bob@localhost", icsEvent("n2", "For bob", "20260302T100000Z"))
	publish(t, srv, "carol@localhost", icsEvent("n3", "For carol", "20260302T100000Z"))
	// Order on the wire: bob and alice get only what is for them.
	publish(t, srv, "mailto:alice@localhost", icsEvent("n4", "Second", "20260302T100000Z"))
	a.ExpectMatch("second reminder", isReminder("n4"), isPresence)
	b.Send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
	b.ExpectMatch("ping answer, no reminder before it", func(el *xml.Element) bool { return el.Attr("id") == "p1" }, isPresence)
	// Carol, offline then, gets nothing at login either.
	c := online(t, srv, "carol", "phone")
	c.Send("<iq type='get' id='p2'><ping xmlns='urn:xmpp:ping'/></iq>")
	c.ExpectMatch("ping answer, no stored reminder", func(el *xml.Element) bool { return el.Attr("id") == "p2" }, isPresence)
	st, err := srv.Calendar().Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Delivered != 2 || st.Discarded["reminders_off"] != 1 || st.Discarded["offline"] != 1 || st.Received["nats"] != 4 {
		t.Fatalf("status %+v", st)
	}
	// Counters in /metrics.
	body := getText(t, "http://"+srv.Addr("http").String()+"/metrics")
	for _, want := range []string{`parley_calendar_reminders_delivered_total 2`, `parley_calendar_reminders_discarded_total{reason="offline"} 1`,
		`parley_calendar_notifications_received_total{source="nats"} 4`, `parley_calendar_agent_running 1`, `parley_nats_up 1`,
		`parley_nats_server_connections `} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if h := getText(t, "http://"+srv.Addr("http").String()+"/healthz"); !strings.HasPrefix(h, "ok\nnats: embedded 127.0.0.1:") {
		t.Errorf("/healthz: %q", h)
	}
}

func getText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestCalendarWebhookAndCommands(t *testing.T) {
	srv := calendarServer(t)
	srv.AddUser("alice@localhost", "secret")
	a := online(t, srv, "alice", "desk")
	// The ad-hoc command turns reminders on.
	a.Send(`<iq type='set' id='cmd' to='calendar.localhost'><command xmlns='http://jabber.org/protocol/commands' node='reminders' action='execute'/></iq>`)
	r := a.ExpectMatch("command form", func(el *xml.Element) bool { return el.Attr("id") == "cmd" }, isPresence)
	sid := r.Child("http://jabber.org/protocol/commands", "command").Attr("sessionid")
	a.Send(`<iq type='set' id='cmd2' to='calendar.localhost'><command xmlns='http://jabber.org/protocol/commands' node='reminders' sessionid='%s' action='complete'><x xmlns='jabber:x:data' type='submit'><field var='reminders'><value>1</value></field><field var='timezone'><value>Europe/Paris</value></field></x></command></iq>`, sid)
	r = a.ExpectMatch("command done", func(el *xml.Element) bool { return el.Attr("id") == "cmd2" }, isPresence)
	if !strings.Contains(r.String(), "status='completed'") {
		t.Fatalf("%s", r)
	}
	// The webhook.
	url := "http://" + srv.Addr("http").String() + "/api/v1/calendar/notifications"
	req, _ := http.NewRequest("POST", url, bytes.NewReader(icsEvent("w1", "By webhook", "20260302T100000Z")))
	req.Header.Set("Authorization", "Bearer "+webhookToken)
	req.Header.Set("Calendar-Owner", "alice@localhost")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(out), `"delivered":1`) {
		t.Fatalf("%d %s", resp.StatusCode, out)
	}
	m := a.ExpectMatch("reminder by webhook", isReminder("w1"), isPresence)
	if !strings.Contains(m.Child("", "body").Text, "11:00 CET") {
		t.Fatalf("not in the user's zone: %s", m)
	}
	req, _ = http.NewRequest("POST", url, strings.NewReader("x"))
	req.Header.Set("Authorization", "Bearer nope")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Fatalf("wrong token: %v %v", resp, err)
	}
	// The control channel: stop, status, start.
	sock := srv.Config.ControlSocket()
	ctx := context.Background()
	if out, err := control.Call(ctx, sock, "calendar-agent", "stop"); err != nil || !strings.HasPrefix(out, "calendar agent: stopped") {
		t.Fatalf("stop: %q %v", out, err)
	}
	req, _ = http.NewRequest("POST", url, bytes.NewReader(icsEvent("w2", "Stopped", "20260302T100000Z")))
	req.Header.Set("Authorization", "Bearer "+webhookToken)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 503 {
		t.Fatalf("while stopped: %v %v", resp, err)
	}
	if out, err := control.Call(ctx, sock, "calendar-agent", "start"); err != nil || !strings.HasPrefix(out, "calendar agent: running since") {
		t.Fatalf("start: %q %v", out, err)
	}
	if out, err := control.Call(ctx, sock, "calendar-agent", "status"); err != nil || !strings.Contains(out, "delivered: 1") || !strings.Contains(out, "webhook 1") {
		t.Fatalf("status: %q %v", out, err)
	}
	if _, err := control.Call(ctx, sock, "calendar-agent", "explode"); !errors.Is(err, control.ErrCommand) {
		t.Fatalf("bad action: %v", err)
	}
	// The server lists the agent.
	a.Send(`<iq type='get' id='items' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
	r = a.ExpectMatch("disco items", func(el *xml.Element) bool { return el.Attr("id") == "items" }, isPresence)
	if !strings.Contains(r.String(), "jid='calendar.localhost'") {
		t.Fatalf("%s", r)
	}
}

// A future alarm is kept in the database and fires after a restart.
func TestCalendarAlarmAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	sqlite := func(c *config.Config) {
		c.Storage.Driver = "sqlite"
		c.DataDir = dir
	}
	srv := calendarServer(t, sqlite)
	srv.AddUser("alice@localhost", "secret")
	reminders(t, srv, "alice@localhost", store.RemindersOn)
	start := time.Now().Add(2 * time.Second).UTC()
	publish(t, srv, "alice@localhost", icsEvent("later", "Soon", start.Format("20060102T150405Z"),
		"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:PT0S", "END:VALARM"))
	if as, _ := srv.Store().Alarms(context.Background(), "alice@localhost"); len(as) != 1 {
		t.Fatalf("not scheduled: %+v", as)
	}
	if err := srv.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv2 := calendarServer(t, sqlite)
	a := online(t, srv2, "alice", "desk")
	m := a.ExpectMatch("the alarm, after the restart", isReminder("later"), isPresence)
	if c := m.Child("urn:parley:calendar:0", "calendar"); c.Attr("trigger") != start.Truncate(time.Second).Format(time.RFC3339) {
		t.Fatalf("%s", m)
	}
}

// Without a bus there is no agent: no component, no webhook.
func TestCalendarWithoutBus(t *testing.T) {
	srv := calendarServer(t, func(c *config.Config) { c.NATS.Listen = "" })
	if srv.Bus() != nil || srv.Calendar() != nil {
		t.Fatal("bus or agent without nats.listen")
	}
	if h := getText(t, "http://"+srv.Addr("http").String()+"/healthz"); h != "ok\n" {
		t.Fatalf("/healthz %q", h)
	}
	resp, err := http.Post("http://"+srv.Addr("http").String()+"/api/v1/calendar/notifications", "text/calendar", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("webhook without agent: %d", resp.StatusCode)
	}
}
