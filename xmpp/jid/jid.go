// Package jid implements XMPP addresses (JIDs) as defined by RFC 7622.
//
// A JID has the form [ localpart "@" ] domainpart [ "/" resourcepart ].
// Parse and New validate and normalize every part:
//
//   - the localpart is enforced with the PRECIS UsernameCaseMapped profile
//     (RFC 8265) and must not contain any of the characters " & ' / : < > @;
//   - the domainpart is an IP literal (IPv4 or a bracketed IPv6 address, the
//     latter in its RFC 5952 canonical form) or a domain name processed with
//     IDNA2008 / UTS #46 (lookup mapping, Bidi rule, hyphen rules, DNS
//     lengths) and kept in its U-label (Unicode) form, lowercase, without a
//     trailing dot;
//   - the resourcepart is enforced with the PRECIS OpaqueString profile.
//
// Each part is at most 1023 bytes once normalized. A "@" or "/" that is
// present must be followed (resp. preceded) by a non-empty part.
//
// The common case, an ASCII JID, is checked byte by byte without running
// the PRECIS and IDNA machinery; the fast path accepts exactly the strings
// for which that machinery would return its input unchanged (modulo ASCII
// lowercasing of the localpart and domainpart) and defers everything else to
// it, so both paths always agree (FuzzParse checks this).
//
// A JID is a small comparable value: it holds its normalized string form
// and two offsets, so == and map keys work, equal JIDs compare equal, and
// String never allocates.
package jid

import (
	"encoding"
	"strings"
)

// MaxPartLen is the maximum length in bytes of each normalized part of a
// JID (RFC 7622 §3.2–§3.4).
const MaxPartLen = 1023

// maxInputLen bounds the raw input handed to the normalizers. Mapping may
// shrink a part (full-width characters fold to ASCII), so a raw part may be
// longer than MaxPartLen, but nothing legitimate comes close to this.
const maxInputLen = 4 * (3*MaxPartLen + 2)

// JID is a validated, normalized XMPP address. The zero value is the empty
// JID (IsZero reports true); it is not a valid address.
//
// JIDs are comparable with == (which is equivalent to Equal) and may be
// used as map keys.
type JID struct {
	s   string // normalized "local@domain/resource"
	dom uint16 // start of the domainpart in s (0 when there is no localpart)
	res uint16 // end of the domainpart in s (len(s) when there is no resource)
}

var (
	_ encoding.TextMarshaler   = JID{}
	_ encoding.TextUnmarshaler = (*JID)(nil)
)

// Parse parses and normalizes a JID in its string form. Errors wrap
// ErrInvalid.
func Parse(s string) (JID, error) {
	if len(s) > maxInputLen {
		return JID{}, invalid("jid", "too long")
	}
	rest, resource := s, ""
	if i := strings.IndexByte(s, '/'); i >= 0 {
		rest, resource = s[:i], s[i+1:]
		if resource == "" {
			return JID{}, invalid("resourcepart", "empty after '/'")
		}
	}
	local, domain := "", rest
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		local, domain = rest[:i], rest[i+1:]
		if local == "" {
			return JID{}, invalid("localpart", "empty before '@'")
		}
	}
	nl, nd, nr, err := normalize(local, domain, resource)
	if err != nil {
		return JID{}, err
	}
	// Already normalized input: keep the caller's string, no allocation.
	if nl == local && nd == domain && nr == resource {
		return fromParts(s, len(local), len(domain)), nil
	}
	return build(nl, nd, nr), nil
}

// MustParse is like Parse but panics if s is not a valid JID. It is meant
// for constants in tests and initializers.
func MustParse(s string) JID {
	j, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return j
}

// New builds a JID from its parts, validating and normalizing each. An
// empty local or resource means that part is absent; the domain is
// required. Errors wrap ErrInvalid.
func New(local, domain, resource string) (JID, error) {
	if len(local) > maxInputLen || len(domain) > maxInputLen || len(resource) > maxInputLen {
		return JID{}, invalid("jid", "too long")
	}
	nl, nd, nr, err := normalize(local, domain, resource)
	if err != nil {
		return JID{}, err
	}
	return build(nl, nd, nr), nil
}

// normalize validates and normalizes the parts; local and resource may be
// empty (absent).
func normalize(local, domain, resource string) (nl, nd, nr string, err error) {
	if local != "" {
		if nl, err = prepLocal(local); err != nil {
			return "", "", "", err
		}
	}
	if nd, err = prepDomain(domain); err != nil {
		return "", "", "", err
	}
	if resource != "" {
		if nr, err = prepResource(resource); err != nil {
			return "", "", "", err
		}
	}
	return nl, nd, nr, nil
}

// build joins normalized parts with a single allocation.
func build(local, domain, resource string) JID {
	n := len(domain)
	if local != "" {
		n += len(local) + 1
	}
	if resource != "" {
		n += len(resource) + 1
	}
	var b strings.Builder
	b.Grow(n)
	if local != "" {
		b.WriteString(local)
		b.WriteByte('@')
	}
	b.WriteString(domain)
	if resource != "" {
		b.WriteByte('/')
		b.WriteString(resource)
	}
	return fromParts(b.String(), len(local), len(domain))
}

// fromParts returns the JID for the normalized string s whose localpart
// and domainpart have the given lengths.
func fromParts(s string, localLen, domainLen int) JID {
	dom := 0
	if localLen > 0 {
		dom = localLen + 1
	}
	return JID{s: s, dom: uint16(dom), res: uint16(dom + domainLen)}
}

// Local returns the localpart, or "" if there is none.
func (j JID) Local() string {
	if j.dom == 0 {
		return ""
	}
	return j.s[:j.dom-1]
}

// Domain returns the domainpart.
func (j JID) Domain() string { return j.s[j.dom:j.res] }

// Resource returns the resourcepart, or "" if there is none.
func (j JID) Resource() string {
	if int(j.res) >= len(j.s) {
		return ""
	}
	return j.s[j.res+1:]
}

// Bare returns the JID without its resourcepart ("local@domain").
func (j JID) Bare() JID {
	return JID{s: j.s[:j.res], dom: j.dom, res: j.res}
}

// DomainJID returns the JID made of the domainpart alone.
func (j JID) DomainJID() JID {
	return JID{s: j.s[j.dom:j.res], res: j.res - j.dom}
}

// IsZero reports whether j is the zero (empty) JID.
func (j JID) IsZero() bool { return j.s == "" }

// IsBare reports whether j has no resourcepart.
func (j JID) IsBare() bool { return int(j.res) == len(j.s) }

// String returns the normalized string form "local@domain/resource"
// (without the absent parts). It does not allocate.
func (j JID) String() string { return j.s }

// WithResource returns j's bare JID with the resourcepart r, validated and
// normalized. An empty r yields the bare JID. Errors wrap ErrInvalid.
func (j JID) WithResource(r string) (JID, error) {
	if j.IsZero() {
		return JID{}, invalid("jid", "zero JID has no domainpart")
	}
	if r == "" {
		return j.Bare(), nil
	}
	if len(r) > maxInputLen {
		return JID{}, invalid("resourcepart", "too long")
	}
	nr, err := prepResource(r)
	if err != nil {
		return JID{}, err
	}
	bare := j.s[:j.res]
	return JID{s: bare + "/" + nr, dom: j.dom, res: j.res}, nil
}

// Equal reports whether j and o are the same address. It is the same as
// j == o.
func (j JID) Equal(o JID) bool { return j == o }

// MarshalText implements encoding.TextMarshaler.
func (j JID) MarshalText() ([]byte, error) { return []byte(j.s), nil }

// UnmarshalText implements encoding.TextUnmarshaler. Empty text yields the
// zero JID.
func (j *JID) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*j = JID{}
		return nil
	}
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*j = p
	return nil
}
