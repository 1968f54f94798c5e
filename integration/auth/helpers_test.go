package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/account"
	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/sasl"
)

// clock is an injectable clock: tests move it, nothing sleeps.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	t     *testing.T
	ctx   context.Context
	st    *memory.Store
	clock *clock
	svc   *auth.Service
	// site 12345 with PRESENCE and GUESTCHAT, and its key
	siteID, siteKey string
}

const (
	alice    = "alice@example.com"
	alicePw  = "wonderland"
	bob      = "bob@example.com"
	bobPw    = "builder"
	tokenLen = 40
)

func newFixture(t *testing.T, mod func(*auth.Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), st: memory.New(), clock: newClock()}
	m := &account.Manager{Users: f.st, Iterations: sasl.MinIterations}
	must(t, m.Add(f.ctx, alice, alicePw))
	must(t, m.Add(f.ctx, bob, bobPw))
	o := auth.Options{Store: f.st, TokenLife: time.Hour, MaxRequestSize: 5, DefaultDomain: "example.com", Now: f.clock.Now}
	if mod != nil {
		mod(&o)
	}
	var err error
	f.svc, err = auth.New(o)
	must(t, err)
	site, key, err := f.svc.CreateSite(f.ctx, "12345", "Vision Corp", auth.SettingsForPolicies([]string{auth.PolicyPresence, auth.PolicyGuestChat}))
	must(t, err)
	f.siteID, f.siteKey = site.ID, key
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

// attr returns a TokenObject attribute's value, failing if absent.
func attr(t *testing.T, obj auth.TokenObject, name string) string {
	t.Helper()
	for _, a := range obj.TokenAttributes {
		if a.Name == name {
			if a.Value == nil {
				t.Fatalf("attribute %s is null", name)
			}
			return *a.Value
		}
	}
	t.Fatalf("no attribute %s in %+v", name, obj.TokenAttributes)
	return ""
}

func (f *fixture) session() auth.TokenObject {
	f.t.Helper()
	obj, err := f.svc.CreateSession(f.ctx, f.siteID, f.siteKey, "SITE")
	must(f.t, err)
	return obj
}

func (f *fixture) userSession(jid, pw string) auth.TokenObject {
	f.t.Helper()
	obj, err := f.svc.CreateSession(f.ctx, jid, pw, "USER")
	must(f.t, err)
	return obj
}

func (f *fixture) request(entity, cred, policy string, attrs ...integration.AdhocAttribute) (auth.TokenObject, error) {
	return f.svc.RequestToken(f.ctx, entity, cred, auth.TokenProperties{TokenPolicy: policy, TokenAttributes: attrs}, nil)
}

func (f *fixture) live(token string) bool {
	_, err := f.svc.Resolve(f.ctx, token)
	if err != nil && !errors.Is(err, auth.ErrInvalidToken) {
		f.t.Fatalf("Resolve: %v", err)
	}
	return err == nil
}

func (f *fixture) resolve(token string) auth.Token {
	f.t.Helper()
	tok, err := f.svc.Resolve(f.ctx, token)
	must(f.t, err)
	return tok
}

// waitFor polls cond until it holds or a deadline passes (waiting on an
// event, not sleeping for a duration that is assumed to be enough).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func isAlnum(s string) bool {
	return strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == ""
}
