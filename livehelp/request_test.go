package livehelp

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/store"
)

// seedDigest computes a tokenDigest the way the seed's Java code does
// (chapter 4, "Compute the Request Hash Key"), written out here
// independently of integration/auth.
func seedDigest(tokenID int64, token string, params map[string]string) string {
	var names []string
	for _, n := range []string{"r_fromUserJID", "r_toJID", "r_groupJID"} {
		if params[n] != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	attrs := ""
	for _, n := range names {
		attrs += "<" + n + "><" + params[n] + ">"
	}
	sum := md5.Sum([]byte("<token><" + token + ">" + attrs))
	javaDigest := strings.ToUpper(hex.EncodeToString(sum[:]))
	return strings.ToUpper(hex.EncodeToString([]byte(strconv.FormatInt(tokenID, 10) + "_<digest><" + javaDigest + ">" + attrs)))
}

// TestSeedDigestVector: the independent computation gives the vector of
// SPEC-NOTES (the seed's example, digest starting with the hex of
// "1000640_<digest><"), so the requests below are signed as a site
// following the seed would sign them.
func TestSeedDigestVector(t *testing.T) {
	got := seedDigest(1000640, "1000640_QAHnRTN3L8E1DVEHL3UFKYuxHcW8ce7p",
		map[string]string{"r_fromUserJID": "guest_user02@sites.oracle.com", "r_groupJID": "otn.support1@groups.domain.com"})
	const want = "313030303634305F3C6469676573743E3C34324442463741443142383846364133424335353544363844393841304530313E3C725F66726F6D557365724A49443E3C67756573745F7573657230324073697465732E6F7261636C652E636F6D3E3C725F67726F75704A49443E3C6F746E2E737570706F7274314067726F7570732E646F6D61696E2E636F6D3E"
	if got != want {
		t.Fatalf("seed vector:\n got %s\nwant %s", got, want)
	}
	// The seed's example URL parses (its digest is illustrative).
	q, err := url.ParseQuery("r_groupJID=otn.support1@groups.domain.com&useToken=true&r_fromUserJID=guest_user02@sites.domain.com&tokenDigest=313030303634305F3C6469676573743E3C313636363144303035393031303035&tokenID=1000640&s=Hello&siteID=12345")
	must(t, err)
	r, err := ParseRequest(q)
	if err != nil || r.TokenID != 1000640 || r.GroupJID != "otn.support1@groups.domain.com" || r.Subject != "Hello" || r.SiteID != "12345" {
		t.Fatalf("seed URL: %+v %v", r, err)
	}
}

// TestAdmit: a request signed as the seed says is admitted once; a bad
// digest, a changed parameter, an expired or ended token, a token of
// another policy or site, a site without guest chat, a target that is
// not the site's, and a replay are refused with the right error.
func TestAdmit(t *testing.T) {
	h := newHarness(t, nil)
	addr := netip.MustParseAddr("192.0.2.7")
	sign := func(q url.Values, id int64, tok string) url.Values {
		params := map[string]string{"r_fromUserJID": q.Get("r_fromUserJID"), "r_groupJID": q.Get("r_groupJID"), "r_toJID": q.Get("r_toJID")}
		q.Set("tokenID", strconv.FormatInt(id, 10))
		q.Set("tokenDigest", seedDigest(id, tok, params))
		return q
	}
	admit := func(q url.Values) (Admission, error) {
		r, err := ParseRequest(q)
		if err != nil {
			return Admission{}, err
		}
		return h.svc.Admit(h.ctx, r, addr)
	}
	base := func() url.Values {
		return url.Values{"r_fromUserJID": {"guest_user_12345@sites.example.com"}, "guestDisplayName": {"OTN Guest"},
			"useToken": {"true"}, "r_groupJID": {support}, "s": {"Pricing on OCS"}, "siteID": {site}}
	}
	id, tok := h.token()
	adm, err := admit(sign(base(), id, tok))
	must(t, err)
	c := adm.Session.Context
	if !strings.HasSuffix(c.Guest, "@guest.example.com") || c.Target != support || !c.IsGroup || c.DisplayName != "OTN Guest" ||
		c.Subject != "Pricing on OCS" || c.SiteID != site || c.TargetName != "Support" || len(adm.Cookie) < 40 {
		t.Fatalf("admission %+v cookie %q", c, adm.Cookie)
	}
	if gs, ok := h.svc.Session(adm.Cookie); !ok || gs.Context != c {
		t.Fatalf("the cookie does not open the session")
	}

	// The same request again is a replay; so is one with the digest in
	// lower case.
	_, err = admit(sign(base(), id, tok))
	wantErr(t, "replay", err, ErrReplayed)
	q := sign(base(), id, tok)
	q.Set("tokenDigest", strings.ToLower(q.Get("tokenDigest")))
	_, err = admit(q)
	wantErr(t, "replay in lower case", err, ErrReplayed)

	// The same visitor with a fresh token is the same guest.
	id2, tok2 := h.token()
	again, err := admit(sign(base(), id2, tok2))
	must(t, err)
	if again.Session.Context.Guest != c.Guest {
		t.Fatalf("second visit: guest %s, first %s", again.Session.Context.Guest, c.Guest)
	}

	// refused changes a signed request; signedRefused signs a changed one.
	refused := func(name string, mod func(q url.Values), want error) {
		t.Helper()
		id, tok := h.token()
		q := sign(base(), id, tok)
		mod(q)
		_, err := admit(q)
		wantErr(t, name, err, want)
	}
	signedRefused := func(name string, mod func(q url.Values), want error) {
		t.Helper()
		id, tok := h.token()
		q := base()
		mod(q)
		_, err := admit(sign(q, id, tok))
		wantErr(t, name, err, want)
	}
	refused("bad digest", func(q url.Values) { d := q.Get("tokenDigest"); q.Set("tokenDigest", d[:len(d)-2]+"00") }, ErrRefused)
	refused("changed visitor", func(q url.Values) { q.Set("r_fromUserJID", "someone.else@sites.example.com") }, ErrRefused)
	refused("changed group", func(q url.Values) { q.Set("r_groupJID", sales) }, ErrRefused)
	refused("unknown token ID", func(q url.Values) { q.Set("tokenID", "999999") }, ErrRefused)
	refused("another site's ID", func(q url.Values) { q.Set("siteID", "777") }, ErrRefused)
	// Parameters outside the digest may change (the seed signs only three).
	id3, tok3 := h.token()
	q = sign(base(), id3, tok3)
	q.Set("s", "another subject")
	if _, err := admit(q); err != nil {
		t.Fatalf("subject changed: %v", err)
	}

	// A PRESENCE token does not start chats.
	sess, err := h.auth.CreateSession(h.ctx, site, h.siteKey, "SITE")
	must(t, err)
	pres, err := h.auth.RequestToken(h.ctx, site, sess.Token, auth.TokenProperties{TokenPolicy: "PRESENCE"}, nil)
	must(t, err)
	pv, _ := integration.LookupAttr(pres.TokenAttributes, auth.AttrTokenID)
	pid, _ := strconv.ParseInt(pv, 10, 64)
	_, err = admit(sign(base(), pid, pres.Token))
	wantErr(t, "PRESENCE token", err, ErrRefused)

	// Expired and ended tokens.
	id4, tok4 := h.token()
	h.clock.Advance(2 * time.Hour)
	_, err = admit(sign(base(), id4, tok4))
	wantErr(t, "expired token", err, ErrRefused)
	id5, tok5 := h.token()
	_, err = h.auth.EndSession(h.ctx, site, tok5)
	must(t, err)
	_, err = admit(sign(base(), id5, tok5))
	wantErr(t, "ended token", err, ErrRefused)

	// Targets: a group that is not open to this site, a person who is
	// not an agent, a person who is (r_toJID).
	groups := Groups{Store: h.st, Hosts: []string{domain}}
	_, err = groups.Set(h.ctx, sales, GroupOptions{Sites: &[]string{"777"}})
	must(t, err)
	signedRefused("group of another site", func(q url.Values) { q.Set("r_groupJID", sales) }, ErrNotTarget)
	signedRefused("no such group", func(q url.Values) { q.Set("r_groupJID", "nobody@groups.example.com") }, ErrNotTarget)
	signedRefused("group on a user domain", func(q url.Values) { q.Set("r_groupJID", "support@example.com") }, ErrNotTarget)
	signedRefused("not an agent", func(q url.Values) { q.Del("r_groupJID"); q.Set("r_toJID", dave) }, ErrNotTarget)
	id6, tok6 := h.token()
	q = base()
	q.Del("r_groupJID")
	q.Set("r_toJID", alice)
	adm, err = admit(sign(q, id6, tok6))
	if err != nil || adm.Session.Context.Target != alice || adm.Session.Context.IsGroup {
		t.Fatalf("r_toJID of an agent: %+v %v", adm.Session, err)
	}

	// A site whose guest chat was switched off.
	_, err = h.auth.UpdateSite(h.ctx, site, "", auth.Settings{auth.SettingGuestUserAcces: false})
	must(t, err)
	signedRefused("guest access off", func(url.Values) {}, ErrSiteDisabled)
}

func TestParseRequestMalformed(t *testing.T) {
	good := url.Values{"r_fromUserJID": {"v@sites.example.com"}, "r_groupJID": {support}, "tokenID": {"12"}, "tokenDigest": {"AB12"}}
	if _, err := ParseRequest(good); err != nil {
		t.Fatalf("good request: %v", err)
	}
	for name, mod := range map[string]func(url.Values){
		"no visitor":       func(q url.Values) { q.Del("r_fromUserJID") },
		"visitor not JID":  func(q url.Values) { q.Set("r_fromUserJID", "no jid here") },
		"no target":        func(q url.Values) { q.Del("r_groupJID") },
		"two targets":      func(q url.Values) { q.Set("r_toJID", alice) },
		"full JID target":  func(q url.Values) { q.Set("r_groupJID", support+"/x") },
		"no token ID":      func(q url.Values) { q.Del("tokenID") },
		"bad token ID":     func(q url.Values) { q.Set("tokenID", "-3") },
		"digest not hex":   func(q url.Values) { q.Set("tokenDigest", "XYZW") },
		"odd digest":       func(q url.Values) { q.Set("tokenDigest", "ABC") },
		"repeated param":   func(q url.Values) { q.Add("tokenID", "13") },
		"useToken false":   func(q url.Values) { q.Set("useToken", "false") },
		"control char":     func(q url.Values) { q.Set("s", "a\nb") },
		"long name":        func(q url.Values) { q.Set("guestDisplayName", strings.Repeat("x", 81)) },
		"invalid UTF-8":    func(q url.Values) { q.Set("guestDisplayName", "\xff") },
		"huge digest":      func(q url.Values) { q.Set("tokenDigest", strings.Repeat("AB", 5000)) },
		"very long siteID": func(q url.Values) { q.Set("siteID", strings.Repeat("1", 65)) },
	} {
		q := url.Values{}
		for k, v := range good {
			q[k] = append([]string(nil), v...)
		}
		mod(q)
		if _, err := ParseRequest(q); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
}

// TestAdmitFailureLimit: refused requests from one address are limited.
func TestAdmitFailureLimit(t *testing.T) {
	h := newHarness(t, nil)
	h.svc.failures = newFailureLimiter(3)
	addr := netip.MustParseAddr("198.51.100.9")
	q := h.request("v@sites.example.com", "V", "", support, false)
	q.Set("tokenDigest", "00"+q.Get("tokenDigest")[2:])
	r, err := ParseRequest(q)
	must(t, err)
	for i := range 3 {
		if _, err := h.svc.Admit(h.ctx, r, addr); !errors.Is(err, ErrRefused) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if _, err := h.svc.Admit(h.ctx, r, addr); !errors.Is(err, ErrTooMany) {
		t.Fatalf("after 3 failures: %v, want ErrTooMany", err)
	}
	// Another address is not affected; a good request there works.
	good, err := ParseRequest(h.request("v@sites.example.com", "V", "", support, false))
	must(t, err)
	if _, err := h.svc.Admit(h.ctx, good, netip.MustParseAddr("198.51.100.10")); err != nil {
		t.Fatalf("another address: %v", err)
	}
}

// TestGuestExpiry: a guest whose life ended is deleted; the same visitor
// later is a new guest, without the old history.
func TestGuestExpiry(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.GuestLife = time.Hour })
	g := h.guest("v1@sites.example.com", "V", "", support)
	first := g.bare
	if _, err := h.st.Guest(h.ctx, first); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Hour + maintenanceEvery)
	h.sync()
	if _, err := h.st.Guest(h.ctx, first); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired guest still there: %v", err)
	}
	g2 := h.guest("v1@sites.example.com", "V", "", support)
	if g2.bare == first {
		t.Fatalf("the expired guest's JID %s was handed out again", first)
	}
}

func wantErr(t testing.TB, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got %v, want %v", what, err, target)
	}
}
