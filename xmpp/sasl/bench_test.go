package sasl

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

// BenchmarkSCRAMSHA256Login measures the whole server side of one
// SCRAM-SHA-256 login with a stored credential: NewServer, client-first
// (parse, lookup, nonce from crypto/rand, server-first) and client-final
// (parse, proof check, server signature). The client messages are
// precomputed against a pinned server nonce (the random nonce is still
// generated and discarded, so its cost is counted); no PBKDF2 is run.
func BenchmarkSCRAMSHA256Login(b *testing.B) {
	cred := DeriveCredential(sha256.New, "pencil", []byte("0123456789abcdef"), DefaultIterations)
	lookup := fuzzLookupWith(cred)
	const c1 = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
	const serverNonce = "abcdefghijklmnopqrstuvwxyz012345"
	fullNonce := "rOprNGfwEbeRWgbNEkqO" + serverNonce
	s1 := "r=" + fullNonce + ",s=" + base64.StdEncoding.EncodeToString(cred.Salt) + ",i=4096"
	wop := "c=biws,r=" + fullNonce
	salted := hi(sha256.New, []byte("pencil"), cred.Salt, cred.Iterations)
	proof := hmacSum(sha256.New, cred.StoredKey, []byte(strings.TrimPrefix(c1, "n,,")+","+s1+","+wop))
	clientKey := hmacSum(sha256.New, salted, []byte("Client Key"))
	for i := range proof {
		proof[i] ^= clientKey[i]
	}
	c2 := []byte(wop + ",p=" + base64.StdEncoding.EncodeToString(proof))
	first := []byte(c1)

	b.ReportAllocs()
	for b.Loop() {
		m, _ := NewServer(SCRAMSHA256, lookup)
		m.(*scramServer).nonce = func() string { randomNonce(); return serverNonce }
		if _, _, err := m.Next(ctx, first); err != nil {
			b.Fatal(err)
		}
		if _, done, err := m.Next(ctx, c2); err != nil || !done {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}

// BenchmarkPLAINLogin measures one PLAIN login: one PBKDF2-SHA-256 with
// the stored iteration count (4096).
func BenchmarkPLAINLogin(b *testing.B) {
	lookup := fuzzLookupWith(DeriveCredential(sha256.New, "pencil", []byte("0123456789abcdef"), DefaultIterations))
	msg := []byte("\x00user\x00pencil")
	b.ReportAllocs()
	for b.Loop() {
		m, _ := NewServer(Plain, lookup)
		if _, done, err := m.Next(ctx, msg); err != nil || !done {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}

// BenchmarkPLAINFailure measures a failed PLAIN login for a known user
// (wrong password) and for an unknown one: they must cost the same
// (issue 19 item 13).
func BenchmarkPLAINFailure(b *testing.B) {
	lookup := fuzzLookupWith(DeriveCredential(sha256.New, "pencil", []byte("0123456789abcdef"), DefaultIterations))
	for name, msg := range map[string][]byte{"known": []byte("\x00user\x00wrong"), "unknown": []byte("\x00nobody\x00wrong")} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				m, _ := NewServer(Plain, lookup)
				if _, _, err := m.Next(ctx, msg); err == nil {
					b.Fatal("logged in")
				}
			}
		})
	}
}

// BenchmarkDeriveCredential measures credential creation (PBKDF2 with
// DefaultIterations), the cost paid at registration and password change.
func BenchmarkDeriveCredential(b *testing.B) {
	salt := []byte("0123456789abcdef")
	b.ReportAllocs()
	for b.Loop() {
		DeriveCredential(sha256.New, "pencil", salt, DefaultIterations)
	}
}
