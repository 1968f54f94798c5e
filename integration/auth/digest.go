package auth

import (
	"context"
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
)

// DigestParams are the guest chat context parameters that enter a
// tokenDigest (seed 001 chapter 4, "Compute the Request Hash Key"),
// those present in a request.
var DigestParams = []string{"r_fromUserJID", "r_toJID", "r_groupJID"}

// TokenDigest computes the guest chat tokenDigest of a GUESTCHAT token
// (SPEC-NOTES, "Guest chat tokenDigest"):
//
//	attributeString = "<name><value>" for each non-empty DigestParams entry
//	                  of params, in ascending byte order of name
//	md5             = upper-case hex MD5 of "<token><" + token + ">" + attributeString
//	tokenDigest     = upper-case hex of the bytes of
//	                  tokenID + "_<digest><" + md5 + ">" + attributeString
//
// Other entries of params are ignored.
func TokenDigest(tokenID int64, token string, params map[string]string) string {
	attrs := digestAttributes(params)
	sum := md5.Sum([]byte("<token><" + token + ">" + attrs))
	md := strings.ToUpper(hex.EncodeToString(sum[:]))
	return strings.ToUpper(hex.EncodeToString([]byte(strconv.FormatInt(tokenID, 10) + "_<digest><" + md + ">" + attrs)))
}

func digestAttributes(params map[string]string) string {
	names := make([]string, 0, len(DigestParams))
	for _, n := range DigestParams {
		if params[n] != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString("<" + n + "><" + params[n] + ">")
	}
	return b.String()
}

// VerifyTokenDigest checks a guest chat request: the token named by
// tokenID must be live and carry the GUESTCHAT policy, and digest
// (hex, either case) must be TokenDigest of it and params, compared in
// constant time. It returns the token; any failure is ErrInvalidToken,
// without saying which check failed.
func (s *Service) VerifyTokenDigest(ctx context.Context, tokenID int64, digest string, params map[string]string) (Token, error) {
	t, err := s.ByID(ctx, tokenID)
	if err != nil {
		return Token{}, err
	}
	want := TokenDigest(t.ID, t.Value, params)
	ok := subtle.ConstantTimeCompare([]byte(strings.ToUpper(strings.TrimSpace(digest))), []byte(want)) == 1
	if !ok || !t.HasPolicy(PolicyGuestChat) {
		return Token{}, ErrInvalidToken
	}
	return t, nil
}
