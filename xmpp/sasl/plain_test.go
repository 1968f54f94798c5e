package sasl

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func plainMsg(authzid, authcid, passwd string) []byte {
	return []byte(authzid + "\x00" + authcid + "\x00" + passwd)
}

func TestPLAINSuccess(t *testing.T) {
	for user, pass := range testUsers {
		for _, authzid := range []string{"", "admin@example.com"} {
			l := newLookup(t)
			m := mustServer(t, Plain, l.lookup)
			out, done, err := m.Next(ctx, plainMsg(authzid, user, pass))
			if err != nil || !done || out != nil {
				t.Errorf("%q/%q authzid %q: %q %v %v", user, pass, authzid, out, done, err)
				continue
			}
			if m.Identity() != user || m.Authzid() != authzid {
				t.Errorf("Identity, Authzid = %q, %q", m.Identity(), m.Authzid())
			}
			if len(l.calls) != 2 || l.calls[0] != user+"|"+SCRAMSHA256 || l.calls[1] != user+"|"+SCRAMSHA1 {
				t.Errorf("lookups %q", l.calls)
			}
			if _, _, err := m.Next(ctx, plainMsg("", user, pass)); !errors.Is(err, ErrMalformedRequest) {
				t.Errorf("Next after done: %v", err)
			}
		}
	}
}

func TestPLAINPasswordPreparation(t *testing.T) {
	// Stored from "pass\u00a0word"; OpaqueString maps any space to U+0020.
	for _, p := range []string{"pass word", "pass\u00a0word", "pass\u3000word"} {
		m := mustServer(t, Plain, newLookup(t).lookup)
		if _, _, err := m.Next(ctx, plainMsg("", "nbsp-user", p)); err != nil {
			t.Errorf("%q: %v", p, err)
		}
	}
	// Stored from "Pässwörd" (NFC); a decomposed form is the same password.
	m := mustServer(t, Plain, newLookup(t).lookup)
	if _, _, err := m.Next(ctx, plainMsg("", "jürgen", "Pa\u0308sswo\u0308rd")); err != nil {
		t.Errorf("NFD password: %v", err)
	}
}

func TestPLAINFailure(t *testing.T) {
	for name, msg := range map[string][]byte{
		"wrong password":    plainMsg("", "juliet", "r0m30"),
		"case differs":      plainMsg("", "juliet", "R0M30 MYR0M30"),
		"unknown user":      plainMsg("", "romeo", "pencil"),
		"unpreparable pass": plainMsg("", "juliet", "a\u0007b"),
	} {
		l := newLookup(t)
		m := mustServer(t, Plain, l.lookup)
		out, done, err := m.Next(ctx, msg)
		if !errors.Is(err, ErrNotAuthorized) || done || out != nil {
			t.Errorf("%s: %q %v %v", name, out, done, err)
		}
		if errors.Is(err, ErrUnknownUser) {
			t.Errorf("%s: error wraps ErrUnknownUser", name)
		}
		if m.Identity() != "" || m.Authzid() != "" {
			t.Errorf("%s: identity after failure", name)
		}
	}
}

func TestPLAINMalformed(t *testing.T) {
	for name, msg := range map[string]string{
		"no NUL":          "julietpencil",
		"one NUL":         "juliet\x00pencil",
		"three NULs":      "\x00juliet\x00pen\x00cil",
		"trailing NUL":    "\x00juliet\x00pencil\x00",
		"empty authcid":   "\x00\x00pencil",
		"empty password":  "\x00juliet\x00",
		"only NULs":       "\x00\x00",
		"bad UTF-8 user":  "\x00jul\xffiet\x00pencil",
		"bad UTF-8 pass":  "\x00juliet\x00pen\xc3",
		"bad UTF-8 authz": "\xff\x00juliet\x00pencil",
		"too big":         "\x00juliet\x00" + strings.Repeat("p", MaxMessageSize),
	} {
		l := newLookup(t)
		m := mustServer(t, Plain, l.lookup)
		out, done, err := m.Next(ctx, []byte(msg))
		if !errors.Is(err, ErrMalformedRequest) || done || out != nil {
			t.Errorf("%s: %q %v %v", name, out, done, err)
		}
		if len(l.calls) != 0 {
			t.Errorf("%s: lookup called", name)
		}
	}
}

func TestPLAINEmptyInitialResponse(t *testing.T) {
	m := mustServer(t, Plain, newLookup(t).lookup)
	out, done, err := m.Next(ctx, nil)
	if err != nil || done || out == nil || len(out) != 0 {
		t.Fatalf("empty initial response: %q %v %v", out, done, err)
	}
	if _, done, err := m.Next(ctx, plainMsg("", "juliet", testUsers["juliet"])); err != nil || !done {
		t.Fatalf("after challenge: %v %v", done, err)
	}
	m = mustServer(t, Plain, newLookup(t).lookup)
	m.Next(ctx, []byte{})
	if _, _, err := m.Next(ctx, []byte{}); !errors.Is(err, ErrMalformedRequest) {
		t.Errorf("second empty message: %v", err)
	}
}

func TestPLAINLookupError(t *testing.T) {
	boom := errors.New("boom")
	lookup := func(context.Context, string, string) (Credential, error) { return Credential{}, boom }
	_, _, err := mustServer(t, Plain, lookup).Next(ctx, plainMsg("", "juliet", "x"))
	if !errors.Is(err, ErrTemporaryAuthFailure) || !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
}

// Accounts imported with SCRAM-SHA-1 keys only log in with PLAIN too;
// a wrong password still fails, and unknown users cost the same two
// lookups.
func TestPLAINFallsBackToSHA1Key(t *testing.T) {
	for user, pass := range testUsers {
		sha1Only := map[string]map[string]Credential{user: {SCRAMSHA1: testCreds(t)[user][SCRAMSHA1]}}
		l := &recordingLookup{creds: sha1Only}
		if _, done, err := mustServer(t, Plain, l.lookup).Next(ctx, plainMsg("", user, pass)); err != nil || !done {
			t.Errorf("%q with a SHA-1 key only: %v", user, err)
		}
		if len(l.calls) != 2 || l.calls[1] != user+"|"+SCRAMSHA1 {
			t.Errorf("lookups %q", l.calls)
		}
		if _, _, err := mustServer(t, Plain, l.lookup).Next(ctx, plainMsg("", user, pass+"x")); !errors.Is(err, ErrNotAuthorized) {
			t.Errorf("%q wrong password with a SHA-1 key only: %v", user, err)
		}
	}
	l := newLookup(t)
	if _, _, err := mustServer(t, Plain, l.lookup).Next(ctx, plainMsg("", "nobody", "pw")); !errors.Is(err, ErrNotAuthorized) || len(l.calls) != 2 {
		t.Errorf("unknown user: %v after lookups %q", err, l.calls)
	}
}

// Issue 19 item 13: a PLAIN attempt costs the same whoever the user is:
// two lookups and one key derivation of DefaultIterations, for a known
// user, a user with a SHA-1 key only, and an unknown user, with the
// right password or not. (Unknown users used to cost two derivations:
// 2.6 ms against 1.4 ms, a clean separation.)
func TestPLAINEqualWork(t *testing.T) {
	var derived []int
	testHookDerive = func(n int) { derived = append(derived, n) }
	defer func() { testHookDerive = nil }()
	sha1Only := map[string]map[string]Credential{"old": {SCRAMSHA1: testCreds(t)["juliet"][SCRAMSHA1]}}
	for name, c := range map[string]struct {
		creds map[string]map[string]Credential
		msg   []byte
	}{
		"known, right password":    {testCreds(t), plainMsg("", "juliet", testUsers["juliet"])},
		"known, wrong password":    {testCreds(t), plainMsg("", "juliet", "wrong")},
		"SHA-1 key only":           {sha1Only, plainMsg("", "old", testUsers["juliet"])},
		"SHA-1 key only, wrong":    {sha1Only, plainMsg("", "old", "wrong")},
		"unknown user":             {testCreds(t), plainMsg("", "nobody", "wrong")},
		"unknown user, a password": {testCreds(t), plainMsg("", "nobody", testUsers["juliet"])},
	} {
		derived = nil
		l := &recordingLookup{creds: c.creds}
		mustServer(t, Plain, l.lookup).Next(ctx, c.msg)
		if len(l.calls) != 2 || len(derived) != 1 || derived[0] != DefaultIterations {
			t.Errorf("%s: lookups %q, derivations %v; want 2 lookups and one derivation of %d iterations",
				name, l.calls, derived, DefaultIterations)
		}
	}
}
