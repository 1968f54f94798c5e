package presence

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
)

// unsigned are the parameters K1 does not cover: itself and the token ID.
var unsigned = map[string]bool{"K1": true, "TID": true, "R_K1": true, "R_TID": true}

// K1Message builds the message the presence URL's K1 digests
// (SPEC-NOTES): "<TOKEN><token>" followed by "<NAME><value>" for every
// parameter with a non-empty value except K1 and TID (and their
// chapter-4 spellings R_K1 and R_TID), in ascending byte order of NAME
// (names as they appear in the URL, so the aliases UID, MODE, OP and RES
// sign as themselves). A parameter given more than once
// enters with each non-empty value, in the order given (the endpoints
// refuse such queries before they check K1: see parseQuery).
func K1Message(token string, params url.Values) string {
	names := make([]string, 0, len(params))
	for name := range params {
		if unsigned[name] {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString("<TOKEN><")
	b.WriteString(token)
	b.WriteString(">")
	for _, name := range names {
		for _, v := range params[name] {
			if v == "" {
				continue
			}
			b.WriteString("<")
			b.WriteString(name)
			b.WriteString("><")
			b.WriteString(v)
			b.WriteString(">")
		}
	}
	return b.String()
}

// StatusK1Message is the message a signed query of the seed-004
// endpoint (/plugins/presence/status) digests: the presence URL's K1
// message after the endpoint marker "<ENDPOINT><status>". No presence
// URL message starts with the marker, so a K1 made for /imtapp/Presence
// is never a valid proof on the status endpoint, nor the reverse.
func StatusK1Message(token string, params url.Values) string {
	return statusMarker + K1Message(token, params)
}

// statusMarker separates the status endpoint's signatures from the
// presence URL's.
const statusMarker = "<ENDPOINT><status>"

// K1 returns the SHA-1 form of K1 for the parameters: 40 upper-case hex
// digits.
func K1(token string, params url.Values) string {
	return digest(sha1Form, token, K1Message(token, params))
}

// K1MD5 returns the MD5 form of K1 (the seed's sample code uses MD5):
// 32 upper-case hex digits.
func K1MD5(token string, params url.Values) string {
	return digest(md5Form, token, K1Message(token, params))
}

// K1HMAC returns the HMAC-SHA-256 form of K1, Parley's addition: the
// same message, with the token as the HMAC key; 64 upper-case hex
// digits. Unlike the seed's forms it does not rest on the query checks
// to resist length extension.
func K1HMAC(token string, params url.Values) string {
	return digest(hmacForm, token, K1Message(token, params))
}

// StatusK1 returns the SHA-1 form of a status endpoint signature
// (StatusK1Message): 40 upper-case hex digits.
func StatusK1(token string, params url.Values) string {
	return digest(sha1Form, token, StatusK1Message(token, params))
}

// StatusK1HMAC returns the HMAC-SHA-256 form of a status endpoint
// signature: 64 upper-case hex digits.
func StatusK1HMAC(token string, params url.Values) string {
	return digest(hmacForm, token, StatusK1Message(token, params))
}

// The digest forms, told apart by their length.
const (
	md5Form  = md5.Size
	sha1Form = sha1.Size
	hmacForm = sha256.Size
)

// sum is the form's digest of msg (the token is the HMAC key).
func sum(form int, token, msg string) []byte {
	switch form {
	case sha1Form:
		s := sha1.Sum([]byte(msg))
		return s[:]
	case md5Form:
		s := md5.Sum([]byte(msg))
		return s[:]
	case hmacForm:
		m := hmac.New(sha256.New, []byte(token))
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	return nil
}

func digest(form int, token, msg string) string {
	return strings.ToUpper(hex.EncodeToString(sum(form, token, msg)))
}

// VerifyK1 reports whether k1 is the SHA-1 (40 hex digits), MD5 (32)
// or HMAC-SHA-256 (64) digest of the parameters' K1 message for token;
// the form is chosen by length, hex case is ignored and the comparison
// takes constant time for a given length. It checks the digest only:
// the endpoints first refuse queries whose encoding is ambiguous (see
// parseQuery), which is what makes the seed's forms safe to check.
func VerifyK1(token string, params url.Values, k1 string) bool {
	return verify(token, K1Message(token, params), k1)
}

// VerifyStatusK1 is VerifyK1 for the status endpoint's message
// (StatusK1Message).
func VerifyStatusK1(token string, params url.Values, k1 string) bool {
	return verify(token, StatusK1Message(token, params), k1)
}

func verify(token, msg, k1 string) bool {
	got, err := hex.DecodeString(k1)
	if err != nil {
		return false
	}
	want := sum(len(got), token, msg)
	return want != nil && subtle.ConstantTimeCompare(got, want) == 1
}
