package conferencing

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/account"
	"github.com/parley-im/parley/conference"
	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/api"
	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/sasl"
	"github.com/parley-im/parley/xmpp/xml"
)

const (
	domain    = "example.com"
	mucDomain = "conference.example.com"
	base      = "https://parley.example.com"
	alice     = "alice@example.com"
	bob       = "bob@example.com"
	carol     = "carol@example.com"
	password  = "correct horse"
)

var t0 = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

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

// flaky is the memory store with failures the test turns on by method
// name: the storage failures behind UNEXPECTED_ERROR and the
// ERROR_RETRIEVING_* codes.
type flaky struct {
	*memory.Store
	mu   sync.Mutex
	fail map[string]bool
}

var errDisk = errors.New("disk on fire")

func (f *flaky) failing(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fail[name]
}

func (f *flaky) set(name string, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[name] = on
}

func (f *flaky) Token(ctx context.Context, id int64) (store.Token, error) {
	if f.failing("Token") {
		return store.Token{}, errDisk
	}
	return f.Store.Token(ctx, id)
}

func (f *flaky) ListConferences(ctx context.Context, q store.ConferenceQuery) ([]store.Conference, error) {
	if f.failing("ListConferences") {
		return nil, errDisk
	}
	return f.Store.ListConferences(ctx, q)
}

func (f *flaky) CreateConference(ctx context.Context, c store.Conference) error {
	if f.failing("CreateConference") {
		return errDisk
	}
	return f.Store.CreateConference(ctx, c)
}

func (f *flaky) Conference(ctx context.Context, id string) (store.Conference, error) {
	if f.failing("Conference") {
		return store.Conference{}, errDisk
	}
	return f.Store.Conference(ctx, id)
}

func (f *flaky) DeleteConference(ctx context.Context, id string) error {
	if f.failing("DeleteConference") {
		return errDisk
	}
	return f.Store.DeleteConference(ctx, id)
}

func (f *flaky) Attendance(ctx context.Context, id string) ([]store.Attendance, error) {
	if f.failing("Attendance") {
		return nil, errDisk
	}
	return f.Store.Attendance(ctx, id)
}

type fixture struct {
	t     *testing.T
	ctx   context.Context // carries the base URL, as the bindings' does
	clock *clock
	st    *flaky
	auth  *auth.Service
	conf  *conference.Manager
	muc   *muc.Service
	svc   *Service
	// site 12345 may schedule; 777 may not; 999 may, and is another site.
	site, otherSite, noSched string
	siteKey, otherKey, noKey string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: api.WithBaseURL(context.Background(), base), clock: &clock{now: t0},
		st: &flaky{Store: memory.New(), fail: map[string]bool{}}}
	accts := &account.Manager{Users: f.st, Iterations: sasl.MinIterations}
	for _, u := range []string{alice, bob, carol} {
		must(t, accts.Add(f.ctx, u, password))
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var err error
	f.auth, err = auth.New(auth.Options{Store: f.st, TokenLife: 72 * time.Hour, DefaultDomain: domain, Now: f.clock.Now, Logger: quiet})
	must(t, err)
	sched := auth.SettingsForPolicies([]string{auth.PolicyPreconference, auth.PolicyPostconference, auth.PolicyReporting})
	mk := func(id string, s auth.Settings) string {
		_, key, err := f.auth.CreateSite(f.ctx, id, "site "+id, s)
		must(t, err)
		return key
	}
	f.site, f.siteKey = "12345", mk("12345", sched)
	f.otherSite, f.otherKey = "999", mk("999", sched)
	f.noSched, f.noKey = "777", mk("777", auth.DefaultSiteSettings())
	var m *conference.Manager
	f.muc = muc.New(muc.Config{Domains: []string{mucDomain}, Store: f.st, Send: func(context.Context, *xml.Element) {},
		Hooks: muc.Hooks{
			Admit:   func(ctx context.Context, e muc.Entry) muc.Admission { return m.Admit(ctx, e) },
			Observe: func(ctx context.Context, e muc.Event) { m.Observe(ctx, e) },
		}})
	m = conference.New(conference.Options{Store: f.st, MUC: f.muc, Domain: domain, MUCDomain: mucDomain,
		EarlyJoin: 15 * time.Minute, Now: f.clock.Now, Logger: quiet, GuestsAllowed: GuestsAllowed(f.auth)})
	f.conf = m
	f.svc = New(Options{Auth: f.auth, Conferences: m, MaxResponseSize: 3, MaxRequestSize: 3, Now: f.clock.Now, Logger: quiet})
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

func ts(t time.Time) *api.Timestamp { v := api.Timestamp(t); return &v }

// token returns a token of policy for a site.
func (f *fixture) token(site, key, policy string) string {
	f.t.Helper()
	sess, err := f.auth.CreateSession(f.ctx, site, key, "SITE")
	must(f.t, err)
	if policy == auth.PolicySession {
		return sess.Token
	}
	tok, err := f.auth.RequestToken(f.ctx, site, sess.Token, auth.TokenProperties{TokenPolicy: policy}, nil)
	must(f.t, err)
	return tok.Token
}

func (f *fixture) userToken(user, policy string) string {
	f.t.Helper()
	sess, err := f.auth.CreateSession(f.ctx, user, password, "USER")
	must(f.t, err)
	if policy == auth.PolicySession {
		return sess.Token
	}
	tok, err := f.auth.RequestToken(f.ctx, user, sess.Token, auth.TokenProperties{TokenPolicy: policy}, nil)
	must(f.t, err)
	return tok.Token
}

// options is a valid request: tomorrow at 10:00 for an hour, hosted by
// alice, bob invited.
func options() *ScheduleOptions {
	start := t0.Add(25 * time.Hour)
	return &ScheduleOptions{Title: "Review", StartDate: ts(start), EndDate: ts(start.Add(time.Hour)),
		Organizer: &ParticipantData{FirstName: "Alice", EmailAddr: "alice@mail.example.com", Userid: "alice"},
		Attendees: []ParticipantData{{FirstName: "Bob", Userid: bob}}}
}

// schedule schedules as site 12345 and returns the conference ID.
func (f *fixture) schedule(o *ScheduleOptions) string {
	f.t.Helper()
	resp, _ := f.svc.ScheduleConference(f.ctx, ScheduleRequest{EntityID: f.site, EntityToken: f.token(f.site, f.siteKey, auth.PolicyPreconference), ScheduleOptions: o})
	if resp.StatusCode != 0 || resp.ScheduleResult == nil {
		f.t.Fatalf("scheduleConference: %+v", resp)
	}
	return resp.ScheduleResult.ConferenceID
}

// enter and leave move a session in and out of a conference's room.
func (f *fixture) enter(id, session, nick string) {
	f.t.Helper()
	c, err := f.st.Store.Conference(f.ctx, id)
	must(f.t, err)
	p := xml.NewElement(ns.Client, "presence", xml.Attr{Name: "from", Value: session}, xml.Attr{Name: "to", Value: c.RoomJID + "/" + nick})
	// Every conference of these tests with a key has k3y.
	p.AddChild(xml.NewElement(muc.NS, "x").AddChild(xml.NewElement(muc.NS, "password").SetText("k3y")))
	f.muc.Receive(f.ctx, p)
}

func (f *fixture) leave(id, session, nick string) {
	c, _ := f.st.Store.Conference(f.ctx, id)
	f.muc.Receive(f.ctx, xml.NewElement(ns.Client, "presence", xml.Attr{Name: "from", Value: session},
		xml.Attr{Name: "to", Value: c.RoomJID + "/" + nick}, xml.Attr{Name: "type", Value: "unavailable"}))
}

// check asserts a status code.
func check(t *testing.T, what string, got int, details string, want integration.Status) {
	t.Helper()
	if got != int(want) {
		t.Errorf("%s: status %d (%s), want %d %s", what, got, details, int(want), want)
	}
}
