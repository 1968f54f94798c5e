package auth_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/auth"
)

func TestCreateSessionSite(t *testing.T) {
	f := newFixture(t, nil)
	obj := f.session()
	id := attr(t, obj, auth.AttrTokenID)
	prefix, random, ok := strings.Cut(obj.Token, "_")
	if !ok || prefix != id || len(random) != tokenLen || !isAlnum(random) {
		t.Fatalf("token %q with TOKENID %s: want <TOKENID>_<%d alphanumerics>", obj.Token, id, tokenLen)
	}
	if got, want := attr(t, obj, auth.AttrExpiryTime), "2026-05-01T11:00:00Z"; got != want {
		t.Fatalf("EXPIRY_TIME = %s, want %s (now + token_life, UTC)", got, want)
	}
	if len(obj.TokenAttributes) != 2 {
		t.Fatalf("attributes %+v, want TOKENID and EXPIRY_TIME", obj.TokenAttributes)
	}
	tok := f.resolve(obj.Token)
	if tok.EntityType != auth.EntitySite || tok.EntityID != "12345" || tok.Policy() != "SESSION" || tok.ParentID != 0 || strconv.FormatInt(tok.ID, 10) != id {
		t.Fatalf("resolved %+v", tok)
	}
	// Entity type is case-insensitive; two sessions get different tokens.
	obj2, err := f.svc.CreateSession(f.ctx, "12345", f.siteKey, "site")
	must(t, err)
	if obj2.Token == obj.Token {
		t.Fatal("two sessions share a token")
	}
}

func TestCreateSessionErrors(t *testing.T) {
	f := newFixture(t, nil)
	for _, c := range []struct {
		name, id, secret, typ string
		want                  error
	}{
		{"wrong key", "12345", f.siteKey + "x", "SITE", auth.ErrAuthFailed},
		{"empty key", "12345", "", "SITE", auth.ErrAuthFailed},
		{"unknown site", "99999", f.siteKey, "SITE", auth.ErrAuthFailed},
		{"site key as user", "12345", f.siteKey, "USER", auth.ErrInvalidInput}, // 12345@example.com is no account... but the ID is fine
		{"wrong password", alice, "nope", "USER", auth.ErrAuthFailed},
		{"unknown user", "carol@example.com", alicePw, "USER", auth.ErrAuthFailed},
		{"user as site", alice, alicePw, "SITE", auth.ErrAuthFailed},
		{"bad entity type", "12345", f.siteKey, "GROUP", auth.ErrInvalidInput},
		{"empty entity type", "12345", f.siteKey, "", auth.ErrInvalidInput},
		{"empty site ID", "", f.siteKey, "SITE", auth.ErrInvalidInput},
		{"full JID", alice + "/res", alicePw, "USER", auth.ErrInvalidInput},
	} {
		_, err := f.svc.CreateSession(f.ctx, c.id, c.secret, c.typ)
		if c.name == "site key as user" {
			// "12345" completes to 12345@example.com, which has no account.
			c.want = auth.ErrAuthFailed
		}
		wantErr(t, c.name, err, c.want)
		if err != nil && (strings.Contains(err.Error(), f.siteKey) || strings.Contains(err.Error(), alicePw)) {
			t.Fatalf("%s: error %q shows a secret", c.name, err)
		}
	}
	// A site whose sessions are off.
	_, err := f.svc.UpdateSite(f.ctx, "12345", "", auth.Settings{auth.SettingSession: false})
	must(t, err)
	_, err = f.svc.CreateSession(f.ctx, "12345", f.siteKey, "SITE")
	wantErr(t, "session disabled", err, auth.ErrNotAuthorized)
}

func TestCreateSessionUser(t *testing.T) {
	f := newFixture(t, nil)
	obj := f.userSession(alice, alicePw)
	tok := f.resolve(obj.Token)
	if tok.EntityType != auth.EntityUser || tok.EntityID != alice || !tok.IsUser() || !tok.MayActFor(alice) || tok.MayActFor(bob) {
		t.Fatalf("user token %+v", tok)
	}
	// A local part is completed with the default domain; the JID is normalized.
	obj = f.userSession("alice", alicePw)
	if f.resolve(obj.Token).EntityID != alice {
		t.Fatal("local part not completed")
	}
	obj = f.userSession("Alice@Example.COM", alicePw)
	if got := f.resolve(obj.Token).EntityID; got != alice {
		t.Fatalf("entity %q, want normalized %q", got, alice)
	}
	// Without a default domain, a bare local part is not a user.
	g := newFixture(t, func(o *auth.Options) { o.DefaultDomain = "" })
	_, err := g.svc.CreateSession(g.ctx, "alice", alicePw, "USER")
	wantErr(t, "local part without default domain", err, auth.ErrInvalidInput)
}

func TestRequestTokenWithSession(t *testing.T) {
	f := newFixture(t, nil)
	sess := f.session()
	obj, err := f.request("12345", sess.Token, "PRESENCE")
	must(t, err)
	tok := f.resolve(obj.Token)
	parent := f.resolve(sess.Token)
	if tok.ParentID != parent.ID || tok.Policy() != "PRESENCE" || !tok.HasPolicy(auth.PolicyPresence) || tok.HasPolicy(auth.PolicySession) {
		t.Fatalf("child %+v of %+v", tok, parent)
	}
	if obj.TokenIndex != "" {
		t.Fatalf("TokenIndex %q for a single token", obj.TokenIndex)
	}
	// Combined policies, normalized.
	obj, err = f.request("12345", sess.Token, " session::presence::GUESTCHAT::PRESENCE ")
	must(t, err)
	if got := f.resolve(obj.Token).Policy(); got != "SESSION::PRESENCE::GUESTCHAT" {
		t.Fatalf("policy %q", got)
	}
	// The site key works too, and gives a token without parent.
	obj, err = f.request("12345", f.siteKey, "GUESTCHAT")
	must(t, err)
	if tok := f.resolve(obj.Token); tok.ParentID != 0 || tok.Policy() != "GUESTCHAT" {
		t.Fatalf("token from the key: %+v", tok)
	}
	// So does a user's password.
	obj, err = f.request(alice, alicePw, "PRESENCE")
	must(t, err)
	if tok := f.resolve(obj.Token); tok.EntityID != alice || tok.ParentID != 0 {
		t.Fatalf("token from a password: %+v", tok)
	}
}

func TestRequestTokenErrors(t *testing.T) {
	f := newFixture(t, func(o *auth.Options) { o.UserPolicies = []string{"SESSION", "PRESENCE", "PROXY"} })
	sess := f.session()
	presence, err := f.request("12345", sess.Token, "PRESENCE")
	must(t, err)
	other, _, err := f.svc.CreateSite(f.ctx, "777", "Other", nil)
	must(t, err)
	_ = other
	aliceSess := f.userSession(alice, alicePw)
	proxy := func(v string) integration.AdhocAttribute { return integration.Attr("PROXY_USER", v) }
	for _, c := range []struct {
		name, entity, cred, policy string
		attrs                      []integration.AdhocAttribute
		want                       error
	}{
		{"policy off for the site", "12345", sess.Token, "PROXY::GUESTCHAT", []integration.AdhocAttribute{proxy("guest")}, auth.ErrNotAuthorized},
		{"scheduling off for the site", "12345", sess.Token, "PRECONFERENCE", nil, auth.ErrNotAuthorized},
		{"unknown policy", "12345", sess.Token, "PRESENCE::CHAT", nil, auth.ErrInvalidInput},
		{"empty policy", "12345", sess.Token, "", nil, auth.ErrInvalidInput},
		{"empty part", "12345", sess.Token, "PRESENCE::", nil, auth.ErrInvalidInput},
		{"single colon", "12345", sess.Token, "SESSION:PRESENCE", nil, auth.ErrInvalidInput},
		{"PROXY_USER without PROXY", "12345", sess.Token, "PRESENCE", []integration.AdhocAttribute{proxy("guest")}, auth.ErrInvalidInput},
		{"unknown attribute", "12345", sess.Token, "PRESENCE", []integration.AdhocAttribute{integration.Attr("COLOR", "red")}, auth.ErrInvalidInput},
		{"token of another site", "777", sess.Token, "PRESENCE", nil, auth.ErrNotAuthorized},
		{"token of a site for a user", alice, sess.Token, "PRESENCE", nil, auth.ErrNotAuthorized},
		{"non-SESSION token", "12345", presence.Token, "PRESENCE", nil, auth.ErrNotAuthorized},
		{"tampered token", "12345", sess.Token[:len(sess.Token)-1] + "0", "PRESENCE", nil, auth.ErrInvalidToken},
		{"wrong key", "12345", "not-the-key", "PRESENCE", nil, auth.ErrAuthFailed},
		{"user GUESTCHAT", alice, aliceSess.Token, "GUESTCHAT", nil, auth.ErrNotAuthorized},
		{"user PROXY for another", alice, aliceSess.Token, "PROXY", []integration.AdhocAttribute{proxy(bob)}, auth.ErrNotAuthorized},
		{"user PROXY without PROXY_USER", alice, aliceSess.Token, "PROXY", nil, auth.ErrInvalidInput},
		{"bob with alice's token", bob, aliceSess.Token, "PRESENCE", nil, auth.ErrNotAuthorized},
	} {
		_, err := f.request(c.entity, c.cred, c.policy, c.attrs...)
		wantErr(t, c.name, err, c.want)
	}
	// A user may proxy for themselves when PROXY is among user policies.
	obj, err := f.request(alice, aliceSess.Token, "PROXY", proxy("alice"))
	must(t, err)
	if tok := f.resolve(obj.Token); tok.ProxyUser != "alice" {
		t.Fatalf("proxy user %q", tok.ProxyUser)
	}
	// Empty attributes (as some SOAP clients send) are ignored.
	obj, err = f.request("12345", sess.Token, "PRESENCE", integration.AdhocAttribute{}, integration.AdhocAttribute{Name: "PROXY_USER"}, proxy(""))
	must(t, err)
	if tok := f.resolve(obj.Token); tok.ProxyUser != "" || tok.Policy() != "PRESENCE" {
		t.Fatalf("token with empty attributes %+v", tok)
	}
	// A site with PROXY on gets PROXY_USER recorded.
	_, err = f.svc.UpdateSite(f.ctx, "12345", "", auth.Settings{auth.SettingProxy: true})
	must(t, err)
	obj, err = f.request("12345", sess.Token, "PROXY::GUESTCHAT", proxy("orcladmin"))
	must(t, err)
	if tok := f.resolve(obj.Token); tok.ProxyUser != "orcladmin" || tok.Policy() != "PROXY::GUESTCHAT" {
		t.Fatalf("proxy token %+v", tok)
	}
	_, err = f.request("12345", sess.Token, "PROXY::GUESTCHAT")
	wantErr(t, "PROXY without PROXY_USER", err, auth.ErrInvalidInput)
	// Turning a policy off stops new tokens of it, even on an old session.
	_, err = f.svc.UpdateSite(f.ctx, "12345", "", auth.Settings{auth.SettingPresence: false})
	must(t, err)
	_, err = f.request("12345", sess.Token, "PRESENCE")
	wantErr(t, "presence turned off", err, auth.ErrNotAuthorized)
}

func TestRequestMultipleTokens(t *testing.T) {
	f := newFixture(t, nil)
	_, err := f.svc.UpdateSite(f.ctx, "12345", "", auth.Settings{auth.SettingProxy: true})
	must(t, err)
	sess := f.session()
	props := auth.TokenProperties{TokenPolicy: "PRESENCE"}
	objs, err := f.svc.RequestMultipleTokens(f.ctx, "12345", sess.Token, props, []auth.PolicyObject{
		{},
		{PolicyArray: []integration.AdhocAttribute{integration.Attr("TOKEN_POLICY", "GUESTCHAT")}},
		{PolicyArray: []integration.AdhocAttribute{integration.Attr("token_policy", "PROXY::GUESTCHAT"), integration.Attr("PROXY_USER", "guest_7")}},
	})
	must(t, err)
	if len(objs) != 3 {
		t.Fatalf("%d tokens, want 3", len(objs))
	}
	want := []struct{ policy, proxy string }{{"PRESENCE", ""}, {"GUESTCHAT", ""}, {"PROXY::GUESTCHAT", "guest_7"}}
	parent := f.resolve(sess.Token)
	seen := map[string]bool{}
	for i, obj := range objs {
		tok := f.resolve(obj.Token)
		if obj.TokenIndex != fmt.Sprint(i) || tok.Policy() != want[i].policy || tok.ProxyUser != want[i].proxy || tok.ParentID != parent.ID || seen[obj.Token] {
			t.Fatalf("token %d: index %q %+v, want %+v", i, obj.TokenIndex, tok, want[i])
		}
		seen[obj.Token] = true
	}

	count := func() int {
		n, err := f.svc.CountTokens(f.ctx, auth.EntitySite, "12345")
		must(t, err)
		return n
	}
	before := count()
	// One bad object: nothing is issued.
	_, err = f.svc.RequestMultipleTokens(f.ctx, "12345", sess.Token, props, []auth.PolicyObject{
		{}, {PolicyArray: []integration.AdhocAttribute{integration.Attr("TOKEN_POLICY", "REPORTING")}},
	})
	wantErr(t, "one unauthorized policy", err, auth.ErrNotAuthorized)
	_, err = f.svc.RequestMultipleTokens(f.ctx, "12345", sess.Token, props, []auth.PolicyObject{
		{}, {PolicyArray: []integration.AdhocAttribute{integration.Attr("SHAPE", "round")}},
	})
	wantErr(t, "unknown policy attribute", err, auth.ErrInvalidInput)
	_, err = f.svc.RequestMultipleTokens(f.ctx, "12345", sess.Token, props, make([]auth.PolicyObject, 6))
	wantErr(t, "over max_request_size", err, auth.ErrRequestSizeExceeded)
	_, err = f.svc.RequestMultipleTokens(f.ctx, "12345", sess.Token, props, nil)
	wantErr(t, "no policy objects", err, auth.ErrInvalidInput)
	_, err = f.svc.RequestMultipleTokens(f.ctx, "12345", "wrong", props, []auth.PolicyObject{{}})
	wantErr(t, "bad credential", err, auth.ErrAuthFailed)
	if after := count(); after != before {
		t.Fatalf("failed requests issued tokens: %d -> %d", before, after)
	}
	objs, err = f.svc.RequestMultipleTokens(f.ctx, "12345", f.siteKey, props, make([]auth.PolicyObject, 5))
	must(t, err)
	if len(objs) != 5 {
		t.Fatalf("%d tokens at max_request_size", len(objs))
	}
}

func TestRequestTokenForCredentials(t *testing.T) {
	f := newFixture(t, nil)
	sess := f.session()
	aliceSess := f.userSession(alice, alicePw)
	props := auth.TokenProperties{TokenPolicy: "PRESENCE"}
	for _, c := range []struct {
		name string
		cred auth.CredentialObject
		want string // entity of the token, or "" for an error
		err  error
	}{
		{"site token", auth.CredentialObject{CredentialType: "TOKEN", EntityType: "SITE", EntityCredential: sess.Token, EntityID: "12345"}, "12345", nil},
		{"site key", auth.CredentialObject{CredentialType: "PASSWORD", EntityType: "SITE", EntityCredential: f.siteKey, EntityID: "12345"}, "12345", nil},
		{"user password", auth.CredentialObject{CredentialType: "password", EntityType: "user", EntityCredential: alicePw, EntityID: alice}, alice, nil},
		{"user token", auth.CredentialObject{CredentialType: "TOKEN", EntityType: "USER", EntityCredential: aliceSess.Token, EntityID: alice}, alice, nil},
		{"key as token", auth.CredentialObject{CredentialType: "TOKEN", EntityType: "SITE", EntityCredential: f.siteKey, EntityID: "12345"}, "", auth.ErrInvalidToken},
		{"token as password", auth.CredentialObject{CredentialType: "PASSWORD", EntityType: "SITE", EntityCredential: sess.Token, EntityID: "12345"}, "", auth.ErrAuthFailed},
		{"site token as user", auth.CredentialObject{CredentialType: "TOKEN", EntityType: "USER", EntityCredential: sess.Token, EntityID: "12345"}, "", auth.ErrNotAuthorized},
		{"wrong password", auth.CredentialObject{CredentialType: "PASSWORD", EntityType: "USER", EntityCredential: "x", EntityID: alice}, "", auth.ErrAuthFailed},
		{"bad credential type", auth.CredentialObject{CredentialType: "CERT", EntityType: "SITE", EntityCredential: f.siteKey, EntityID: "12345"}, "", auth.ErrInvalidInput},
		{"bad entity type", auth.CredentialObject{CredentialType: "PASSWORD", EntityType: "ROBOT", EntityCredential: f.siteKey, EntityID: "12345"}, "", auth.ErrInvalidInput},
	} {
		obj, err := f.svc.RequestTokenForCredentials(f.ctx, c.cred, props, nil)
		if c.err != nil {
			wantErr(t, c.name, err, c.err)
			continue
		}
		must(t, err)
		if tok := f.resolve(obj.Token); tok.EntityID != c.want || tok.Policy() != "PRESENCE" {
			t.Fatalf("%s: token %+v", c.name, tok)
		}
	}
	// The PolicyObject applies as in requestToken.
	obj, err := f.svc.RequestTokenForCredentials(f.ctx, auth.CredentialObject{CredentialType: "TOKEN", EntityType: "SITE", EntityCredential: sess.Token, EntityID: "12345"},
		props, &auth.PolicyObject{PolicyArray: []integration.AdhocAttribute{integration.Attr("TOKEN_POLICY", "GUESTCHAT")}})
	must(t, err)
	if f.resolve(obj.Token).Policy() != "GUESTCHAT" {
		t.Fatal("PolicyObject's TOKEN_POLICY ignored")
	}
}

// TestEndSessionCascade: ending a token ends everything derived from it,
// transitively, and nothing else.
func TestEndSessionCascade(t *testing.T) {
	f := newFixture(t, nil)
	sess := f.session()
	other := f.session()
	child, err := f.request("12345", sess.Token, "SESSION::PRESENCE")
	must(t, err)
	grandchild, err := f.request("12345", child.Token, "GUESTCHAT")
	must(t, err)
	sibling, err := f.request("12345", sess.Token, "PRESENCE")
	must(t, err)
	fromKey, err := f.request("12345", f.siteKey, "PRESENCE")
	must(t, err)

	_, err = f.svc.EndSession(f.ctx, "777", child.Token)
	wantErr(t, "end another site's token", err, auth.ErrNotAuthorized)
	_, err = f.svc.EndSession(f.ctx, alice, child.Token)
	wantErr(t, "end a site's token as a user", err, auth.ErrNotAuthorized)
	if !f.live(child.Token) {
		t.Fatal("a refused endSession ended the token")
	}

	ended, err := f.svc.EndSession(f.ctx, "12345", child.Token)
	must(t, err)
	if ended.Token != child.Token || attr(t, ended, auth.AttrTokenID) != attr(t, child, auth.AttrTokenID) {
		t.Fatalf("endSession returned %+v, want the ended token", ended)
	}
	if f.live(child.Token) || f.live(grandchild.Token) {
		t.Fatal("child or grandchild survived endSession(child)")
	}
	if !f.live(sess.Token) || !f.live(sibling.Token) || !f.live(other.Token) || !f.live(fromKey.Token) {
		t.Fatal("endSession(child) ended a parent, sibling or unrelated token")
	}
	_, err = f.svc.EndSession(f.ctx, "12345", child.Token)
	wantErr(t, "end an ended token", err, auth.ErrInvalidToken)
	_, err = f.request("12345", child.Token, "PRESENCE")
	wantErr(t, "derive from an ended token", err, auth.ErrInvalidToken)

	_, err = f.svc.EndSession(f.ctx, "12345", sess.Token)
	must(t, err)
	if f.live(sess.Token) || f.live(sibling.Token) {
		t.Fatal("session or its child survived endSession(session)")
	}
	if !f.live(other.Token) || !f.live(fromKey.Token) {
		t.Fatal("endSession(session) ended an unrelated token")
	}
	// Users end their own sessions.
	us := f.userSession(alice, alicePw)
	_, err = f.svc.EndSession(f.ctx, bob, us.Token)
	wantErr(t, "bob ends alice's session", err, auth.ErrNotAuthorized)
	_, err = f.svc.EndSession(f.ctx, "alice", us.Token)
	must(t, err)
	if f.live(us.Token) {
		t.Fatal("user session survived")
	}
}

func TestGetTokenStatus(t *testing.T) {
	f := newFixture(t, nil)
	sess := f.session()
	obj, err := f.request("12345", sess.Token, "SESSION::PRESENCE")
	must(t, err)
	st, err := f.svc.GetTokenStatus(f.ctx, "12345", obj.Token)
	must(t, err)
	if attr(t, st, auth.AttrStatus) != "VALID" || attr(t, st, auth.AttrPolicy) != "SESSION::PRESENCE" ||
		attr(t, st, auth.AttrTokenID) != attr(t, obj, auth.AttrTokenID) || attr(t, st, auth.AttrExpiryTime) != attr(t, obj, auth.AttrExpiryTime) || st.Token != obj.Token {
		t.Fatalf("status of a live token: %+v", st)
	}
	_, err = f.svc.GetTokenStatus(f.ctx, "777", obj.Token)
	wantErr(t, "status of another site's token", err, auth.ErrNotAuthorized)

	_, err = f.svc.EndSession(f.ctx, "12345", sess.Token)
	must(t, err)
	st, err = f.svc.GetTokenStatus(f.ctx, "12345", obj.Token)
	must(t, err)
	if attr(t, st, auth.AttrStatus) != "INVALID" || attr(t, st, auth.AttrTokenID) != attr(t, obj, auth.AttrTokenID) {
		t.Fatalf("status of an ended token: %+v", st)
	}
	for _, bad := range []string{"", "garbage", "_abc", "12_", "-5_abcdefabcdefabcdefabcdefabcdefabcdef", "007_" + strings.Repeat("a", 40)} {
		st, err = f.svc.GetTokenStatus(f.ctx, "12345", bad)
		must(t, err)
		if attr(t, st, auth.AttrStatus) != "INVALID" {
			t.Fatalf("status of %q: %+v", bad, st)
		}
		for _, a := range st.TokenAttributes {
			if a.Name == auth.AttrTokenID {
				t.Fatalf("status of malformed %q has a TOKENID", bad)
			}
		}
	}
}

// TestExpiry: tokens die at EXPIRY_TIME (injected clock), children no
// later than their parent, and Purge removes them.
func TestExpiry(t *testing.T) {
	f := newFixture(t, nil)
	sess := f.session()
	f.clock.Advance(40 * time.Minute)
	child, err := f.request("12345", sess.Token, "PRESENCE")
	must(t, err)
	if got := attr(t, child, auth.AttrExpiryTime); got != attr(t, sess, auth.AttrExpiryTime) {
		t.Fatalf("child expires %s, after its parent (%s)", got, attr(t, sess, auth.AttrExpiryTime))
	}
	fresh, err := f.request("12345", f.siteKey, "PRESENCE") // no parent: a full life
	must(t, err)
	if got := attr(t, fresh, auth.AttrExpiryTime); got != "2026-05-01T11:40:00Z" {
		t.Fatalf("token from the key expires %s", got)
	}
	id, err := strconv.ParseInt(attr(t, child, auth.AttrTokenID), 10, 64)
	must(t, err)

	f.clock.Advance(20*time.Minute - time.Millisecond)
	if !f.live(sess.Token) || !f.live(child.Token) {
		t.Fatal("tokens dead before their expiry")
	}
	if _, err := f.svc.ByID(f.ctx, id); err != nil {
		t.Fatalf("ByID before expiry: %v", err)
	}
	n, err := f.svc.Purge(f.ctx)
	must(t, err)
	if n != 0 {
		t.Fatalf("Purge before expiry removed %d", n)
	}
	f.clock.Advance(time.Millisecond)
	if f.live(sess.Token) || f.live(child.Token) {
		t.Fatal("tokens live at their expiry")
	}
	_, err = f.svc.ByID(f.ctx, id)
	wantErr(t, "ByID after expiry", err, auth.ErrInvalidToken)
	_, err = f.request("12345", sess.Token, "PRESENCE")
	wantErr(t, "derive from an expired session", err, auth.ErrInvalidToken)
	st, err := f.svc.GetTokenStatus(f.ctx, "12345", sess.Token)
	must(t, err)
	if attr(t, st, auth.AttrStatus) != "INVALID" {
		t.Fatal("expired token VALID")
	}
	if !f.live(fresh.Token) {
		t.Fatal("unrelated token died")
	}
	n, err = f.svc.Purge(f.ctx)
	must(t, err)
	if n != 2 {
		t.Fatalf("Purge removed %d, want 2", n)
	}
	count, err := f.svc.CountTokens(f.ctx, auth.EntitySite, "12345")
	must(t, err)
	if count != 1 {
		t.Fatalf("%d tokens left, want 1", count)
	}
}

func TestByID(t *testing.T) {
	f := newFixture(t, nil)
	obj, err := f.request("12345", f.siteKey, "PRESENCE")
	must(t, err)
	id, err := strconv.ParseInt(attr(t, obj, auth.AttrTokenID), 10, 64)
	must(t, err)
	tok, err := f.svc.ByID(f.ctx, id)
	must(t, err)
	if tok.Value != obj.Token || !tok.HasPolicy(auth.PolicyPresence) {
		t.Fatalf("ByID = %+v", tok)
	}
	_, err = f.svc.ByID(f.ctx, id+1000)
	wantErr(t, "ByID of an unknown id", err, auth.ErrInvalidToken)
}

func TestResolveRejects(t *testing.T) {
	f := newFixture(t, nil)
	obj := f.session()
	id, random, _ := strings.Cut(obj.Token, "_")
	n, _ := strconv.Atoi(id)
	flip := []byte(random)
	flip[5] ^= 1
	for _, bad := range []string{
		id + "_" + string(flip),
		id + "_" + random[:len(random)-1],
		id + "_" + random + "x",
		fmt.Sprint(n+1) + "_" + random,
		"0" + id + "_" + random,
		id + random,
		"_" + random,
		"",
		strings.Repeat("9", 30) + "_" + random,
	} {
		if f.live(bad) {
			t.Fatalf("Resolve accepted %q", bad)
		}
	}
	if !f.live(" " + obj.Token + "\n") {
		t.Fatal("surrounding white space rejected")
	}
}

func TestParsePolicy(t *testing.T) {
	got, err := auth.ParsePolicy("session::Presence::PROXY::reporting::PRECONFERENCE::POSTCONFERENCE::GUESTCHAT")
	must(t, err)
	if strings.Join(got, ",") != "SESSION,PRESENCE,PROXY,REPORTING,PRECONFERENCE,POSTCONFERENCE,GUESTCHAT" {
		t.Fatalf("ParsePolicy = %v", got)
	}
	for _, bad := range []string{"", "  ", "::", "PRESENCE::", "PRESENCE,GUESTCHAT", "ADMIN"} {
		if _, err := auth.ParsePolicy(bad); err == nil {
			t.Fatalf("ParsePolicy(%q) accepted", bad)
		}
	}
}
