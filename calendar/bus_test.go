package calendar

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/parley-im/parley/bus"
	"github.com/parley-im/parley/store"
)

func startBus(t *testing.T) *bus.Bus {
	t.Helper()
	b := bus.New(bus.Config{Listen: "127.0.0.1:0"})
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Stop(context.Background()) })
	return b
}

// Over a real NATS: a publisher's text/calendar with a Calendar-Owner
// header arrives; a request gets the outcome; two agents in the queue
// group share the subject (each notification processed once).
func TestNATS(t *testing.T) {
	b := startBus(t)
	f := newFixture(t, func(c *Config) { c.Bus = b.Conn() })
	second := f.newAgent(func(c *Config) { c.Bus = b.Conn() })
	f.user("alice@example.com", store.RemindersOn)
	s := f.online("alice@example.com/r", true, 0)
	pub, err := nats.Connect(b.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	const n = 10
	for i := range n {
		m := nats.NewMsg("calendar.notifications")
		m.Header.Set("Content-Type", "text/calendar")
		m.Header.Set("Calendar-Owner", "mailto:alice@example.com")
		m.Data = event("UID:nats-"+string(rune('a'+i)), "SUMMARY:Over NATS", "DTSTART:20260302T100000Z")
		if err := pub.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		checkReminder(t, s.next(t), "alice@example.com/r", "Over NATS")
	}
	// Request/reply: the outcome as JSON.
	m := nats.NewMsg("calendar.notifications")
	m.Header.Set("Calendar-Owner", "alice@example.com")
	m.Data = []byte(`<event><uid>req</uid><start>2026-03-02T11:00:00Z</start><alarm><trigger>-PT30M</trigger></alarm></event>`)
	reply, err := pub.RequestMsg(m, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(reply.Data), `"uid":"req"`) || !strings.Contains(string(reply.Data), `"next_alarm":"2026-03-02T10:30:00Z"`) {
		t.Fatalf("reply %s", reply.Data)
	}
	s.none(t)
	s1, _ := f.agent.Status(context.Background())
	s2, _ := second.Status(context.Background())
	if got := s1.Received[SourceNATS] + s2.Received[SourceNATS]; got != n+1 {
		t.Fatalf("received %d + %d, want %d in all", s1.Received[SourceNATS], s2.Received[SourceNATS], n+1)
	}
	// Stopped, the agent leaves the queue group: the other gets everything.
	f.agent.Stop(context.Background())
	m = nats.NewMsg("calendar.notifications")
	m.Header.Set("Calendar-Owner", "alice@example.com")
	m.Data = event("UID:after-stop", "SUMMARY:Over NATS", "DTSTART:20260302T100000Z")
	for range 4 {
		if reply, err := pub.RequestMsg(m, 5*time.Second); err != nil || !strings.Contains(string(reply.Data), `"uid":"after-stop"`) {
			t.Fatalf("%v %s", err, reply.Data)
		}
	}
	s.next(t)
}
