package auth_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/account"
	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/store/sqlite"
	"github.com/parley-im/parley/xmpp/sasl"
)

func TestSiteManagement(t *testing.T) {
	f := newFixture(t, nil)
	site, err := f.svc.Site(f.ctx, "12345")
	must(t, err)
	want := map[string]bool{"auth_presence_enabled": true, "auth_chat_enabled": true, "guest_user_access_enabled": true,
		"auth_session_enabled": true, "auth_proxy_enabled": false, "scheduling_access_enabled": false, "conference_key_required": false}
	for n, v := range want {
		if site.Settings[n] != v {
			t.Fatalf("setting %s = %v, want %v (settings %v)", n, site.Settings[n], v, site.Settings)
		}
	}
	if len(site.Settings) != len(auth.SettingNames) || site.Name != "Vision Corp" {
		t.Fatalf("site %+v", site)
	}
	if len(f.siteKey) != 43 || !isAlnum(f.siteKey) {
		t.Fatalf("key %q: want 43 letters and digits", f.siteKey)
	}

	// A generated ID is numeric, and the key differs per site.
	gen, key, err := f.svc.CreateSite(f.ctx, "", "Generated", nil)
	must(t, err)
	if len(gen.ID) != 9 || strings.Trim(gen.ID, "0123456789") != "" || key == f.siteKey {
		t.Fatalf("generated site %+v", gen)
	}
	if !gen.Settings[auth.SettingSession] || gen.Settings[auth.SettingPresence] {
		t.Fatalf("default settings %v", gen.Settings)
	}
	_, _, err = f.svc.CreateSite(f.ctx, "12345", "dup", nil)
	wantErr(t, "duplicate ID", err, auth.ErrSiteExists)
	for _, bad := range []string{"a@b", "has space", strings.Repeat("x", 65), "a/b"} {
		_, _, err = f.svc.CreateSite(f.ctx, bad, "bad", nil)
		wantErr(t, "site ID "+bad, err, auth.ErrInvalidInput)
	}
	_, _, err = f.svc.CreateSite(f.ctx, "x1", "bad", auth.Settings{"auth_fly_enabled": true})
	wantErr(t, "unknown setting", err, auth.ErrInvalidInput)

	sites, err := f.svc.ListSites(f.ctx)
	must(t, err)
	if len(sites) != 2 || sites[0].ID > sites[1].ID || (sites[0].ID != "12345" && sites[1].ID != "12345") {
		t.Fatalf("ListSites = %+v, want both sites sorted by ID", sites)
	}

	upd, err := f.svc.UpdateSite(f.ctx, "12345", "Vision", auth.Settings{auth.SettingScheduling: true, auth.SettingChat: false})
	must(t, err)
	if upd.Name != "Vision" || !upd.Settings[auth.SettingScheduling] || upd.Settings[auth.SettingChat] || !upd.Settings[auth.SettingPresence] {
		t.Fatalf("updated %+v", upd)
	}
	_, err = f.svc.UpdateSite(f.ctx, "12345", "", auth.Settings{"nope": true})
	wantErr(t, "update unknown setting", err, auth.ErrInvalidInput)
	_, err = f.svc.UpdateSite(f.ctx, "404", "x", nil)
	wantErr(t, "update unknown site", err, auth.ErrSiteNotFound)
	_, err = f.svc.Site(f.ctx, "404")
	wantErr(t, "show unknown site", err, auth.ErrSiteNotFound)
	_, err = f.svc.RotateKey(f.ctx, "404")
	wantErr(t, "rotate unknown site", err, auth.ErrSiteNotFound)
	wantErr(t, "delete unknown site", f.svc.DeleteSite(f.ctx, "404"), auth.ErrSiteNotFound)
}

func TestRotateKey(t *testing.T) {
	f := newFixture(t, nil)
	sess := f.session()
	newKey, err := f.svc.RotateKey(f.ctx, "12345")
	must(t, err)
	if newKey == f.siteKey {
		t.Fatal("same key")
	}
	_, err = f.svc.CreateSession(f.ctx, "12345", f.siteKey, "SITE")
	wantErr(t, "old key", err, auth.ErrAuthFailed)
	if f.live(sess.Token) {
		t.Fatal("a session of the old key survived rotation")
	}
	_, err = f.svc.CreateSession(f.ctx, "12345", newKey, "SITE")
	must(t, err)
}

func TestDeleteEndsTokens(t *testing.T) {
	f := newFixture(t, nil)
	sess := f.session()
	child, err := f.request("12345", sess.Token, "PRESENCE")
	must(t, err)
	us := f.userSession(alice, alicePw)
	must(t, f.svc.DeleteSite(f.ctx, "12345"))
	if f.live(sess.Token) || f.live(child.Token) {
		t.Fatal("tokens of a deleted site live on")
	}
	_, err = f.svc.CreateSession(f.ctx, "12345", f.siteKey, "SITE")
	wantErr(t, "session of a deleted site", err, auth.ErrAuthFailed)
	if !f.live(us.Token) {
		t.Fatal("a user's token died with a site")
	}
	m := &account.Manager{Users: f.st}
	must(t, m.Remove(f.ctx, alice))
	if f.live(us.Token) {
		t.Fatal("token of a deleted user lives on")
	}
}

// TestFailureLimit: after too many failures for an ID, even the right
// key is refused until the limiter refills (injected clock).
func TestFailureLimit(t *testing.T) {
	f := newFixture(t, func(o *auth.Options) { o.FailuresPerMinute = 3 })
	for range 3 {
		_, err := f.svc.CreateSession(f.ctx, "12345", "wrong", "SITE")
		wantErr(t, "wrong key", err, auth.ErrAuthFailed)
	}
	_, err := f.svc.CreateSession(f.ctx, "12345", f.siteKey, "SITE")
	wantErr(t, "right key while limited", err, auth.ErrAuthFailed)
	// Other IDs are not affected.
	f.userSession(alice, alicePw)
	f.clock.Advance(20 * time.Second) // one failure's worth at 3/minute
	f.session()
}

// TestRunPurges: the background loop purges expired tokens, and Stop
// ends it.
func TestRunPurges(t *testing.T) {
	f := newFixture(t, func(o *auth.Options) { o.PurgeInterval = time.Millisecond })
	f.session()
	must(t, f.svc.Start(f.ctx))
	defer f.svc.Stop(f.ctx)
	count := func() int {
		n, err := f.svc.CountTokens(f.ctx, auth.EntitySite, "12345")
		must(t, err)
		return n
	}
	if count() != 1 {
		t.Fatal("no token")
	}
	f.clock.Advance(time.Hour)
	waitFor(t, "the purge loop to remove the expired token", func() bool { return count() == 0 })
	ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
	defer cancel()
	must(t, f.svc.Stop(ctx))
	must(t, f.svc.Stop(ctx)) // idempotent
}

// TestTokensSurviveRestart: with the sqlite store, a token issued before
// the store is closed resolves after it is opened again.
func TestTokensSurviveRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "parley.db")
	c := newClock()
	open := func() (*sqlite.Store, *auth.Service) {
		st, err := sqlite.Open(ctx, path)
		must(t, err)
		svc, err := auth.New(auth.Options{Store: st, Now: c.Now})
		must(t, err)
		return st, svc
	}
	st, svc := open()
	must(t, (&account.Manager{Users: st, Iterations: sasl.MinIterations}).Add(ctx, alice, alicePw))
	_, key, err := svc.CreateSite(ctx, "12345", "Vision", auth.SettingsForPolicies([]string{auth.PolicyPresence}))
	must(t, err)
	sess, err := svc.CreateSession(ctx, "12345", key, "SITE")
	must(t, err)
	child, err := svc.RequestToken(ctx, "12345", sess.Token, auth.TokenProperties{TokenPolicy: "PRESENCE"}, nil)
	must(t, err)
	us, err := svc.CreateSession(ctx, alice, alicePw, "USER")
	must(t, err)
	must(t, st.Close())

	st, svc = open()
	defer st.Close()
	for _, tok := range []string{sess.Token, child.Token, us.Token} {
		if _, err := svc.Resolve(ctx, tok); err != nil {
			t.Fatalf("token %s after restart: %v", tok, err)
		}
	}
	if _, err := svc.CreateSession(ctx, "12345", key, "SITE"); err != nil {
		t.Fatalf("site key after restart: %v", err)
	}
	// Cascades work on the reopened file too.
	if _, err := svc.EndSession(ctx, "12345", sess.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Resolve(ctx, child.Token); err == nil {
		t.Fatal("child survived endSession after restart")
	}
	must(t, (&account.Manager{Users: st}).Remove(ctx, alice))
	if _, err := svc.Resolve(ctx, us.Token); err == nil {
		t.Fatal("user token survived the user's deletion (sqlite)")
	}
}
