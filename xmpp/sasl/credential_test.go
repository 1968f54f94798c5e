package sasl

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/xdg-go/scram"
)

func scramKeyFactors(salt []byte, iters int) scram.KeyFactors {
	return scram.KeyFactors{Salt: string(salt), Iters: iters}
}

func TestHiIsPBKDF2(t *testing.T) {
	for _, iters := range []int{1, 2, 4096} {
		for _, h := range []struct {
			name string
			got  []byte
			want []byte
		}{
			{"sha1", hi(sha1.New, []byte("pencil"), []byte("salt"), iters), must(pbkdf2.Key(sha1.New, "pencil", []byte("salt"), iters, sha1.Size))},
			{"sha256", hi(sha256.New, []byte("pencil"), []byte("salt"), iters), must(pbkdf2.Key(sha256.New, "pencil", []byte("salt"), iters, sha256.Size))},
		} {
			if !bytes.Equal(h.got, h.want) {
				t.Errorf("%s %d: hi %x, pbkdf2 %x", h.name, iters, h.got, h.want)
			}
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestNewCredential(t *testing.T) {
	a, err := NewCredential(sha256.New, "pass\u00a0word", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Salt) != SaltLen || a.Iterations != DefaultIterations || len(a.StoredKey) != sha256.Size || len(a.ServerKey) != sha256.Size {
		t.Fatalf("credential %+v", a)
	}
	// The password is prepared (NBSP -> SPACE) before derivation.
	if d := DeriveCredential(sha256.New, "pass word", a.Salt, a.Iterations); !bytes.Equal(d.StoredKey, a.StoredKey) {
		t.Error("NewCredential does not prepare the password")
	}
	b, _ := NewCredential(sha256.New, "pass\u00a0word", 0)
	if bytes.Equal(a.Salt, b.Salt) || bytes.Equal(a.StoredKey, b.StoredKey) {
		t.Error("salt not random")
	}
	c, err := NewCredential(sha1.New, "x", 10000)
	if err != nil || c.Iterations != 10000 || len(c.StoredKey) != sha1.Size {
		t.Errorf("sha1 10000: %+v %v", c, err)
	}
	if _, err := NewCredential(sha256.New, "x", 4095); err == nil {
		t.Error("4095 iterations accepted")
	}
	for _, p := range []string{"", "a\x00b", "a\u0007", "\xff"} {
		if _, err := NewCredential(sha256.New, p, 0); !errors.Is(err, ErrInvalidPassword) {
			t.Errorf("password %q: %v", p, err)
		}
	}
}

func TestDeriveCredentialCopiesSalt(t *testing.T) {
	salt := []byte("0123456789abcdef")
	c := DeriveCredential(sha256.New, "p", salt, 1)
	salt[0] = 'X'
	if c.Salt[0] != '0' {
		t.Error("salt aliased")
	}
	defer func() {
		if recover() == nil {
			t.Error("iterations 0 did not panic")
		}
	}()
	DeriveCredential(sha256.New, "p", salt, 0)
}
