package presence

import (
	"errors"
	"fmt"
	"net/url"
	"unicode"
	"unicode/utf8"
)

// Query strictness. K1 digests "<NAME><value>" pairs with a secret
// prefix (SHA-1 or MD5 of "<TOKEN><token>..."), so it is only as good
// as the encoding is unambiguous and the digest not extendable. Both
// hold only when no name or value can contain '<' or '>' (which would
// let one parameter pose as several) or the bytes of an MD padding
// (0x80, then NULs and the bit length), and when the server reads
// exactly what was signed: one value per name, no alias beside its R_
// name (the first non-empty one would win, and an empty one is not
// signed at all), no name the endpoint does not know. Every query is
// checked against these rules before K1 is, and a query that breaks
// one is refused whatever it is signed with.

// errQuery is why a query was refused before its K1 was checked.
var errQuery = errors.New("presence: query refused")

// queryRules is an endpoint's allow-list: every parameter name it
// accepts, mapped to its group (a name and its aliases share a group,
// and a query may use one name of each group, once).
type queryRules map[string]string

// presenceURLRules are the presence URL's parameters (seed 001 chapters
// 3 and 4, with the unprefixed aliases), and ts, the documented
// parameter that makes a URL differ without changing its answer.
var presenceURLRules = queryRules{
	"TID": "TID", "R_TID": "TID",
	"K1": "K1", "R_K1": "K1",
	"R_UID": "UID", "UID": "UID",
	"R_MODE": "MODE", "MODE": "MODE",
	"R_OP": "OP", "OP": "OP",
	"R_RES": "RES", "RES": "RES",
	"R_SIZE": "SIZE", "SIZE": "SIZE",
	"ts": "ts",
}

// statusRules are the seed-004 endpoint's parameters, the proof (token,
// or TID and K1) and ts.
var statusRules = func() queryRules {
	r := queryRules{}
	for _, n := range []string{"jid", "type", "req_jid", "images", "size", "token", "TID", "K1", "ts"} {
		r[n] = n
	}
	for _, st := range stateParams {
		r[string(st)] = string(st)
	}
	return r
}()

// parseQuery parses a raw query string under the rules: the values, or
// errQuery wrapped with the reason (for the operator's log; the reason
// names only the query's own syntax, nothing secret).
func parseQuery(raw string, rules queryRules) (url.Values, error) {
	v, err := url.ParseQuery(raw)
	if err != nil {
		return v, fmt.Errorf("%w: malformed query string", errQuery)
	}
	used := make(map[string]string, len(v))
	for name, vals := range v {
		group, ok := rules[name]
		if !ok {
			return v, fmt.Errorf("%w: unknown parameter %q", errQuery, printable(name))
		}
		if len(vals) != 1 {
			return v, fmt.Errorf("%w: parameter %s given %d times", errQuery, name, len(vals))
		}
		if other, dup := used[group]; dup {
			return v, fmt.Errorf("%w: parameters %s and %s are the same parameter", errQuery, other, name)
		}
		used[group] = name
		if !cleanValue(vals[0]) {
			return v, fmt.Errorf("%w: the value of %s is not UTF-8 or holds '<', '>' or a control character", errQuery, name)
		}
	}
	return v, nil
}

// cleanValue reports whether s is valid UTF-8 without '<', '>' and
// control characters (C0, DEL and C1).
func cleanValue(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == '<' || r == '>' || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// printable cuts a name to at most 32 bytes for a message (%q quotes
// the rest).
func printable(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}
