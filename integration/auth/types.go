package auth

import (
	"strings"
	"time"

	"github.com/parley-im/parley/integration"
)

// The seed's data types of Authentication Services (chapter 3, Tables
// 3-2 to 3-9), with the seed's names as xml and json names.

// Attribute names.
const (
	AttrTokenID    = "TOKENID"     // TokenObject: the token's ID
	AttrExpiryTime = "EXPIRY_TIME" // TokenObject: when it expires, UTC, RFC 3339
	AttrStatus     = "STATUS"      // TokenObject of getTokenStatus: VALID or INVALID
	AttrPolicy     = "TOKEN_POLICY"
	AttrProxyUser  = "PROXY_USER" // TokenProperties/PolicyObject: the proxied user
)

// Token statuses in getTokenStatus's STATUS attribute.
const (
	StatusValid   = "VALID"
	StatusInvalid = "INVALID"
)

// TokenObject is an Authentication Services token (Table 3-2).
// TokenAttributes carries TOKENID and EXPIRY_TIME (getTokenStatus adds
// STATUS and TOKEN_POLICY). TokenIndex is the position of the token in
// requestMultipleTokens' answer ("0", "1", ...), "" elsewhere.
type TokenObject struct {
	Token           string                       `xml:"token" json:"token"`
	TokenAttributes []integration.AdhocAttribute `xml:"tokenAttributes" json:"tokenAttributes"`
	TokenIndex      string                       `xml:"tokenIndex" json:"tokenIndex"`
}

// TokenProperties are the properties of a requested token (Table 3-5):
// the policy, e.g. "SESSION::PRESENCE", and for a PROXY policy the
// PROXY_USER attribute.
type TokenProperties struct {
	TokenPolicy     string                       `xml:"tokenPolicy" json:"tokenPolicy"`
	TokenAttributes []integration.AdhocAttribute `xml:"tokenAttributes" json:"tokenAttributes"`
}

// PolicyObject carries per-token information (Table 3-6). Parley reads
// two attributes from it: TOKEN_POLICY (this token's policy, overriding
// TokenProperties.tokenPolicy) and PROXY_USER (this token's proxied
// user), so that requestMultipleTokens can ask for tokens of different
// policies or for different proxied users in one call. Other names are
// an input error.
type PolicyObject struct {
	PolicyArray []integration.AdhocAttribute `xml:"policyArray" json:"policyArray"`
}

// Credential types of a CredentialObject.
const (
	CredentialToken    = "TOKEN"
	CredentialPassword = "PASSWORD"
)

// CredentialObject is an entity's credential (Table 3-9).
type CredentialObject struct {
	CredentialType   string `xml:"credentialType" json:"credentialType"`     // TOKEN or PASSWORD
	EntityType       string `xml:"entityType" json:"entityType"`             // SITE or USER
	EntityCredential string `xml:"entityCredential" json:"entityCredential"` // password, site key or token
	EntityID         string `xml:"entityID" json:"entityID"`                 // site ID or user ID
}

// Token is a live token as the other services see it (Resolve, ByID).
type Token struct {
	ID         int64
	Value      string // the whole token string, "<ID>_<random>"
	ParentID   int64  // the token it was derived from; 0 for none
	EntityType string // EntityUser or EntitySite
	EntityID   string // bare JID of the user, or site ID
	Policies   []string
	ProxyUser  string // PROXY_USER of a PROXY token
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// HasPolicy reports whether the token carries policy (e.g. PolicyPresence).
func (t Token) HasPolicy(policy string) bool {
	for _, p := range t.Policies {
		if p == policy {
			return true
		}
	}
	return false
}

// Policy is the token's policy string, e.g. "SESSION::PRESENCE".
func (t Token) Policy() string { return strings.Join(t.Policies, "::") }

// IsUser reports whether the token was issued to a user (whose rights
// are limited to their own data).
func (t Token) IsUser() bool { return t.EntityType == EntityUser }

// MayActFor reports whether the token's holder may see or act on the
// data of the user with bare JID jid: a site may act for anyone (within
// its policies), a user only for themselves.
func (t Token) MayActFor(jid string) bool {
	return t.EntityType == EntitySite || t.EntityID == jid
}

// Object is the token as a TokenObject with TOKENID and EXPIRY_TIME.
func (t Token) Object() TokenObject {
	return TokenObject{Token: t.Value, TokenAttributes: []integration.AdhocAttribute{
		integration.Attr(AttrTokenID, formatID(t.ID)),
		integration.Attr(AttrExpiryTime, t.ExpiresAt.UTC().Format(time.RFC3339)),
	}}
}
