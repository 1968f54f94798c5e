package sasl

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
)

// fuzzCred is a cheap (1 iteration) credential for "user"/"pencil".
var fuzzCred = DeriveCredential(sha256.New, "pencil", []byte("0123456789abcdef"), 1)

var fuzzLookup = fuzzLookupWith(fuzzCred)

// fuzzLookupWith returns a lookup knowing only "user", with cred.
func fuzzLookupWith(cred Credential) CredentialLookup {
	return func(_ context.Context, u, _ string) (Credential, error) {
		if u == "user" {
			return cred, nil
		}
		return Credential{}, ErrUnknownUser
	}
}

// knownSASLError reports whether err wraps one of the sentinels a
// mechanism may return.
func knownSASLError(err error) bool {
	for _, s := range []error{ErrNotAuthorized, ErrMalformedRequest, ErrTemporaryAuthFailure} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// FuzzSCRAMClientFirst feeds arbitrary client-first messages (and, when
// accepted, an arbitrary client-final message) to the SCRAM-SHA-256
// server: no panics, only sentinel errors, no success without a proof.
func FuzzSCRAMClientFirst(f *testing.F) {
	for _, m := range badClientFirst {
		f.Add([]byte(m), []byte("c=biws,r=x,p=AAAA"))
	}
	for _, v := range rfcVectors {
		f.Add([]byte(v.c1), []byte(v.c2))
	}
	f.Add([]byte("n,a=a=2Cb,n=user,r=abc,x=1"), []byte("c=biws,r=abc,x=2,p="))
	f.Fuzz(func(t *testing.T, first, final []byte) {
		m := mustServer(t, SCRAMSHA256, fuzzLookup)
		s1, done, err := m.Next(ctx, first)
		if len(first) == 0 {
			if err != nil || done || s1 == nil || len(s1) != 0 {
				t.Fatalf("no initial response: %q %v %v", s1, done, err)
			}
			return
		}
		if err != nil {
			if !knownSASLError(err) || s1 != nil || done {
				t.Fatalf("client-first %q: %q %v %v", first, s1, done, err)
			}
			return
		}
		if done {
			t.Fatalf("done after client-first %q", first)
		}
		if !serverFirstRE.Match(s1) {
			t.Fatalf("client-first %q: server-first %q", first, s1)
		}
		s2, done, err := m.Next(ctx, final)
		if err == nil || done {
			t.Fatalf("random client-final %q accepted: %q", final, s2)
		}
		if !knownSASLError(err) || s2 != nil {
			t.Fatalf("client-final %q: %q %v", final, s2, err)
		}
	})
}

// FuzzSCRAMClientFinal fuzzes the client-final message after a valid
// client-first; the nonce placeholder NONCE is replaced by the server's.
func FuzzSCRAMClientFinal(f *testing.F) {
	f.Add("c=biws,r=NONCE,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
	f.Add("c=biws,r=NONCE,x=1,p=AAAA")
	f.Add("c=eSws,r=NONCE,p=")
	f.Add("c=biws,r=NONCE")
	f.Add("r=NONCE,c=biws,p=AAAA")
	f.Fuzz(func(t *testing.T, final string) {
		m := mustServer(t, SCRAMSHA256, fuzzLookup)
		s1, _, err := m.Next(ctx, []byte("n,,n=user,r=abc"))
		if err != nil {
			t.Fatal(err)
		}
		nonce := serverFirstRE.FindSubmatch(s1)[1]
		msg := strings.ReplaceAll(final, "NONCE", string(nonce))
		s2, done, err := m.Next(ctx, []byte(msg))
		if err == nil || done {
			t.Fatalf("forged client-final %q accepted: %q", msg, s2)
		}
		if !knownSASLError(err) || s2 != nil {
			t.Fatalf("client-final %q: %q %v", msg, s2, err)
		}
	})
}

// FuzzPLAIN checks PLAIN never panics, returns only sentinel errors, and
// accepts exactly the right password for "user".
func FuzzPLAIN(f *testing.F) {
	f.Add([]byte("\x00user\x00pencil"))
	f.Add([]byte("admin\x00user\x00pencil"))
	f.Add([]byte("\x00user\x00pencil\x00"))
	f.Add([]byte("\x00\x00"))
	f.Add([]byte(""))
	f.Add([]byte("\xff\x00user\x00pencil"))
	f.Add([]byte("\x00romeo\x00pencil"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		m := mustServer(t, Plain, fuzzLookup)
		out, done, err := m.Next(ctx, msg)
		if len(msg) == 0 {
			if err != nil || done || out == nil {
				t.Fatalf("empty message: %q %v %v", out, done, err)
			}
			return
		}
		if err != nil {
			if !knownSASLError(err) || out != nil || done {
				t.Fatalf("%q: %q %v %v", msg, out, done, err)
			}
			return
		}
		if !done || m.Identity() != "user" {
			t.Fatalf("%q accepted: identity %q", msg, m.Identity())
		}
		if p, _ := PreparePassword(string(msg[strings.LastIndexByte(string(msg), 0)+1:])); p != "pencil" {
			t.Fatalf("%q accepted with another password", msg)
		}
	})
}
