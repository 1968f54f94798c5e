package conference

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

const (
	domain      = "example.com"
	mucDomain   = "conference.example.com"
	guestDomain = "conference-guests.example.com"
	base        = "https://parley.example.com"
	alice       = "alice@example.com"
	bob         = "bob@example.com"
	carol       = "carol@example.com"
	dave        = "dave@example.com"
)

// t0 is the fixture's "now" when it starts.
var t0 = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

// clock is a time source the test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// inbox records what the MUC service sends to each session.
type inbox struct {
	mu  sync.Mutex
	got map[string][]*xml.Element
}

func (b *inbox) send(_ context.Context, el *xml.Element) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got[el.Attr("to")] = append(b.got[el.Attr("to")], el)
}

func (b *inbox) last(to string) *xml.Element {
	b.mu.Lock()
	defer b.mu.Unlock()
	got := b.got[to]
	if len(got) == 0 {
		return nil
	}
	return got[len(got)-1]
}

func (b *inbox) all(to string) []*xml.Element {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*xml.Element(nil), b.got[to]...)
}

type fixture struct {
	t      *testing.T
	ctx    context.Context
	clock  *clock
	st     *memory.Store
	muc    *muc.Service
	m      *Manager
	inbox  *inbox
	guests bool // what GuestsAllowed answers
}

func newFixture(t *testing.T, tune ...func(*Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), clock: &clock{now: t0}, st: memory.New(), inbox: &inbox{got: map[string][]*xml.Element{}}}
	for _, u := range []string{alice, bob, carol, dave} {
		if err := f.st.CreateUser(f.ctx, store.User{JID: u}); err != nil {
			t.Fatal(err)
		}
	}
	o := Options{Store: f.st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Domain: domain, MUCDomain: mucDomain,
		GuestDomain: guestDomain, EarlyJoin: 15 * time.Minute, Now: f.clock.Now,
		GuestsAllowed: func(context.Context, store.Conference) bool { return f.guests }}
	for _, fn := range tune {
		fn(&o)
	}
	var m *Manager
	f.muc = muc.New(muc.Config{Domains: []string{mucDomain}, Store: f.st, Send: f.inbox.send,
		Hooks: muc.Hooks{
			Admit:   func(ctx context.Context, e muc.Entry) muc.Admission { return m.Admit(ctx, e) },
			Observe: func(ctx context.Context, e muc.Event) { m.Observe(ctx, e) },
		}})
	o.MUC = f.muc
	m = New(o)
	f.m = m
	return f
}

var site = Caller{Site: "12345"}

func ptr[T any](v T) *T { return &v }

// spec is a valid request: a RESTRICTED conference tomorrow at 10:00
// for an hour, hosted by alice, with bob invited.
func spec() Spec {
	start := t0.Add(25 * time.Hour)
	return Spec{Title: "Review", Description: "numbers", Start: ptr(start), End: ptr(start.Add(time.Hour)),
		Host:      &Person{FirstName: "Alice", LastName: "Liddell", Email: "alice@mail.example.com", UserID: "alice"},
		Attendees: []Person{{FirstName: "Bob", Email: "bob@mail.example.com", UserID: bob}}}
}

func (f *fixture) schedule(c Caller, s Spec) Result {
	f.t.Helper()
	r, err := f.m.Schedule(f.ctx, c, s, base)
	if err != nil {
		f.t.Fatalf("Schedule: %v", err)
	}
	return r
}

// stored reads a conference back.
func (f *fixture) stored(id string) store.Conference {
	f.t.Helper()
	c, err := f.st.Conference(f.ctx, id)
	if err != nil {
		f.t.Fatalf("conference %s: %v", id, err)
	}
	return c
}

// join sends a session's join to the conference's room (with the
// conference key as the room password when given) and returns the
// error condition it got, or "" if it is in.
func (f *fixture) join(c store.Conference, session, nick, password string) string {
	f.t.Helper()
	x := xml.NewElement(muc.NS, "x")
	if password != "" {
		x.AddChild(xml.NewElement(muc.NS, "password").SetText(password))
	}
	p := xml.NewElement(ns.Client, "presence", xml.Attr{Name: "from", Value: session}, xml.Attr{Name: "to", Value: c.RoomJID + "/" + nick})
	p.AddChild(x)
	before := len(f.inbox.all(session))
	f.muc.Receive(f.ctx, p)
	got := f.inbox.all(session)[before:]
	for _, el := range got {
		if el.Name == "presence" && el.Attr("type") == "error" {
			for _, c := range el.Child(ns.Client, "error").Children {
				if c.Name != "text" {
					return c.Name
				}
			}
			return "error"
		}
	}
	for _, el := range got {
		if el.Name == "presence" && el.Attr("type") == "" && strings.Contains(el.String(), "code='110'") {
			return ""
		}
	}
	f.t.Fatalf("%s's join got %v", session, got)
	return ""
}

func (f *fixture) mustJoin(c store.Conference, session, nick, password string) {
	f.t.Helper()
	if cond := f.join(c, session, nick, password); cond != "" {
		f.t.Fatalf("%s could not join: %s", session, cond)
	}
}

func (f *fixture) leave(c store.Conference, session, nick string) {
	p := xml.NewElement(ns.Client, "presence", xml.Attr{Name: "from", Value: session}, xml.Attr{Name: "to", Value: c.RoomJID + "/" + nick},
		xml.Attr{Name: "type", Value: "unavailable"})
	f.muc.Receive(f.ctx, p)
}

func (f *fixture) say(c store.Conference, session string, children ...*xml.Element) {
	m := xml.NewElement(ns.Client, "message", xml.Attr{Name: "from", Value: session}, xml.Attr{Name: "to", Value: c.RoomJID},
		xml.Attr{Name: "type", Value: "groupchat"})
	for _, ch := range children {
		m.AddChild(ch)
	}
	f.muc.Receive(f.ctx, m)
}

func body(s string) *xml.Element { return xml.NewElement(ns.Client, "body").SetText(s) }

// timeline is a conference's events as "kind nick text" lines.
func (f *fixture) timeline(id string) []string {
	f.t.Helper()
	evs, err := f.m.Timeline(f.ctx, id, 0, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, strings.TrimSpace(e.Kind+" "+e.Nick+" "+e.Text))
	}
	return out
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: %v, want %v", what, err, want)
	}
}
