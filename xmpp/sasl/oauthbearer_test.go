package sasl

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// ticketVerifier knows one single-use token, "tkt-1", for "guest1".
func ticketVerifier() (BearerVerifier, *int) {
	used := 0
	return func(_ context.Context, authzid, token string) (string, error) {
		if token != "tkt-1" || used > 0 {
			return "", errors.New("unknown ticket")
		}
		used++
		return "guest1", nil
	}, &used
}

func TestOAuthBearer(t *testing.T) {
	verify, used := ticketVerifier()
	m := NewOAuthBearer(verify)
	out, done, err := m.Next(context.Background(), []byte("n,a=guest1@guest.example,\x01host=example\x01auth=Bearer tkt-1\x01\x01"))
	if err != nil || !done || len(out) != 0 || m.Identity() != "guest1" || m.Authzid() != "guest1@guest.example" || *used != 1 {
		t.Fatalf("valid ticket: %q %v %v identity %q authzid %q", out, done, err, m.Identity(), m.Authzid())
	}
	// The same ticket again: error challenge, acknowledgement, not-authorized.
	m = NewOAuthBearer(verify)
	out, done, err = m.Next(context.Background(), []byte("n,,\x01auth=bearer tkt-1\x01\x01"))
	if err != nil || done || string(out) != `{"status":"invalid_token"}` {
		t.Fatalf("replayed ticket: %q %v %v", out, done, err)
	}
	if _, _, err := m.Next(context.Background(), []byte{1}); !errors.Is(err, ErrNotAuthorized) || m.Identity() != "" {
		t.Fatalf("after the acknowledgement: %v, identity %q", err, m.Identity())
	}
	// No initial response: an empty challenge, then the message.
	verify, _ = ticketVerifier()
	m = NewOAuthBearer(verify)
	if out, done, err := m.Next(context.Background(), nil); err != nil || done || out == nil || len(out) != 0 {
		t.Fatalf("empty initial response: %q %v %v", out, done, err)
	}
	if _, done, err := m.Next(context.Background(), []byte("y,,\x01auth=Bearer tkt-1\x01\x01")); err != nil || !done {
		t.Fatalf("after an empty challenge: %v %v", done, err)
	}
	// A verifier's temporary failure is reported as such at once.
	m = NewOAuthBearer(func(context.Context, string, string) (string, error) {
		return "", fmt.Errorf("%w: store down", ErrTemporaryAuthFailure)
	})
	if _, _, err := m.Next(context.Background(), []byte("n,,\x01auth=Bearer x\x01\x01")); !errors.Is(err, ErrTemporaryAuthFailure) {
		t.Fatalf("temporary failure: %v", err)
	}
}

func TestOAuthBearerMalformed(t *testing.T) {
	for _, msg := range []string{
		"x,,\x01auth=Bearer t\x01\x01",
		"p=tls-unique,,\x01auth=Bearer t\x01\x01",
		"n,\x01auth=Bearer t\x01\x01",
		"n,b=x,\x01auth=Bearer t\x01\x01",
		"n,a=x=2Xy,\x01auth=Bearer t\x01\x01",
		"n,,auth=Bearer t\x01\x01",
		"n,,\x01auth=Bearer t\x01",
		"n,,\x01\x01",
		"n,,\x01auth=Basic dXNlcg==\x01\x01",
		"n,,\x01auth=Bearer \x01\x01",
		"n,,\x01auth=Bearer a b\x01\x01",
		"n,,\x01auth=Bearer t\x01auth=Bearer u\x01\x01",
		"n,,\x01a1=b\x01auth=Bearer t\x01\x01",
	} {
		m := NewOAuthBearer(func(context.Context, string, string) (string, error) { return "u", nil })
		if _, done, err := m.Next(context.Background(), []byte(msg)); !errors.Is(err, ErrMalformedRequest) || done {
			t.Errorf("%q: done %v err %v, want malformed", msg, done, err)
		}
	}
}

// FuzzOAuthBearer: arbitrary messages never panic, fail only with the
// sentinels, and succeed only with a well-formed auth=Bearer pair whose
// token the verifier accepted.
func FuzzOAuthBearer(f *testing.F) {
	f.Add([]byte("n,a=guest1@guest.example,\x01host=example\x01auth=Bearer tkt-1\x01\x01"), []byte{1})
	f.Add([]byte("n,,\x01auth=Bearer other\x01\x01"), []byte{1})
	f.Add([]byte("n,a=a=3Db=2Cc,\x01auth=Bearer tkt-1==\x01\x01"), []byte("x"))
	f.Fuzz(func(t *testing.T, first, second []byte) {
		var seen string
		m := NewOAuthBearer(func(_ context.Context, _, token string) (string, error) {
			seen = token
			if token == "tkt-1" {
				return "guest1", nil
			}
			return "", errors.New("no")
		})
		_, done, err := m.Next(context.Background(), first)
		if err != nil && !knownSASLError(err) {
			t.Fatalf("unexpected error %v", err)
		}
		if done && (seen != "tkt-1" || m.Identity() != "guest1") {
			t.Fatalf("success with token %q identity %q", seen, m.Identity())
		}
		if !done && err == nil {
			_, done2, err2 := m.Next(context.Background(), second)
			if done2 || (err2 != nil && !knownSASLError(err2)) {
				t.Fatalf("second step: done %v err %v", done2, err2)
			}
		}
	})
}
