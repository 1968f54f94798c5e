package livehelp

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/parley-im/parley/xmpp/jid"
)

// FuzzParseRequest: whatever query a browser sends, ParseRequest never
// panics, fails only with ErrMalformed, and what it accepts is a
// well-formed request: a visitor JID, exactly one bare target JID, a
// positive token ID, an even-length hex digest within bounds.
func FuzzParseRequest(f *testing.F) {
	f.Add("r_groupJID=otn.support1@groups.domain.com&useToken=true&r_fromUserJID=guest_user02@sites.domain.com&tokenDigest=313030303634305F3C6469676573743E3C313636363144303035393031303035&tokenID=1000640&s=Hello&siteID=12345")
	f.Add("r_toJID=alice@example.com&r_fromUserJID=v@s&tokenID=1&tokenDigest=AB&guestDisplayName=%E2%9C%93")
	f.Add("r_toJID=a@b&r_groupJID=c@d&r_fromUserJID=v@s&tokenID=1&tokenDigest=AB")
	f.Add("tokenID=9999999999999999999999&tokenDigest=zz")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		r, err := ParseRequest(q)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		if _, err := jid.Parse(r.FromUserJID); err != nil {
			t.Fatalf("accepted visitor %q", r.FromUserJID)
		}
		if (r.GroupJID == "") == (r.ToJID == "") {
			t.Fatalf("accepted targets %q and %q", r.GroupJID, r.ToJID)
		}
		target := r.GroupJID + r.ToJID
		if j, err := jid.Parse(target); err != nil || !j.IsBare() || j.Local() == "" {
			t.Fatalf("accepted target %q", target)
		}
		if r.TokenID <= 0 || r.TokenDigest == "" || len(r.TokenDigest)%2 != 0 || len(r.TokenDigest) > maxDigestLen {
			t.Fatalf("accepted token %d digest %q", r.TokenID, r.TokenDigest)
		}
		if !printable(r.DisplayName) || !printable(r.Subject) {
			t.Fatalf("accepted name %q subject %q", r.DisplayName, r.Subject)
		}
	})
}

// herePlacement keeps every desk here (one node of a cluster).
type herePlacement struct{}

func (herePlacement) Here(string) bool { return true }
func (herePlacement) Call(context.Context, string, ...string) (string, error) {
	return "", errors.New("no other node")
}

// FuzzHandleCall: whatever another node forwards, HandleCall never
// panics, refuses what is malformed with ErrMalformed, and the loop
// keeps serving.
func FuzzHandleCall(f *testing.F) {
	var logs lockedBuffer
	h := newHarness(f, func(o *Options) {
		o.Placement = herePlacement{}
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	gc := `{"Guest":"g1@guest.example.com","Target":"support@groups.example.com","IsGroup":true,"DisplayName":"V"}`
	for _, seed := range [][]string{
		{evGuestMsg, "g1@guest.example.com", gc, "hello", "active"},
		{evGuestHere, "g1@guest.example.com", gc},
		{evGuestGone, "g1@guest.example.com", gc},
		{evGuestEnd, "g1@guest.example.com", gc, "waiting"},
		{evAgent, "alice@example.com/desk", "g1@guest.example.com", "hi", ""},
		{evGroup, "alice@example.com/desk", support, "/chats", "chat"},
		{evAdopt, `{"id":1,"ctx":` + gc + `,"desk":"support@groups.example.com","isGroup":true,"state":"waiting"}`},
		{evStatus},
		{"bogus", "x"},
	} {
		f.Add(support, strings.Join(seed, "\x00"))
	}
	f.Fuzz(func(t *testing.T, target, raw string) {
		h.t = t
		args := strings.Split(raw, "\x00")
		if _, err := h.svc.HandleCall(context.Background(), target, args); err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBusy) {
			t.Fatalf("HandleCall(%q): %v", args, err)
		}
		h.drop()
		if out := logs.String(); strings.Contains(out, "panic") {
			t.Fatalf("HandleCall(%q): the loop panicked:\n%s", args, out)
		}
	})
}

// lockedBuffer is a log written from the loop and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
