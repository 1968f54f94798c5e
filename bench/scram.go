package bench

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// scramCache keeps salted passwords by (password, salt, iterations), so
// that accounts provisioned with a shared salt (parley bench provision)
// cost the generator one PBKDF2 in total instead of one per login: the
// login storm then measures the server, not the client's key stretching.
type scramCache struct{ m sync.Map }

func (sc *scramCache) salted(password, salt string, iter int) []byte {
	key := password + "\x00" + salt + "\x00" + strconv.Itoa(iter)
	if sc != nil {
		if v, ok := sc.m.Load(key); ok {
			return v.([]byte)
		}
	}
	sp, _ := pbkdf2.Key(sha256.New, password, []byte(salt), iter, sha256.Size)
	if sc != nil {
		sc.m.Store(key, sp)
	}
	return sp
}

// scramClient is the client side of SCRAM-SHA-256 without channel
// binding (RFC 5802, RFC 7677).
type scramClient struct {
	user, password string
	cache          *scramCache
	nonce          string
	authMessage    string
	serverKey      []byte
}

func newSCRAMClient(user, password string, cache *scramCache) *scramClient {
	b := make([]byte, 18)
	rand.Read(b)
	user = strings.NewReplacer("=", "=3D", ",", "=2C").Replace(user)
	return &scramClient{user: user, password: password, cache: cache, nonce: base64.RawStdEncoding.EncodeToString(b)}
}

func (s *scramClient) bare() string { return "n=" + s.user + ",r=" + s.nonce }

func (s *scramClient) first() string { return "n,," + s.bare() }

func (s *scramClient) final(serverFirst string) (string, error) {
	var nonce, salt string
	iter := 0
	for _, f := range strings.Split(serverFirst, ",") {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "r":
			nonce = v
		case "s":
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				return "", fmt.Errorf("scram: bad salt: %w", err)
			}
			salt = string(b)
		case "i":
			iter, _ = strconv.Atoi(v)
		}
	}
	if !strings.HasPrefix(nonce, s.nonce) || salt == "" || iter <= 0 {
		return "", errors.New("scram: bad server-first message: " + serverFirst)
	}
	sp := s.cache.salted(s.password, salt, iter)
	withoutProof := "c=biws,r=" + nonce
	s.authMessage = s.bare() + "," + serverFirst + "," + withoutProof
	clientKey := mac(sp, "Client Key")
	stored := sha256.Sum256(clientKey)
	sig := mac(stored[:], s.authMessage)
	for i := range clientKey {
		clientKey[i] ^= sig[i]
	}
	s.serverKey = mac(sp, "Server Key")
	return withoutProof + ",p=" + base64.StdEncoding.EncodeToString(clientKey), nil
}

func (s *scramClient) verify(serverFinal string) error {
	v, ok := strings.CutPrefix(serverFinal, "v=")
	if !ok {
		return errors.New("scram: bad server-final message: " + serverFinal)
	}
	got, err := base64.StdEncoding.DecodeString(v)
	if err != nil || !hmac.Equal(got, mac(s.serverKey, s.authMessage)) {
		return errors.New("scram: wrong server signature")
	}
	return nil
}

func mac(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}
