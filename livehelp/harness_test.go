package livehelp

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/account"
	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/sasl"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// waitTimeout bounds every wait for an expected stanza (an event, not a
// timing assertion: a correct run never gets near it).
const waitTimeout = 5 * time.Second

// fakeClock is the injected clock: tests move it; due timers fire in
// Advance, on the test's goroutine (their functions only post to the
// loop).
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

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// Advance moves the clock and fires the timers now due, in time order.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*fakeTimer
	kept := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.stopped = true
			due = append(due, t)
		default:
			kept = append(kept, t)
		}
	}
	c.timers = kept
	c.mu.Unlock()
	slices.SortFunc(due, func(a, b *fakeTimer) int { return a.at.Compare(b.at) })
	for _, t := range due {
		t.f()
	}
}

// fakeSession is a bound session that records what it is sent.
type fakeSession struct {
	j      jid.JID
	out    chan *xml.Element
	closed chan *stream.Error
}

func newFakeSession(full string) *fakeSession {
	return &fakeSession{j: jid.MustParse(full), out: make(chan *xml.Element, 512), closed: make(chan *stream.Error, 1)}
}

func (s *fakeSession) JID() jid.JID { return s.j }
func (s *fakeSession) Deliver(el *xml.Element) {
	select {
	case s.out <- el:
	default:
		panic("fake session " + s.j.String() + ": queue full")
	}
}
func (s *fakeSession) Close(err *stream.Error) {
	select {
	case s.closed <- err:
	default:
	}
}

// fakeSessions is the session table: agents with their presence, guests.
type fakeSessions struct {
	mu sync.Mutex
	m  map[string][]router.Resource
}

func (f *fakeSessions) Resources(bare string) []router.Resource {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.m[bare])
}

func (f *fakeSessions) put(bare string, r router.Resource) {
	f.mu.Lock()
	defer f.mu.Unlock()
	list := f.m[bare]
	for i, o := range list {
		if o.Session.JID() == r.Session.JID() {
			list[i] = r
			return
		}
	}
	f.m[bare] = append(list, r)
}

func (f *fakeSessions) remove(bare string, full jid.JID) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[bare] = slices.DeleteFunc(f.m[bare], func(r router.Resource) bool { return r.Session.JID() == full })
}

const (
	domain  = "example.com"
	support = "support@groups.example.com"
	sales   = "sales@groups.example.com"
	alice   = "alice@example.com"
	bob     = "bob@example.com"
	carol   = "carol@example.com" // supervisor of support
	dave    = "dave@example.com"  // in no group
	site    = "12345"
)

type harness struct {
	t        testing.TB
	ctx      context.Context
	st       testStore
	auth     *auth.Service
	clock    *fakeClock
	sessions *fakeSessions
	svc      *Service
	sent     chan *xml.Element // Send: stanzas to local users
	backlog  []*xml.Element    // sent, read but not yet matched
	siteKey  string
	agents   map[string]*fakeSession
}

// newHarness: example.com with alice and bob (agents of support), carol
// (its supervisor), dave; sales with bob; site 12345 with GUESTCHAT and
// PRESENCE. mod may change the options before the service starts.
func newHarness(t testing.TB, mod func(*Options)) *harness {
	return newHarnessOn(t, memory.New(), mod)
}

// testStore is what the harness needs of a store: everything.
type testStore = store.Store

// newHarnessOn is newHarness on another store (sqlite, for benchmarks).
func newHarnessOn(t testing.TB, st testStore, mod func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), st: st, clock: newFakeClock(),
		sessions: &fakeSessions{m: map[string][]router.Resource{}}, sent: make(chan *xml.Element, 1024),
		agents: map[string]*fakeSession{}}
	m := &account.Manager{Users: h.st, Iterations: sasl.MinIterations}
	for _, u := range []string{alice, bob, carol, dave} {
		must(t, m.Add(h.ctx, u, "secret"))
	}
	var err error
	h.auth, err = auth.New(auth.Options{Store: h.st, Now: h.clock.Now})
	must(t, err)
	_, h.siteKey, err = h.auth.CreateSite(h.ctx, site, "Vision Corp", auth.SettingsForPolicies([]string{auth.PolicyPresence, auth.PolicyGuestChat}))
	must(t, err)
	groups := Groups{Store: h.st, Hosts: []string{domain}, Now: h.clock.Now}
	_, err = groups.Add(h.ctx, support, GroupOptions{Name: ptr("Support")})
	must(t, err)
	_, err = groups.Add(h.ctx, sales, GroupOptions{Name: ptr("Sales")})
	must(t, err)
	must(t, groups.AddMember(h.ctx, support, alice, store.RoleAgent))
	must(t, groups.AddMember(h.ctx, support, bob, store.RoleAgent))
	must(t, groups.AddMember(h.ctx, support, carol, store.RoleSupervisor))
	must(t, groups.AddMember(h.ctx, sales, bob, store.RoleAgent))
	o := Options{Store: h.st, Sessions: h.sessions, Auth: h.auth, Hosts: []string{domain}, Clock: h.clock,
		Send: func(_ context.Context, el *xml.Element) { h.sent <- el }}
	if mod != nil {
		mod(&o)
	}
	h.svc = New(o, 0)
	must(t, h.svc.Start(h.ctx))
	t.Cleanup(func() { h.svc.Stop(context.Background()) })
	return h
}

func ptr[T any](v T) *T { return &v }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// sync waits until the loop has handled everything posted before.
func (h *harness) sync() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, waitTimeout)
	defer cancel()
	must(h.t, h.svc.call(ctx, func() {}))
}

// online makes an agent available with show ("" for plain available).
func (h *harness) online(bare, show string) {
	h.t.Helper()
	s := h.agents[bare]
	if s == nil {
		s = newFakeSession(bare + "/desk")
		h.agents[bare] = s
	}
	p := xml.NewElement(ns.Client, "presence")
	if show != "" {
		p.AddChild(xml.NewElement(ns.Client, "show").SetText(show))
	}
	h.sessions.put(bare, router.Resource{Session: s, Available: true, Presence: p})
	h.svc.PresenceChanged(bare)
	h.sync()
}

func (h *harness) offline(bare string) {
	h.t.Helper()
	if s := h.agents[bare]; s != nil {
		h.sessions.remove(bare, s.j)
	}
	h.svc.PresenceChanged(bare)
	h.sync()
}

// token returns a fresh GUESTCHAT token of the site: its ID and value.
func (h *harness) token() (int64, string) {
	h.t.Helper()
	sess, err := h.auth.CreateSession(h.ctx, site, h.siteKey, "SITE")
	must(h.t, err)
	obj, err := h.auth.RequestToken(h.ctx, site, sess.Token, auth.TokenProperties{TokenPolicy: "GUESTCHAT"}, nil)
	must(h.t, err)
	v, _ := integration.LookupAttr(obj.TokenAttributes, auth.AttrTokenID)
	id, err := strconv.ParseInt(v, 10, 64)
	must(h.t, err)
	return id, obj.Token
}

// request is a signed chat request to target (a group, or a person with
// toJID).
func (h *harness) request(from, name, subject, target string, toJID bool) url.Values {
	h.t.Helper()
	id, tok := h.token()
	params := map[string]string{"r_fromUserJID": from}
	q := url.Values{"r_fromUserJID": {from}, "guestDisplayName": {name}, "useToken": {"true"}, "s": {subject},
		"siteID": {site}, "tokenID": {strconv.FormatInt(id, 10)}}
	key := "r_groupJID"
	if toJID {
		key = "r_toJID"
	}
	q.Set(key, target)
	params[key] = target
	q.Set("tokenDigest", auth.TokenDigest(id, tok, params))
	return q
}

// guest is a visitor in the chat page: admitted, logged in, present.
type guest struct {
	bare string
	sess *fakeSession
	ctx  GuestContext
}

func (h *harness) guest(from, name, subject, target string) *guest {
	h.t.Helper()
	r, err := ParseRequest(h.request(from, name, subject, target, !strings.Contains(target, "@groups.")))
	must(h.t, err)
	adm, err := h.svc.Admit(h.ctx, r, netip.MustParseAddr("192.0.2.1"))
	must(h.t, err)
	g := &guest{bare: adm.Session.Context.Guest, ctx: adm.Session.Context}
	g.sess = newFakeSession(g.bare + "/web")
	h.sessions.put(g.bare, router.Resource{Session: g.sess})
	h.svc.GuestStarted(g.sess)
	h.svc.GuestStanza(h.ctx, g.sess, xml.NewElement(ns.Client, "presence", xml.Attr{Name: "to", Value: g.ctx.Target}))
	h.sync()
	return g
}

// say sends a guest's chat message (body, and a chat state if given).
func (h *harness) say(g *guest, body, state string) {
	h.t.Helper()
	m := xml.NewElement(ns.Client, "message", xml.Attr{Name: "to", Value: g.ctx.Target}, xml.Attr{Name: "type", Value: "chat"})
	if body != "" {
		m.AddChild(xml.NewElement(ns.Client, "body").SetText(body))
	}
	if state != "" {
		m.AddChild(xml.NewElement(ns.ChatStates, state))
	}
	h.svc.GuestStanza(h.ctx, g.sess, m)
	h.sync()
}

// reply sends an agent's message to a guest (as the router hands it to
// the component: from the agent's full JID).
func (h *harness) reply(agent string, g *guest, body, state string) {
	h.t.Helper()
	m := xml.NewElement(ns.Client, "message", xml.Attr{Name: "from", Value: agent + "/desk"}, xml.Attr{Name: "to", Value: g.bare},
		xml.Attr{Name: "type", Value: "chat"})
	if body != "" {
		m.AddChild(xml.NewElement(ns.Client, "body").SetText(body))
	}
	if state != "" {
		m.AddChild(xml.NewElement(ns.ChatStates, state))
	}
	h.svc.Receive(h.ctx, m)
	h.sync()
}

// toGroup sends a user's message to a group's JID.
func (h *harness) toGroup(user, group, body string) {
	h.t.Helper()
	h.svc.Receive(h.ctx, xml.NewElement(ns.Client, "message", xml.Attr{Name: "from", Value: user + "/desk"},
		xml.Attr{Name: "to", Value: group}, xml.Attr{Name: "type", Value: "chat"}).AddChild(xml.NewElement(ns.Client, "body").SetText(body)))
	h.sync()
}

func body(el *xml.Element) string {
	if b := el.Child("", "body"); b != nil {
		return b.Text
	}
	return ""
}

// expectAgent waits for a message to agent whose body contains text
// (from the guest's JID when from is set) and returns it; messages that
// do not match stay for later expectations.
func (h *harness) expectAgent(agent, from, text string) *xml.Element {
	h.t.Helper()
	match := func(el *xml.Element) bool {
		j, _ := jid.Parse(el.Attr("to"))
		return j.Bare().String() == agent && (from == "" || el.Attr("from") == from) && strings.Contains(body(el), text)
	}
	for i, el := range h.backlog {
		if match(el) {
			h.backlog = slices.Delete(h.backlog, i, i+1)
			return el
		}
	}
	deadline := time.After(waitTimeout)
	for {
		select {
		case el := <-h.sent:
			if match(el) {
				return el
			}
			h.backlog = append(h.backlog, el)
		case <-deadline:
			h.t.Fatalf("no message to %s from %q containing %q; got %s", agent, from, text, h.describe())
			return nil
		}
	}
}

// nothingTo checks that no message to agent is waiting (after a sync).
func (h *harness) nothingTo(agent string) {
	h.t.Helper()
	h.sync()
	for {
		select {
		case el := <-h.sent:
			h.backlog = append(h.backlog, el)
			continue
		default:
		}
		break
	}
	for _, el := range h.backlog {
		if j, _ := jid.Parse(el.Attr("to")); j.Bare().String() == agent {
			h.t.Fatalf("unexpected message to %s: %s", agent, el)
		}
	}
}

// drop forgets what was sent so far.
func (h *harness) drop() {
	h.sync()
	h.backlog = nil
	for {
		select {
		case <-h.sent:
		default:
			return
		}
	}
}

func (h *harness) describe() string {
	var b strings.Builder
	for _, el := range h.backlog {
		b.WriteString("\n  " + el.String())
	}
	return b.String()
}

// expectGuest waits for a stanza to the guest that match accepts.
func (h *harness) expectGuest(g *guest, what string, match func(*xml.Element) bool) *xml.Element {
	h.t.Helper()
	var seen []string
	deadline := time.After(waitTimeout)
	for {
		select {
		case el := <-g.sess.out:
			if match(el) {
				return el
			}
			seen = append(seen, el.String())
		case <-deadline:
			h.t.Fatalf("guest %s: no %s; got %s", g.bare, what, strings.Join(seen, "\n  "))
			return nil
		}
	}
}

// expectStatus waits for the guest's status element in state.
func (h *harness) expectStatus(g *guest, state string) *xml.Element {
	h.t.Helper()
	el := h.expectGuest(g, "status "+state, func(el *xml.Element) bool {
		st := el.Child(NS, "status")
		return st != nil && st.Attr("state") == state
	})
	return el.Child(NS, "status")
}

// expectChat waits for an agent's message relayed to the guest.
func (h *harness) expectChat(g *guest, text string) *xml.Element {
	h.t.Helper()
	return h.expectGuest(g, fmt.Sprintf("message %q", text), func(el *xml.Element) bool {
		return el.Name == "message" && body(el) == text
	})
}

type xmlElement = xml.Element

func routerResource(s *fakeSession) router.Resource { return router.Resource{Session: s} }
