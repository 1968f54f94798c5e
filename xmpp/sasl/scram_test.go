package sasl

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
)

// rfcVectors are the example exchanges of RFC 5802 §5 and RFC 7677 §3
// (user "user", password "pencil").
var rfcVectors = []struct {
	mech                 string
	salt                 string
	serverNonce          string
	c1, s1, c2, s2       string
	storedKey, serverKey string // hex, hand-computed from the RFC values
}{
	{
		mech:        SCRAMSHA1,
		salt:        "QSXCR+Q6sek8bf92",
		serverNonce: "3rfcNHYJY1ZVvWVs7j",
		c1:          "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
		s1:          "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
		c2:          "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
		s2:          "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
	},
	{
		mech:        SCRAMSHA256,
		salt:        "W22ZaJ0SNY7soEsUEjb6gQ==",
		serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
		c1:          "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
		s1:          "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
		c2:          "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
		s2:          "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
	},
}

func vectorCred(t *testing.T, mech, salt string) Credential {
	s, err := base64.StdEncoding.DecodeString(salt)
	if err != nil {
		t.Fatal(err)
	}
	return DeriveCredential(hashFor(mech), "pencil", s, 4096)
}

func TestRFCVectors(t *testing.T) {
	for _, v := range rfcVectors {
		t.Run(v.mech, func(t *testing.T) {
			cred := vectorCred(t, v.mech, v.salt)
			var gotUser, gotMech string
			lookup := func(_ context.Context, u, m string) (Credential, error) {
				gotUser, gotMech = u, m
				return cred, nil
			}
			m := mustServer(t, v.mech, lookup).(*scramServer)
			m.nonce = func() string { return v.serverNonce }
			s1, done, err := m.Next(ctx, []byte(v.c1))
			if err != nil || done || string(s1) != v.s1 {
				t.Fatalf("server-first = %q, %v, %v; want %q", s1, done, err, v.s1)
			}
			if gotUser != "user" || gotMech != v.mech {
				t.Errorf("lookup(%q, %q)", gotUser, gotMech)
			}
			if m.Identity() != "" {
				t.Errorf("Identity before done = %q", m.Identity())
			}
			s2, done, err := m.Next(ctx, []byte(v.c2))
			if err != nil || !done || string(s2) != v.s2 {
				t.Fatalf("server-final = %q, %v, %v; want %q", s2, done, err, v.s2)
			}
			if m.Identity() != "user" || m.Authzid() != "" {
				t.Errorf("Identity, Authzid = %q, %q", m.Identity(), m.Authzid())
			}
			if _, _, err := m.Next(ctx, []byte(v.c2)); !errors.Is(err, ErrMalformedRequest) {
				t.Errorf("Next after done: %v", err)
			}
		})
	}
}

// TestRFC7677KeysByHand recomputes the RFC 7677 StoredKey from the RFC's
// proof by hand (ClientKey = proof XOR ClientSignature) as an independent
// check of DeriveCredential.
func TestRFC7677KeysByHand(t *testing.T) {
	v := rfcVectors[1]
	cred := vectorCred(t, v.mech, v.salt)
	authMsg := strings.TrimPrefix(v.c1, "n,,") + "," + v.s1 + "," + v.c2[:strings.LastIndex(v.c2, ",p=")]
	proof, _ := base64.StdEncoding.DecodeString(v.c2[strings.LastIndex(v.c2, "p=")+2:])
	sig := hmacSum(sha256.New, cred.StoredKey, []byte(authMsg))
	for i := range sig {
		sig[i] ^= proof[i]
	}
	if h := sha256.Sum256(sig); !bytes.Equal(h[:], cred.StoredKey) {
		t.Fatalf("H(ClientKey) %x != StoredKey %x", h, cred.StoredKey)
	}
	ss, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(v.s2, "v="))
	if got := hmacSum(sha256.New, cred.ServerKey, []byte(authMsg)); !bytes.Equal(got, ss) {
		t.Fatalf("ServerSignature %x, RFC %x", got, ss)
	}
}

func TestSCRAMInterop(t *testing.T) {
	for _, mech := range []string{SCRAMSHA256, SCRAMSHA1} {
		for user, pass := range testUsers {
			for _, authzid := range []string{"", "juliet@example.com", "a,b=c@example.com"} {
				for _, y := range []bool{false, true} {
					l := newLookup(t)
					m := mustServer(t, mech, l.lookup)
					if _, step, err := runXDG(t, m, mech, user, pass, authzid, y); err != nil {
						t.Errorf("%s %q authzid %q y=%v: step %d: %v", mech, user, authzid, y, step, err)
						continue
					}
					if m.Identity() != user || m.Authzid() != authzid {
						t.Errorf("%s: Identity, Authzid = %q, %q; want %q, %q", mech, m.Identity(), m.Authzid(), user, authzid)
					}
					if len(l.calls) != 1 || l.calls[0] != user+"|"+mech {
						t.Errorf("%s: lookups %q", mech, l.calls)
					}
				}
			}
		}
	}
}

func TestSCRAMWrongPassword(t *testing.T) {
	for _, mech := range []string{SCRAMSHA256, SCRAMSHA1} {
		m := mustServer(t, mech, newLookup(t).lookup)
		_, step, err := runXDG(t, m, mech, "juliet", "wrong", "", false)
		if step != 2 || !errors.Is(err, ErrNotAuthorized) {
			t.Errorf("%s: step %d err %v; want step 2 ErrNotAuthorized", mech, step, err)
		}
		if m.Identity() != "" {
			t.Errorf("Identity after failure = %q", m.Identity())
		}
		if _, _, err := m.Next(ctx, []byte("x")); !errors.Is(err, ErrMalformedRequest) {
			t.Errorf("Next after failure: %v", err)
		}
	}
}

var serverFirstRE = regexp.MustCompile(`^r=([!-+\--~]+),s=([A-Za-z0-9+/]+=*),i=([0-9]+)$`)

// TestSCRAMUnknownUser checks that an unknown user gets a server-first
// message of the same shape as a known one, with a salt that is stable for
// the username and secret, and fails only at the proof.
func TestSCRAMUnknownUser(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	for _, mech := range []string{SCRAMSHA256, SCRAMSHA1} {
		l := newLookup(t)
		known, _, err := runXDG(t, mustServer(t, mech, l.lookup, WithSecret(secret)), mech, "juliet", "wrong", "", false)
		if !errors.Is(err, ErrNotAuthorized) {
			t.Fatalf("known user, wrong password: %v", err)
		}
		var salts []string
		for range 2 {
			s1, step, err := runXDG(t, mustServer(t, mech, l.lookup, WithSecret(secret)), mech, "romeo", "pencil", "", false)
			if step != 2 || !errors.Is(err, ErrNotAuthorized) {
				t.Fatalf("%s unknown user: step %d err %v", mech, step, err)
			}
			if errors.Is(err, ErrUnknownUser) {
				t.Errorf("error wraps ErrUnknownUser: a careless server could leak it")
			}
			k, u := serverFirstRE.FindStringSubmatch(known), serverFirstRE.FindStringSubmatch(s1)
			if k == nil || u == nil {
				t.Fatalf("server-first shape: known %q unknown %q", known, s1)
			}
			if len(k[1]) != len(u[1]) || len(k[2]) != len(u[2]) || k[3] != u[3] {
				t.Errorf("distinguishable: known %q unknown %q", known, s1)
			}
			salts = append(salts, u[2])
		}
		if salts[0] != salts[1] {
			t.Errorf("fake salt not stable: %q %q", salts[0], salts[1])
		}
		other, _, _ := runXDG(t, mustServer(t, mech, l.lookup, WithSecret(secret)), mech, "mercutio", "x", "", false)
		if serverFirstRE.FindStringSubmatch(other)[2] == salts[0] {
			t.Errorf("two unknown users share a salt")
		}
		rekeyed, _, _ := runXDG(t, mustServer(t, mech, l.lookup, WithSecret([]byte("other"))), mech, "romeo", "x", "", false)
		if serverFirstRE.FindStringSubmatch(rekeyed)[2] == salts[0] {
			t.Errorf("fake salt does not depend on the secret")
		}
	}
}

func TestSCRAMUnusableCredential(t *testing.T) {
	good := testCreds(t)["juliet"][SCRAMSHA256]
	for name, c := range map[string]Credential{
		"zero":        {},
		"no salt":     {Iterations: 4096, StoredKey: good.StoredKey, ServerKey: good.ServerKey},
		"0 iter":      {Salt: good.Salt, StoredKey: good.StoredKey, ServerKey: good.ServerKey},
		"sha1 keys":   testCreds(t)["juliet"][SCRAMSHA1],
		"short store": {Salt: good.Salt, Iterations: 4096, StoredKey: good.StoredKey[:10], ServerKey: good.ServerKey},
	} {
		lookup := func(context.Context, string, string) (Credential, error) { return c, nil }
		_, step, err := runXDG(t, mustServer(t, SCRAMSHA256, lookup), SCRAMSHA256, "juliet", testUsers["juliet"], "", false)
		if step != 2 || !errors.Is(err, ErrNotAuthorized) {
			t.Errorf("%s: step %d err %v", name, step, err)
		}
	}
}

func TestSCRAMLookupError(t *testing.T) {
	boom := errors.New("database on fire")
	l := newLookup(t)
	l.err = boom
	m := mustServer(t, SCRAMSHA256, l.lookup)
	_, err := nextErr(m, "n,,n=juliet,r=abc")
	if !errors.Is(err, ErrTemporaryAuthFailure) || !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
	l.err = context.Canceled
	_, err = nextErr(mustServer(t, SCRAMSHA256, l.lookup), "n,,n=juliet,r=abc")
	if !errors.Is(err, ErrTemporaryAuthFailure) || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

func nextErr(m Mechanism, msg string) ([]byte, error) {
	out, _, err := m.Next(ctx, []byte(msg))
	return out, err
}

func TestSCRAMNoInitialResponse(t *testing.T) {
	m := mustServer(t, SCRAMSHA256, newLookup(t).lookup)
	out, done, err := m.Next(ctx, nil)
	if err != nil || done || out == nil || len(out) != 0 {
		t.Fatalf("empty initial response: %q %v %v", out, done, err)
	}
	if _, step, err := runXDG(t, m, SCRAMSHA256, "juliet", testUsers["juliet"], "", false); err != nil {
		t.Fatalf("step %d: %v", step, err)
	}
	m = mustServer(t, SCRAMSHA256, newLookup(t).lookup)
	m.Next(ctx, nil)
	if _, err := nextErr(m, ""); !errors.Is(err, ErrMalformedRequest) {
		t.Errorf("second empty message: %v", err)
	}
}

var badClientFirst = []string{
	"",
	"n",
	"n,",
	"n,,",
	"x,,n=user,r=abc",
	"N,,n=user,r=abc",
	"n,,,n=user,r=abc",
	"n,a=,n=user,r=abc",
	"n,a=x=,n=user,r=abc",
	"n,b=x,n=user,r=abc",
	"n,,n=,r=abc",
	"n,,n=us=er,r=abc",
	"n,,n=us=2c,r=abc",
	"n,,n=us=3,r=abc",
	"n,,n=us=,r=abc",
	"n,,n=user",
	"n,,n=user,",
	"n,,n=user,r=",
	"n,,n=user,r=a b",
	"n,,n=user,r=a\x7f",
	"n,,n=user,r=ab\xc3\xa9",
	"n,,r=abc,n=user",
	"n,,m=ext,n=user,r=abc",
	"n,,n=user,r=abc,",
	"n,,n=user,r=abc,x",
	"n,,n=user,r=abc,x=",
	"n,,n=user,r=abc,1=y",
	"n,,n=user,r=abc,r=def",
	"n,,n=user,r=abc,p=def",
	"n,,n=us\x00er,r=abc",
	"n,,n=\xff,r=abc",
	"n,,user,r=abc",
	" n,,n=user,r=abc",
	"n,,n=user,r=abc" + strings.Repeat("x", MaxMessageSize),
	"p=,,n=user,r=abc",
	"p=tls unique,,n=user,r=abc",
	"p=tls-unique,,n=user,r=abc",
	"p=tls-exporter,,n=user,r=abc",
}

func TestSCRAMMalformedClientFirst(t *testing.T) {
	for _, mech := range []string{SCRAMSHA256, SCRAMSHA1} {
		for _, msg := range badClientFirst {
			l := newLookup(t)
			m := mustServer(t, mech, l.lookup)
			if msg == "" {
				m.Next(ctx, nil) // the first empty message asks for a challenge
			}
			out, err := nextErr(m, msg)
			if !errors.Is(err, ErrMalformedRequest) || out != nil {
				t.Errorf("%s %.60q: %q, %v; want ErrMalformedRequest", mech, msg, out, err)
			}
			if len(l.calls) != 0 {
				t.Errorf("%.60q: lookup called", msg)
			}
		}
	}
	_, err := nextErr(mustServer(t, SCRAMSHA1, newLookup(t).lookup), "p=tls-unique,,n=user,r=abc")
	wantErr(t, "p=tls-unique", err, ErrChannelBindingUnsupported)
}

func TestSCRAMClientFirstAccepted(t *testing.T) {
	for msg, want := range map[string][2]string{
		"n,,n=user,r=abc":                    {"user", ""},
		"y,,n=user,r=abc":                    {"user", ""},
		"n,a=admin@example.com,n=user,r=abc": {"user", "admin@example.com"},
		"n,a=a=2Cb=3D,n=a=2Cb=3Dc,r=abc":     {"a,b=c", "a,b="},
		"n,,n=user,r=abc,x=ext,y=a=b":        {"user", ""},
		"n,,n=jürgen,r=!\"#$%&'()*+-./~":     {"jürgen", ""},
	} {
		var got string
		lookup := func(_ context.Context, u, _ string) (Credential, error) { got = u; return Credential{}, ErrUnknownUser }
		m := mustServer(t, SCRAMSHA256, lookup).(*scramServer)
		if out, err := nextErr(m, msg); err != nil || out == nil {
			t.Errorf("%q: %v", msg, err)
			continue
		}
		if got != want[0] || m.authzid != want[1] {
			t.Errorf("%q: username %q authzid %q, want %q", msg, got, m.authzid, want)
		}
	}
}

// startExchange returns a server after client-first "n,,n=juliet,r=abc",
// the full nonce, and a function computing a valid proof for a
// client-final-message-without-proof.
func startExchange(t *testing.T, gs2 string) (*scramServer, string, func(string) string) {
	t.Helper()
	cred := testCreds(t)["juliet"][SCRAMSHA256]
	m := mustServer(t, SCRAMSHA256, newLookup(t).lookup).(*scramServer)
	bare := "n=juliet,r=abc"
	s1, err := nextErr(m, gs2+bare)
	if err != nil {
		t.Fatal(err)
	}
	nonce := serverFirstRE.FindStringSubmatch(string(s1))[1]
	salted := hi(sha256.New, []byte(testUsers["juliet"]), cred.Salt, cred.Iterations)
	clientKey := hmacSum(sha256.New, salted, []byte("Client Key"))
	proof := func(withoutProof string) string {
		sig := hmacSum(sha256.New, cred.StoredKey, []byte(bare+","+string(s1)+","+withoutProof))
		for i := range sig {
			sig[i] ^= clientKey[i]
		}
		return base64.StdEncoding.EncodeToString(sig)
	}
	return m, nonce, proof
}

func TestSCRAMClientFinal(t *testing.T) {
	// Valid, with an extension and with the "y" flag.
	for _, tc := range []struct{ gs2, cb, ext string }{
		{"n,,", "biws", ""},
		{"n,,", "biws", ",x=ext,y=1"},
		{"y,,", "eSws", ""},
		{"n,a=admin,", base64.StdEncoding.EncodeToString([]byte("n,a=admin,")), ""},
	} {
		m, nonce, proof := startExchange(t, tc.gs2)
		wop := "c=" + tc.cb + ",r=" + nonce + tc.ext
		out, done, err := m.Next(ctx, []byte(wop+",p="+proof(wop)))
		if err != nil || !done || !strings.HasPrefix(string(out), "v=") {
			t.Errorf("%+v: %q %v %v", tc, out, done, err)
		}
	}

	type final struct {
		name string
		msg  func(nonce string, proof func(string) string) string
		want error
	}
	withProof := func(wop string, proof func(string) string) string { return wop + ",p=" + proof(wop) }
	for _, tc := range []final{
		{"empty", func(n string, p func(string) string) string { return "" }, ErrMalformedRequest},
		{"no c", func(n string, p func(string) string) string { return withProof("r="+n, p) }, ErrMalformedRequest},
		{"bad c b64", func(n string, p func(string) string) string { return withProof("c=biw,r="+n, p) }, ErrMalformedRequest},
		{"c with newline", func(n string, p func(string) string) string { return withProof("c=bi\nws,r="+n, p) }, ErrMalformedRequest},
		{"empty c", func(n string, p func(string) string) string { return withProof("c=,r="+n, p) }, ErrMalformedRequest},
		{"no r", func(n string, p func(string) string) string { return withProof("c=biws", p) }, ErrMalformedRequest},
		{"order", func(n string, p func(string) string) string { return withProof("r="+n+",c=biws", p) }, ErrMalformedRequest},
		{"no proof", func(n string, p func(string) string) string { return "c=biws,r=" + n }, ErrMalformedRequest},
		{"empty proof", func(n string, p func(string) string) string { return "c=biws,r=" + n + ",p=" }, ErrMalformedRequest},
		{"short proof", func(n string, p func(string) string) string { return "c=biws,r=" + n + ",p=AAAA" }, ErrMalformedRequest},
		{"bad proof b64", func(n string, p func(string) string) string { return "c=biws,r=" + n + ",p=A*==" }, ErrMalformedRequest},
		{"non-canonical b64", func(n string, p func(string) string) string {
			return "c=biws,r=" + n + ",p=" + nonCanonical(p("c=biws,r="+n))
		}, ErrMalformedRequest},
		{"proof not last", func(n string, p func(string) string) string { return withProof("c=biws,r="+n, p) + ",x=1" }, ErrMalformedRequest},
		{"trailing comma", func(n string, p func(string) string) string { return withProof("c=biws,r="+n, p) + "," }, ErrMalformedRequest},
		{"bad ext", func(n string, p func(string) string) string { return withProof("c=biws,r="+n+",x", p) }, ErrMalformedRequest},
		{"dup attr", func(n string, p func(string) string) string { return withProof("c=biws,r="+n+",c=biws", p) }, ErrMalformedRequest},
		{"NUL", func(n string, p func(string) string) string { return withProof("c=biws,r="+n+",x=\x00", p) }, ErrMalformedRequest},
		{"too big", func(n string, p func(string) string) string {
			return withProof("c=biws,r="+n+",x="+strings.Repeat("a", MaxMessageSize), p)
		}, ErrMalformedRequest},
		{"cbind mismatch", func(n string, p func(string) string) string { return withProof("c=eSws,r="+n, p) }, ErrNotAuthorized},
		{"nonce mismatch", func(n string, p func(string) string) string { return withProof("c=biws,r="+n+"x", p) }, ErrNotAuthorized},
		{"client nonce only", func(n string, p func(string) string) string { return withProof("c=biws,r=abc", p) }, ErrNotAuthorized},
		{"bad proof", func(n string, p func(string) string) string {
			return "c=biws,r=" + n + ",p=" + base64.StdEncoding.EncodeToString(make([]byte, 32))
		}, ErrNotAuthorized},
		{"proof of other message", func(n string, p func(string) string) string {
			return "c=biws,r=" + n + ",x=1,p=" + p("c=biws,r="+n)
		}, ErrNotAuthorized},
	} {
		m, nonce, proof := startExchange(t, "n,,")
		out, done, err := m.Next(ctx, []byte(tc.msg(nonce, proof)))
		if !errors.Is(err, tc.want) || done || out != nil {
			t.Errorf("%s: %q %v %v; want %v", tc.name, out, done, err, tc.want)
		}
		if m.Identity() != "" {
			t.Errorf("%s: Identity %q after failure", tc.name, m.Identity())
		}
	}
}

func TestNewServer(t *testing.T) {
	l := newLookup(t).lookup
	for _, mech := range Mechanisms {
		if _, err := NewServer(mech, l); err != nil {
			t.Errorf("NewServer(%q): %v", mech, err)
		}
	}
	for _, mech := range []string{"SCRAM-SHA-256-PLUS", "DIGEST-MD5", "SCRAM-SHA-512", "X_Y"} {
		_, err := NewServer(mech, l)
		wantErr(t, mech, err, ErrUnsupportedMechanism)
		wantErr(t, mech, err, ErrInvalidMechanism)
	}
	for _, mech := range []string{"", "plain", "scram-sha-1", "SCRAM SHA", strings.Repeat("A", 21)} {
		_, err := NewServer(mech, l)
		wantErr(t, mech, err, ErrInvalidMechanism)
		if errors.Is(err, ErrUnsupportedMechanism) {
			t.Errorf("%q: ErrUnsupportedMechanism for a malformed name", mech)
		}
	}
	if _, err := NewServer(Plain, nil); err == nil {
		t.Error("nil lookup accepted")
	}
}

func TestDeriveMatchesXDG(t *testing.T) {
	salt := []byte("0123456789abcdef")
	for _, mech := range []string{SCRAMSHA1, SCRAMSHA256} {
		c, _ := xdgHash(mech).NewClient("u", "pencil", "")
		want := c.GetStoredCredentials(scramKeyFactors(salt, 4096))
		got := DeriveCredential(hashFor(mech), "pencil", salt, 4096)
		if !bytes.Equal(got.StoredKey, want.StoredKey) || !bytes.Equal(got.ServerKey, want.ServerKey) {
			t.Errorf("%s: DeriveCredential differs from xdg-go/scram", mech)
		}
	}
}

// nonCanonical sets the unused low bits of the last character of a padded
// base64 string, which lenient decoders accept.
func nonCanonical(b64 string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	i := strings.IndexByte(b64, '=') - 1
	return b64[:i] + string(alphabet[strings.IndexByte(alphabet, b64[i])+1]) + b64[i+1:]
}

// TestConcurrentExchanges runs exchanges of every mechanism in parallel
// (for the race detector: the package shares only read-only state).
func TestConcurrentExchanges(t *testing.T) {
	testCreds(t)
	for i := range 8 {
		mech := Mechanisms[i%len(Mechanisms)]
		t.Run(mech, func(t *testing.T) {
			t.Parallel()
			m := mustServer(t, mech, newLookup(t).lookup)
			if mech == Plain {
				if _, done, err := m.Next(ctx, plainMsg("", "juliet", testUsers["juliet"])); err != nil || !done {
					t.Errorf("PLAIN: %v", err)
				}
				return
			}
			if _, step, err := runXDG(t, m, mech, "juliet", testUsers["juliet"], "", false); err != nil {
				t.Errorf("%s step %d: %v", mech, step, err)
			}
		})
	}
}
