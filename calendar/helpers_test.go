package calendar

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// fakeClock is a Clock that moves only when told.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c       *fakeClock
	at      time.Time
	f       func()
	stopped bool
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	due := !t.at.After(c.now)
	c.mu.Unlock()
	if due {
		c.fire()
	}
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// Advance moves the clock and runs the timers that came due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	c.fire()
}

func (c *fakeClock) fire() {
	c.mu.Lock()
	var due []*fakeTimer
	keep := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.stopped = true
			due = append(due, t)
		default:
			keep = append(keep, t)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	for _, t := range due {
		go t.f()
	}
}

// session is a bound resource that records what it is sent.
type session struct {
	j  jid.JID
	ch chan *xml.Element
}

func (s *session) JID() jid.JID            { return s.j }
func (s *session) Deliver(el *xml.Element) { s.ch <- el }
func (s *session) Close(*stream.Error)     {}

// next waits for the next stanza (the scheduler delivers from its own
// goroutine).
func (s *session) next(t *testing.T) *xml.Element {
	t.Helper()
	select {
	case el := <-s.ch:
		return el
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: nothing delivered", s.j)
		return nil
	}
}

// none fails if anything was delivered; call it after an event that
// proves the agent is done (an outcome returned, a later delivery).
func (s *session) none(t *testing.T) {
	t.Helper()
	select {
	case el := <-s.ch:
		t.Fatalf("%s got %s", s.j, el)
	default:
	}
}

// logBuffer collects log lines for assertions.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type fixture struct {
	t      testing.TB
	st     *memory.Store
	router router.Router
	clock  *fakeClock
	logs   *logBuffer
	sent   chan *xml.Element // what the component sends through Send
	agent  *Agent
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newFixture(t testing.TB, opts ...func(*Config)) *fixture {
	t.Helper()
	f := &fixture{t: t, st: memory.New(), router: router.New(), clock: &fakeClock{now: t0}, logs: &logBuffer{},
		sent: make(chan *xml.Element, 100)}
	f.agent = f.newAgent(opts...)
	return f
}

// newAgent makes an agent on the fixture's store, router and clock (a
// restarted server, or another node of a pool), and starts it.
func (f *fixture) newAgent(opts ...func(*Config)) *Agent {
	f.t.Helper()
	cfg := Config{
		Domains: []string{"calendar.example.com"}, Hosts: []string{"example.com"},
		IsLocal:         func(d string) bool { return d == "example.com" },
		Store:           f.st,
		Sessions:        f.router,
		Send:            func(_ context.Context, el *xml.Element) { f.sent <- el },
		Subject:         "calendar.notifications",
		Addresses:       map[string]string{"boss@corp.example": "carol@example.com"},
		MailDomains:     map[string]string{"mail.example": "example.com"},
		DefaultZone:     time.UTC,
		MaxPayloadBytes: 64 << 10,
		MaxDelay:        time.Hour,
		Clock:           f.clock,
		Logger:          slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, o := range opts {
		o(&cfg)
	}
	a := New(cfg)
	if err := a.Start(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { a.Stop(context.Background()) })
	return a
}

func (f *fixture) user(bare string, reminders string) {
	f.t.Helper()
	ctx := context.Background()
	if err := f.st.CreateUser(ctx, store.User{JID: bare, CreatedAt: time.Now()}); err != nil {
		f.t.Fatal(err)
	}
	if reminders != "" {
		if err := f.st.SetCalendarPrefs(ctx, bare, store.CalendarPrefs{Reminders: reminders}); err != nil {
			f.t.Fatal(err)
		}
	}
}

// online binds a resource; available with a priority, or not.
func (f *fixture) online(full string, available bool, priority int) *session {
	f.t.Helper()
	j, err := jid.Parse(full)
	if err != nil {
		f.t.Fatal(err)
	}
	s := &session{j: j, ch: make(chan *xml.Element, 100)}
	f.router.Bind(s)
	if available {
		f.router.SetPresence(s, true, priority, xml.NewElement("jabber:client", "presence"))
	}
	return s
}

func (f *fixture) ingest(n Notification) []Outcome {
	f.t.Helper()
	if n.Source == "" {
		n.Source = SourceNATS
	}
	out, err := f.agent.Ingest(context.Background(), n)
	if err != nil {
		f.t.Fatalf("Ingest: %v", err)
	}
	return out
}

// ics builds a one-event calendar.
func event(parts ...any) []byte {
	all := append([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//EN", "BEGIN:VEVENT"}, lines(parts...)...)
	all = append(all, "END:VEVENT", "END:VCALENDAR")
	return []byte(strings.Join(all, "\r\n") + "\r\n")
}

func alarm(trigger string) []string {
	return []string{"BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:" + trigger, "END:VALARM"}
}

func lines(parts ...any) []string {
	var out []string
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			out = append(out, v)
		case []string:
			out = append(out, v...)
		}
	}
	return out
}
