package sasl

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"fmt"
	"hash"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
)

// DefaultIterations is the PBKDF2 iteration count NewCredential uses when
// given 0, for SCRAM-SHA-1 and SCRAM-SHA-256 alike.
//
// RFC 7677 §4 asks for at least 4096; we use exactly that. With stored keys
// a SCRAM login costs the server no PBKDF2 at all, so the count only sets
// (a) the client's cost per login (mobile clients that do not cache the
// salted password pay it every time), (b) the server's cost for a PLAIN
// login, which runs PBKDF2 once (about a millisecond of CPU at 4096 rounds
// of SHA-256, so a few hundred to a thousand PLAIN logins per second per
// core), and (c) an attacker's cost per guess against a stolen credential
// table. 4096 keeps (a) and (b) cheap enough for login storms after a
// restart, while (c) stays an offline brute-force against salted,
// iterated hashes. Raise it per deployment with NewCredential's iterations
// argument; existing credentials keep their own count.
const DefaultIterations = 4096

// MinIterations is the smallest iteration count NewCredential accepts
// (RFC 7677 §4).
const MinIterations = 4096

// SaltLen is the length in bytes of the random salts NewCredential makes
// and of the fake salts shown for unknown users.
const SaltLen = 16

// Credential is the server-side SCRAM state of one user for one hash
// function (RFC 5802 §3): the salt and iteration count sent to the client,
// StoredKey = H(ClientKey) and ServerKey. It has the same fields as
// store.SCRAMCredential, so the two convert into each other with a plain
// type conversion. The password itself is not recoverable from it.
type Credential struct {
	Salt       []byte
	Iterations int
	StoredKey  []byte
	ServerKey  []byte
}

// PreparePassword applies the PRECIS OpaqueString profile (RFC 8265 §4.2,
// which supersedes SASLprep for SCRAM and PLAIN) to a password. Errors wrap
// ErrInvalidPassword.
func PreparePassword(password string) (string, error) {
	if !utf8.ValidString(password) {
		return "", fmt.Errorf("%w: invalid UTF-8", ErrInvalidPassword)
	}
	p, err := precis.OpaqueString.String(password)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidPassword, err)
	}
	return p, nil
}

// NewCredential makes a credential for password with a fresh random salt
// of SaltLen bytes from crypto/rand. The password is prepared with
// PreparePassword first. iterations 0 means DefaultIterations; below
// MinIterations is an error. h is sha1.New for SCRAM-SHA-1 or sha256.New
// for SCRAM-SHA-256.
func NewCredential(h func() hash.Hash, password string, iterations int) (Credential, error) {
	if iterations == 0 {
		iterations = DefaultIterations
	}
	if iterations < MinIterations {
		return Credential{}, fmt.Errorf("sasl: iteration count %d below minimum %d", iterations, MinIterations)
	}
	p, err := PreparePassword(password)
	if err != nil {
		return Credential{}, err
	}
	salt := make([]byte, SaltLen)
	rand.Read(salt) // never fails (crypto/rand crashes the program instead)
	return DeriveCredential(h, p, salt, iterations), nil
}

// DeriveCredential computes the credential for an already prepared
// password (see PreparePassword), salt and iteration count:
//
//	SaltedPassword = Hi(password, salt, iterations)   (PBKDF2-HMAC-H)
//	StoredKey      = H(HMAC(SaltedPassword, "Client Key"))
//	ServerKey      = HMAC(SaltedPassword, "Server Key")
//
// It panics if iterations < 1. The salt is copied.
func DeriveCredential(h func() hash.Hash, password string, salt []byte, iterations int) Credential {
	salted := hi(h, []byte(password), salt, iterations)
	return Credential{
		Salt:       bytes.Clone(salt),
		Iterations: iterations,
		StoredKey:  storedKey(h, salted),
		ServerKey:  hmacSum(h, salted, []byte("Server Key")),
	}
}

// hi is RFC 5802's Hi function: PBKDF2 with HMAC-H as PRF and the hash
// size as output length (a single PBKDF2 block).
func hi(h func() hash.Hash, password, salt []byte, iterations int) []byte {
	if iterations < 1 {
		panic("sasl: iteration count must be at least 1")
	}
	if testHookDerive != nil {
		testHookDerive(iterations)
	}
	prf := hmac.New(h, password)
	prf.Write(salt)
	prf.Write([]byte{0, 0, 0, 1})
	u := prf.Sum(nil)
	out := bytes.Clone(u)
	for i := 1; i < iterations; i++ {
		prf.Reset()
		prf.Write(u)
		u = prf.Sum(u[:0])
		for j := range out {
			out[j] ^= u[j]
		}
	}
	return out
}

// testHookDerive, set by tests, sees every key derivation: what a
// login costs, which must not depend on whether the user exists.
var testHookDerive func(iterations int)

// storedKey returns H(HMAC(salted, "Client Key")).
func storedKey(h func() hash.Hash, salted []byte) []byte {
	d := h()
	d.Write(hmacSum(h, salted, []byte("Client Key")))
	return d.Sum(nil)
}

// hmacSum returns HMAC-H(key, msg).
func hmacSum(h func() hash.Hash, key, msg []byte) []byte {
	m := hmac.New(h, key)
	m.Write(msg)
	return m.Sum(nil)
}

// usable reports whether c can be used with a hash of the given size.
func (c Credential) usable(size int) bool {
	return c.Iterations >= 1 && len(c.Salt) > 0 && len(c.StoredKey) == size && len(c.ServerKey) == size
}
