package jid

import (
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/secure/precis"
)

// localForbidden are the characters RFC 7622 §3.3.1 excludes from
// localparts on top of the PRECIS IdentifierClass.
const localForbidden = `"&'/:<>@`

// idnaProfile is UTS #46 lookup processing (case and width mapping, NFC,
// IDNA2008 validity, STD3 ASCII rules, hyphen and joiner rules, Bidi rule,
// DNS length limits), non-transitional so "ß" stays "ß".
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.BidiRule(),
	idna.VerifyDNSLength(true),
)

// labelSeparators are the runes UTS #46 maps to the label separator ".";
// one of them may end a fully qualified domain name and is stripped.
var labelSeparators = [...]string{".", "\u3002", "\uff0e", "\uff61"}

// prepLocal validates and normalizes a non-empty localpart.
func prepLocal(s string) (string, error) {
	if out, ok := fastLocal(s); ok {
		return out, nil
	}
	return slowLocal(s)
}

// fastLocal handles printable ASCII localparts, for which
// UsernameCaseMapped reduces to ASCII lowercasing. ok is false when the
// input needs the full treatment (which may still accept it).
func fastLocal(s string) (out string, ok bool) {
	if s == "" || len(s) > MaxPartLen {
		return "", false
	}
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case 'A' <= c && c <= 'Z':
			upper = true
		case c <= ' ' || c >= 0x7f || strings.IndexByte(localForbidden, c) >= 0:
			return "", false
		}
	}
	if upper {
		return strings.ToLower(s), true
	}
	return s, true
}

// slowLocal enforces the PRECIS UsernameCaseMapped profile (RFC 8265
// §3.3) and the RFC 7622 localpart restrictions.
func slowLocal(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", invalid("localpart", "invalid UTF-8")
	}
	out, err := precis.UsernameCaseMapped.String(s)
	if err != nil {
		return "", invalidErr("localpart", err)
	}
	if len(out) > MaxPartLen {
		return "", invalid("localpart", "longer than 1023 bytes")
	}
	if strings.ContainsAny(out, localForbidden) {
		return "", invalid("localpart", `contains one of " & ' / : < > @`)
	}
	return out, nil
}

// prepResource validates and normalizes a non-empty resourcepart.
func prepResource(s string) (string, error) {
	if fastResource(s) {
		return s, nil
	}
	return slowResource(s)
}

// fastResource reports whether s is printable ASCII (space included), which
// OpaqueString leaves unchanged.
func fastResource(s string) bool {
	if s == "" || len(s) > MaxPartLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// slowResource enforces the PRECIS OpaqueString profile (RFC 8265 §4.2).
func slowResource(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", invalid("resourcepart", "invalid UTF-8")
	}
	out, err := precis.OpaqueString.String(s)
	if err != nil {
		return "", invalidErr("resourcepart", err)
	}
	if len(out) > MaxPartLen {
		return "", invalid("resourcepart", "longer than 1023 bytes")
	}
	return out, nil
}

// prepDomain validates and normalizes a domainpart.
func prepDomain(s string) (string, error) {
	if s == "" {
		return "", invalid("domainpart", "empty")
	}
	if s[0] == '[' {
		return prepIPv6(s)
	}
	if out, ok := fastDomain(s); ok {
		return out, nil
	}
	return slowDomain(s)
}

// prepIPv6 validates a bracketed IPv6 literal (RFC 3986 IP-literal without
// IPvFuture or zones) and returns its canonical RFC 5952 form.
func prepIPv6(s string) (string, error) {
	if len(s) < 2 || s[len(s)-1] != ']' {
		return "", invalid("domainpart", "unterminated IP literal")
	}
	a, err := netip.ParseAddr(s[1 : len(s)-1])
	if err != nil || !a.Is6() || a.Zone() != "" {
		return "", invalid("domainpart", "bad IPv6 literal")
	}
	if out := a.String(); out != s[1:len(s)-1] {
		return "[" + out + "]", nil
	}
	return s, nil
}

// fastDomain handles ASCII host names made of letter-digit-hyphen labels
// (and IPv4 addresses), for which UTS #46 processing reduces to ASCII
// lowercasing. It refuses, rather than rejects, anything else: A-labels
// ("xn--"), reserved hyphens, bad lengths and non-LDH characters go to
// slowDomain.
func fastDomain(s string) (out string, ok bool) {
	d := strings.TrimSuffix(s, ".")
	if d == "" || len(d) > 253 {
		return "", false
	}
	upper := false
	start := 0
	for i := 0; i <= len(d); i++ {
		if i == len(d) || d[i] == '.' {
			l := d[start:i]
			if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' ||
				len(l) >= 4 && l[2] == '-' && l[3] == '-' {
				return "", false
			}
			start = i + 1
			continue
		}
		switch c := d[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-':
		case 'A' <= c && c <= 'Z':
			upper = true
		default:
			return "", false
		}
	}
	if upper {
		return strings.ToLower(d), true
	}
	return d, true
}

// slowDomain applies IDNA (UTS #46 lookup processing with DNS length
// checks) and returns the U-label form.
func slowDomain(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", invalid("domainpart", "invalid UTF-8")
	}
	d := s
	for _, sep := range labelSeparators {
		if strings.HasSuffix(d, sep) {
			d = d[:len(d)-len(sep)]
			break
		}
	}
	if d == "" {
		return "", invalid("domainpart", "empty")
	}
	a, err := idnaProfile.ToASCII(d)
	if err != nil {
		return "", invalidErr("domainpart", err)
	}
	u, err := idnaProfile.ToUnicode(a)
	if err != nil {
		return "", invalidErr("domainpart", err)
	}
	if u == "" || strings.HasSuffix(u, ".") {
		return "", invalid("domainpart", "empty label")
	}
	if len(u) > MaxPartLen {
		return "", invalid("domainpart", "longer than 1023 bytes")
	}
	return u, nil
}
