package sasl

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"hash"
	"sync"
	"testing"

	"github.com/xdg-go/scram"
)

var ctx = context.Background()

// testUsers maps usernames to clear-text passwords; their credentials are
// derived once and cached.
var testUsers = map[string]string{
	"user":      "pencil",
	"juliet":    "r0m30 myr0m30",
	"a,b=c":     "comma equals",
	"jürgen":    "Pässwörd",
	"nbsp-user": "pass\u00a0word", // OpaqueString maps NBSP to SPACE
}

var (
	credOnce  sync.Once
	credCache map[string]map[string]Credential
)

func hashFor(mech string) func() hash.Hash {
	if mech == SCRAMSHA1 {
		return sha1.New
	}
	return sha256.New
}

// testCreds returns the credentials of testUsers, derived with
// NewCredential (random salt, prepared password).
func testCreds(t testing.TB) map[string]map[string]Credential {
	credOnce.Do(func() {
		credCache = map[string]map[string]Credential{}
		for u, p := range testUsers {
			credCache[u] = map[string]Credential{}
			for _, m := range []string{SCRAMSHA1, SCRAMSHA256} {
				c, err := NewCredential(hashFor(m), p, 0)
				if err != nil {
					panic(err)
				}
				credCache[u][m] = c
			}
		}
	})
	return credCache
}

// recordingLookup serves testCreds and records the calls.
type recordingLookup struct {
	creds map[string]map[string]Credential
	calls []string // "username|mech"
	err   error    // returned for every call when set
}

func (r *recordingLookup) lookup(_ context.Context, username, mech string) (Credential, error) {
	r.calls = append(r.calls, username+"|"+mech)
	if r.err != nil {
		return Credential{}, r.err
	}
	c, ok := r.creds[username][mech]
	if !ok {
		return Credential{}, ErrUnknownUser
	}
	return c, nil
}

func newLookup(t testing.TB) *recordingLookup {
	return &recordingLookup{creds: testCreds(t)}
}

func xdgHash(mech string) scram.HashGeneratorFcn {
	if mech == SCRAMSHA1 {
		return scram.SHA1
	}
	return scram.SHA256
}

// runXDG runs a full exchange between an xdg-go/scram client and our
// server. It returns the server-first message, the error of the step that
// failed (nil on success), and the step number (1 or 2) at which it did.
func runXDG(t *testing.T, m Mechanism, mech, user, pass, authzid string, advertiseCB bool) (serverFirst string, step int, err error) {
	t.Helper()
	client, cerr := xdgHash(mech).NewClient(user, pass, authzid)
	if cerr != nil {
		t.Fatalf("xdg NewClient: %v", cerr)
	}
	conv := client.NewConversation()
	if advertiseCB {
		conv = client.NewConversationAdvertisingChannelBinding()
	}
	c1, cerr := conv.Step("")
	if cerr != nil {
		t.Fatalf("xdg client-first: %v", cerr)
	}
	s1, done, err := m.Next(ctx, []byte(c1))
	if err != nil {
		return "", 1, err
	}
	if done {
		t.Fatal("done after client-first")
	}
	c2, cerr := conv.Step(string(s1))
	if cerr != nil {
		t.Fatalf("xdg client-final: %v", cerr)
	}
	s2, done, err := m.Next(ctx, []byte(c2))
	if err != nil {
		if s2 != nil || done {
			t.Errorf("failure returned data %q, done=%v", s2, done)
		}
		return string(s1), 2, err
	}
	if !done {
		t.Fatal("not done after client-final")
	}
	if _, cerr := conv.Step(string(s2)); cerr != nil || !conv.Valid() {
		t.Fatalf("xdg client rejects server-final %q: %v", s2, cerr)
	}
	return string(s1), 0, nil
}

func mustServer(t testing.TB, mech string, lookup CredentialLookup, opts ...Option) Mechanism {
	t.Helper()
	m, err := NewServer(mech, lookup, opts...)
	if err != nil {
		t.Fatalf("NewServer(%q): %v", mech, err)
	}
	return m
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}
