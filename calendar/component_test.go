package calendar

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/xml"
)

func (f *fixture) send(stanzaXML string) *xml.Element {
	f.t.Helper()
	el, err := xml.ParseElement([]byte(stanzaXML), "jabber:client", xml.DefaultLimits)
	if err != nil {
		f.t.Fatal(err)
	}
	f.agent.Receive(context.Background(), el)
	select {
	case r := <-f.sent:
		return r
	case <-time.After(5 * time.Second):
		f.t.Fatalf("no answer to %s", stanzaXML)
		return nil
	}
}

func TestDisco(t *testing.T) {
	f := newFixture(t)
	r := f.send(`<iq type='get' id='1' from='alice@example.com/r' to='calendar.example.com'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if r.Attr("type") != "result" || !strings.Contains(r.String(), "var='http://jabber.org/protocol/commands'") {
		t.Fatalf("%s", r)
	}
	r = f.send(`<iq type='get' id='2' from='alice@example.com/r' to='calendar.example.com'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/></iq>`)
	if !strings.Contains(r.String(), "node='reminders'") || !strings.Contains(r.String(), "jid='calendar.example.com'") {
		t.Fatalf("%s", r)
	}
	r = f.send(`<iq type='get' id='3' from='alice@example.com/r' to='calendar.example.com'><query xmlns='http://jabber.org/protocol/disco#info' node='reminders'/></iq>`)
	if !strings.Contains(r.String(), "type='command-node'") {
		t.Fatalf("%s", r)
	}
	r = f.send(`<iq type='get' id='4' from='alice@example.com/r' to='calendar.example.com'><ping xmlns='urn:xmpp:ping'/></iq>`)
	if r.Attr("type") != "result" || r.Attr("to") != "alice@example.com/r" {
		t.Fatalf("%s", r)
	}
	r = f.send(`<iq type='get' id='5' from='alice@example.com/r' to='calendar.example.com'><query xmlns='jabber:iq:version'/></iq>`)
	if !strings.Contains(r.String(), "service-unavailable") {
		t.Fatalf("%s", r)
	}
	r = f.send(`<iq type='get' id='6' from='alice@example.com/r' to='x@calendar.example.com'><ping xmlns='urn:xmpp:ping'/></iq>`)
	if !strings.Contains(r.String(), "item-not-found") {
		t.Fatalf("%s", r)
	}
}

// The reminders command in two steps (form, then submit) and in one.
func TestAdhocCommand(t *testing.T) {
	f := newFixture(t)
	f.user("alice@example.com", "")
	r := f.send(`<iq type='set' id='c1' from='alice@example.com/r' to='calendar.example.com'><command xmlns='http://jabber.org/protocol/commands' node='reminders' action='execute'/></iq>`)
	cmd := r.Child(nsCommands, "command")
	if r.Attr("type") != "result" || cmd == nil || cmd.Attr("status") != "executing" || cmd.Attr("sessionid") == "" {
		t.Fatalf("%s", r)
	}
	if !strings.Contains(r.String(), "var='reminders'") || !strings.Contains(r.String(), "<value>0</value>") {
		t.Fatalf("form does not show reminders off: %s", r)
	}
	sid := cmd.Attr("sessionid")
	r = f.send(`<iq type='set' id='c2' from='alice@example.com/r' to='calendar.example.com'><command xmlns='http://jabber.org/protocol/commands' node='reminders' sessionid='` + sid + `' action='complete'>
		<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:parley:calendar:reminders</value></field>
		<field var='reminders'><value>true</value></field><field var='timezone'><value>Europe/Berlin</value></field></x></command></iq>`)
	if cmd := r.Child(nsCommands, "command"); cmd == nil || cmd.Attr("status") != "completed" || !strings.Contains(r.String(), "reminders are on") {
		t.Fatalf("%s", r)
	}
	p, _ := f.st.CalendarPrefs(context.Background(), "alice@example.com")
	if p != (store.CalendarPrefs{Reminders: store.RemindersOn, TimeZone: "Europe/Berlin"}) {
		t.Fatalf("prefs %+v", p)
	}
	// One step, off; a bad zone is refused.
	r = f.send(`<iq type='set' id='c3' from='alice@example.com/r' to='calendar.example.com'><command xmlns='http://jabber.org/protocol/commands' node='reminders'>
		<x xmlns='jabber:x:data' type='submit'><field var='reminders'><value>0</value></field></x></command></iq>`)
	if !strings.Contains(r.String(), "status='completed'") {
		t.Fatalf("%s", r)
	}
	if p, _ := f.st.CalendarPrefs(context.Background(), "alice@example.com"); p.Reminders != store.RemindersOff || p.TimeZone != "Europe/Berlin" {
		t.Fatalf("prefs %+v", p)
	}
	r = f.send(`<iq type='set' id='c4' from='alice@example.com/r' to='calendar.example.com'><command xmlns='http://jabber.org/protocol/commands' node='reminders' action='complete'>
		<x xmlns='jabber:x:data' type='submit'><field var='timezone'><value>Mars/Olympus</value></field></x></command></iq>`)
	if !strings.Contains(r.String(), "bad-request") {
		t.Fatalf("%s", r)
	}
	r = f.send(`<iq type='set' id='c5' from='alice@example.com/r' to='calendar.example.com'><command xmlns='http://jabber.org/protocol/commands' node='reminders' action='cancel' sessionid='s'/></iq>`)
	if !strings.Contains(r.String(), "status='canceled'") {
		t.Fatalf("%s", r)
	}
	r = f.send(`<iq type='set' id='c6' from='alice@example.com/r' to='calendar.example.com'><command xmlns='http://jabber.org/protocol/commands' node='other'/></iq>`)
	if !strings.Contains(r.String(), "item-not-found") {
		t.Fatalf("%s", r)
	}
	// Only users of this server.
	r = f.send(`<iq type='set' id='c7' from='mallory@elsewhere.example/r' to='calendar.example.com'><command xmlns='http://jabber.org/protocol/commands' node='reminders'/></iq>`)
	if !strings.Contains(r.String(), "forbidden") {
		t.Fatalf("%s", r)
	}
	// Stopped: no commands.
	f.agent.Stop(context.Background())
	r = f.send(`<iq type='set' id='c8' from='alice@example.com/r' to='calendar.example.com'><command xmlns='http://jabber.org/protocol/commands' node='reminders'/></iq>`)
	if !strings.Contains(r.String(), "service-unavailable") {
		t.Fatalf("%s", r)
	}
}

func TestMessageCommands(t *testing.T) {
	f := newFixture(t)
	f.user("alice@example.com", "")
	r := f.send(`<message type='chat' from='alice@example.com/r' to='calendar.example.com'><body>ON</body></message>`)
	if r.Attr("type") != "chat" || !strings.Contains(r.Child("", "body").Text, "reminders are on") {
		t.Fatalf("%s", r)
	}
	if p, _ := f.st.CalendarPrefs(context.Background(), "alice@example.com"); p.Reminders != store.RemindersOn {
		t.Fatalf("%+v", p)
	}
	r = f.send(`<message from='alice@example.com/r' to='calendar.example.com'><body>status</body></message>`)
	if !strings.Contains(r.Child("", "body").Text, "on; times are shown in UTC") {
		t.Fatalf("%s", r)
	}
	r = f.send(`<message from='alice@example.com/r' to='calendar.example.com'><body>off</body></message>`)
	if !strings.Contains(r.Child("", "body").Text, "reminders are off") {
		t.Fatalf("%s", r)
	}
	r = f.send(`<message from='alice@example.com/r' to='calendar.example.com'><body>what?</body></message>`)
	if !strings.Contains(r.Child("", "body").Text, `Send "on" or "off"`) {
		t.Fatalf("%s", r)
	}
}
