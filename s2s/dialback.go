package s2s

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
)

// dialbackKey is the key this server (authoritative for originating)
// gives for a stream it opened to receiving (XEP-0185):
// HMAC-SHA256(SHA256(secret) in hex, receiving + " " + originating + " " + streamID), in hex.
// Only this server checks it, so only its secret needs to stay private.
func (s *Service) dialbackKey(receiving, originating, streamID string) string {
	sum := sha256.Sum256(s.secret)
	mac := hmac.New(sha256.New, []byte(hex.EncodeToString(sum[:])))
	mac.Write([]byte(receiving + " " + originating + " " + streamID))
	return hex.EncodeToString(mac.Sum(nil))
}

// dialbackValid compares a key another server shows us with ours, in
// constant time.
func (s *Service) dialbackValid(key, receiving, originating, streamID string) bool {
	want := s.dialbackKey(receiving, originating, streamID)
	return subtle.ConstantTimeCompare([]byte(key), []byte(want)) == 1
}
