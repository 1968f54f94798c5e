package livehelp

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
)

// Request is a guest chat request (seed 001 chapter 4, "Establish
// Context for Chat"), as the visitor's browser POSTs (or GETs) it to
// /imtapp/im/imWebChatClient.jsp.
type Request struct {
	FromUserJID string // r_fromUserJID, as sent (it enters the digest)
	DisplayName string // guestDisplayName
	GroupJID    string // r_groupJID, as sent
	ToJID       string // r_toJID, as sent
	Subject     string // s
	SiteID      string // siteID
	TokenID     int64  // tokenID
	TokenDigest string // tokenDigest
}

// Limits on a request's values.
const (
	maxNameRunes    = 80
	maxSubjectRunes = 200
	maxDigestLen    = 8192
)

// requestParams are the parameters a request may carry once at most.
var requestParams = []string{"r_fromUserJID", "guestDisplayName", "useToken", "r_groupJID", "r_toJID", "s", "siteID", "tokenID", "tokenDigest"}

// ParseRequest reads a chat request from its parameters. Missing or
// invalid ones, a parameter given twice, or both (or neither of)
// r_groupJID and r_toJID are ErrMalformed, with a message fit for the
// visitor's page. Other parameters are ignored.
func ParseRequest(v url.Values) (Request, error) {
	bad := func(format string, args ...any) (Request, error) {
		return Request{}, fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
	for _, p := range requestParams {
		if len(v[p]) > 1 {
			return bad("%s is given more than once", p)
		}
		if !printable(v.Get(p)) {
			return bad("%s has characters that are not allowed", p)
		}
	}
	r := Request{FromUserJID: v.Get("r_fromUserJID"), DisplayName: strings.TrimSpace(v.Get("guestDisplayName")),
		GroupJID: v.Get("r_groupJID"), ToJID: v.Get("r_toJID"), Subject: strings.TrimSpace(v.Get("s")),
		SiteID: strings.TrimSpace(v.Get("siteID")), TokenDigest: strings.TrimSpace(v.Get("tokenDigest"))}
	if u := v.Get("useToken"); u != "" && !strings.EqualFold(u, "true") {
		return bad("useToken must be true")
	}
	if j, err := jid.Parse(r.FromUserJID); err != nil || r.FromUserJID == "" || j.Local() == "" {
		return bad("r_fromUserJID must be the visitor's identifier, a JID such as guest_12345@sites.example.com")
	}
	if (r.GroupJID == "") == (r.ToJID == "") {
		return bad("give either r_groupJID (a support group) or r_toJID (a person), not both and not neither")
	}
	for _, t := range []string{r.GroupJID, r.ToJID} {
		if j, err := jid.Parse(t); t != "" && (err != nil || j.Local() == "" || !j.IsBare()) {
			return bad("%q is not the bare JID of a support group or person", t)
		}
	}
	id, err := strconv.ParseInt(strings.TrimSpace(v.Get("tokenID")), 10, 64)
	if err != nil || id <= 0 {
		return bad("tokenID must be the decimal ID of a GUESTCHAT token")
	}
	r.TokenID = id
	if r.TokenDigest == "" || len(r.TokenDigest) > maxDigestLen || len(r.TokenDigest)%2 != 0 || strings.Trim(r.TokenDigest, "0123456789abcdefABCDEF") != "" {
		return bad("tokenDigest must be the hexadecimal digest of the request")
	}
	if utf8.RuneCountInString(r.DisplayName) > maxNameRunes || utf8.RuneCountInString(r.Subject) > maxSubjectRunes {
		return bad("guestDisplayName is limited to %d characters and s to %d", maxNameRunes, maxSubjectRunes)
	}
	if len(r.SiteID) > 64 {
		return bad("siteID is too long")
	}
	return r, nil
}

// printable reports valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// digestParams are the request's context parameters that enter the
// tokenDigest, as sent.
func (r Request) digestParams() map[string]string {
	return map[string]string{"r_fromUserJID": r.FromUserJID, "r_groupJID": r.GroupJID, "r_toJID": r.ToJID}
}

// Admission is a validated request: the guest's web session and the
// value of the cookie that stands for it.
type Admission struct {
	Cookie  string
	Session *GuestSession
}

// failureLimiter limits failed chat requests per client address (an
// IPv4 address or IPv6 /64).
type failureLimiter struct {
	mu     sync.Mutex
	perMin float64
	m      map[netip.Prefix]*rate.Limiter
}

func newFailureLimiter(perMinute float64) *failureLimiter {
	return &failureLimiter{perMin: perMinute, m: make(map[netip.Prefix]*rate.Limiter)}
}

func addrKey(a netip.Addr) netip.Prefix {
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

func (l *failureLimiter) allowed(a netip.Addr) bool {
	if l == nil || l.perMin <= 0 || !a.IsValid() {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.m[addrKey(a)]
	return !ok || lim.Tokens() >= 1
}

func (l *failureLimiter) failed(a netip.Addr) {
	if l == nil || l.perMin <= 0 || !a.IsValid() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) > 100000 {
		clear(l.m) // bounded memory under a flood
	}
	k := addrKey(a)
	lim, ok := l.m[k]
	if !ok {
		lim = rate.NewLimiter(rate.Limit(l.perMin/60), max(int(l.perMin), 1))
		l.m[k] = lim
	}
	lim.Allow()
}

// Admit validates a chat request and opens the guest's web session:
//
//   - the token named by tokenID is live, carries GUESTCHAT, was issued
//     to a site (the one siteID names, when given), and tokenDigest is
//     its digest of the request (ErrRefused otherwise, whichever check
//     failed);
//   - the site has auth_chat_enabled and guest_user_access_enabled now
//     (ErrSiteDisabled);
//   - r_groupJID is a support group open to the site, or r_toJID a
//     member of one (ErrNotTarget);
//   - the request was not used before (ErrReplayed): each request works
//     once, so a site asks for a fresh GUESTCHAT token (or uses another
//     visitor or target) for every chat it starts;
//
// then it finds or creates the site visitor's guest (the same
// r_fromUserJID gets the same guest, and its history, until the guest
// expires) and pushes its expiry back. addr is the client's address, for
// the limit on failed requests (ErrTooMany).
func (s *Service) Admit(ctx context.Context, r Request, addr netip.Addr) (Admission, error) {
	if !s.failures.allowed(addr) {
		return Admission{}, ErrTooMany
	}
	c, err := s.check(ctx, r)
	if err != nil {
		if errors.Is(err, ErrRefused) || errors.Is(err, ErrReplayed) || errors.Is(err, ErrNotTarget) {
			s.failures.failed(addr)
		}
		return Admission{}, err
	}
	value, gs := s.reg.open(c, s.clock.Now())
	return Admission{Cookie: value, Session: gs}, nil
}

func (s *Service) check(ctx context.Context, r Request) (GuestContext, error) {
	tok, err := s.opts.Auth.VerifyTokenDigest(ctx, r.TokenID, r.TokenDigest, r.digestParams())
	if errors.Is(err, auth.ErrInvalidToken) {
		return GuestContext{}, ErrRefused
	}
	if err != nil {
		return GuestContext{}, err
	}
	if tok.EntityType != auth.EntitySite || (r.SiteID != "" && r.SiteID != tok.EntityID) {
		return GuestContext{}, ErrRefused
	}
	site := tok.EntityID
	settings, err := s.opts.Auth.EntitySettings(ctx, tok)
	if errors.Is(err, auth.ErrInvalidToken) {
		return GuestContext{}, ErrRefused
	}
	if err != nil {
		return GuestContext{}, err
	}
	if !settings[auth.SettingChat] || !settings[auth.SettingGuestUserAcces] {
		return GuestContext{}, ErrSiteDisabled
	}
	c := GuestContext{SiteID: site, DisplayName: r.DisplayName, Subject: r.Subject}
	if c.DisplayName == "" {
		c.DisplayName = "Guest"
	}
	from, _ := jid.Parse(r.FromUserJID) // checked by ParseRequest
	c.FromUserJID = from.Bare().String()
	if r.GroupJID != "" {
		g, _ := jid.Parse(r.GroupJID)
		c.Target, c.IsGroup = g.String(), true
	} else {
		u, _ := jid.Parse(r.ToJID)
		c.Target = u.String()
	}
	if c.TargetName, err = s.targetOf(ctx, site, c.Target, c.IsGroup); err != nil {
		return GuestContext{}, err
	}
	if err := s.opts.Store.UseChatRequest(ctx, r.TokenID, strings.ToUpper(r.TokenDigest), tok.ExpiresAt); err != nil {
		if errors.Is(err, store.ErrExists) {
			return GuestContext{}, ErrReplayed
		}
		return GuestContext{}, err
	}
	if c.Guest, err = s.guestFor(ctx, c); err != nil {
		return GuestContext{}, err
	}
	return c, nil
}

// targetOf checks that a site's visitors may reach target and returns
// the name to show them: a group open to the site, or an account that is
// a member of one.
func (s *Service) targetOf(ctx context.Context, site, target string, isGroup bool) (string, error) {
	j, _ := jid.Parse(target)
	if isGroup {
		if !s.groupDom[j.Domain()] {
			return "", ErrNotTarget
		}
		g, err := s.opts.Store.Group(ctx, target)
		if errors.Is(err, store.ErrNotFound) {
			return "", ErrNotTarget
		}
		if err != nil {
			return "", err
		}
		if !openTo(g, site) {
			return "", ErrNotTarget
		}
		return groupName(g), nil
	}
	if !s.hosts[j.Domain()] {
		return "", ErrNotTarget
	}
	if _, err := s.opts.Store.User(ctx, target); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", ErrNotTarget
		}
		return "", err
	}
	groups, err := s.opts.Store.ListGroups(ctx)
	if err != nil {
		return "", err
	}
	for _, g := range groups {
		if !openTo(g, site) {
			continue
		}
		members, err := s.opts.Store.GroupMembers(ctx, g.JID)
		if err != nil {
			continue
		}
		for _, m := range members {
			if m.JID == target {
				return s.agentName(ctx, target), nil
			}
		}
	}
	return "", ErrNotTarget
}

// openTo reports whether a site's visitors may reach a group.
func openTo(g store.SupportGroup, site string) bool {
	if len(g.Sites) == 0 {
		return true
	}
	for _, s := range g.Sites {
		if s == site {
			return true
		}
	}
	return false
}

func groupName(g store.SupportGroup) string {
	if g.Name != "" {
		return g.Name
	}
	j, _ := jid.Parse(g.JID)
	return j.Local()
}

var guestEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// guestFor returns the guest JID of a site's visitor, creating the guest
// on the first visit, and pushes its expiry back.
func (s *Service) guestFor(ctx context.Context, c GuestContext) (string, error) {
	now := s.clock.Now()
	for range 3 {
		g, err := s.opts.Store.GuestOf(ctx, c.SiteID, c.FromUserJID)
		switch {
		case err == nil:
		case errors.Is(err, store.ErrNotFound):
			b := make([]byte, 12)
			rand.Read(b)
			g = store.Guest{JID: "g" + guestEncoding.EncodeToString(b) + "@" + s.guestDomainFor(c.Target), SiteID: c.SiteID,
				FromUserJID: c.FromUserJID, CreatedAt: now}
		default:
			return "", err
		}
		g.DisplayName, g.ExpiresAt = c.DisplayName, now.Add(s.opts.GuestLife)
		err = s.opts.Store.PutGuest(ctx, g)
		if errors.Is(err, store.ErrExists) {
			continue // created by a concurrent request: read it again
		}
		if err != nil {
			return "", err
		}
		return g.JID, nil
	}
	return "", fmt.Errorf("livehelp: guest of %s: concurrent creation", c.FromUserJID)
}
