package presence

import (
	"crypto/md5"
	"crypto/sha1"
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
// enters with each non-empty value, in the order given.
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

// K1 returns the SHA-1 form of K1 for the parameters: 40 upper-case hex
// digits.
func K1(token string, params url.Values) string {
	sum := sha1.Sum([]byte(K1Message(token, params)))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// K1MD5 returns the MD5 form of K1 (the seed's sample code uses MD5):
// 32 upper-case hex digits.
func K1MD5(token string, params url.Values) string {
	sum := md5.Sum([]byte(K1Message(token, params)))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// VerifyK1 reports whether k1 is the SHA-1 (40 hex digits) or MD5 (32
// hex digits) digest of the parameters' K1 message for token; the
// algorithm is chosen by length, hex case is ignored and the comparison
// takes constant time for a given length.
func VerifyK1(token string, params url.Values, k1 string) bool {
	got, err := hex.DecodeString(k1)
	if err != nil {
		return false
	}
	msg := []byte(K1Message(token, params))
	var want []byte
	switch len(got) {
	case sha1.Size:
		s := sha1.Sum(msg)
		want = s[:]
	case md5.Size:
		s := md5.Sum(msg)
		want = s[:]
	default:
		return false
	}
	return subtle.ConstantTimeCompare(got, want) == 1
}
