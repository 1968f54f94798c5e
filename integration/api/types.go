package api

import (
	"strings"
	"time"
)

// The seed's data types (Real-Time Collaboration Integration Services,
// chapter 3), field for field and in the seed's order. Their xml/json
// names are the seed's; the Go names are what the WSDL and OpenAPI
// documents call the complex types.

// AdhocAttribute is a name-value pair (Table 3-3). Value is nil where
// the seed says "set to null" (a configuration entry without a value).
type AdhocAttribute struct {
	Name  string  `xml:"name" json:"name"`
	Value *string `xml:"value" json:"value"`
}

// Attr is an AdhocAttribute with a value.
func Attr(name, value string) AdhocAttribute { return AdhocAttribute{Name: name, Value: &value} }

// Get returns the value of the first attribute named name (compared
// case-insensitively, as the seed's example does) and whether one was
// there.
func Get(attrs []AdhocAttribute, name string) (string, bool) {
	for _, a := range attrs {
		if strings.EqualFold(a.Name, name) {
			if a.Value == nil {
				return "", true
			}
			return *a.Value, true
		}
	}
	return "", false
}

// TokenObject is an Authentication Services token (Table 3-2):
// tokenAttributes carries TOKENID and EXPIRY_TIME.
type TokenObject struct {
	Token           string           `xml:"token" json:"token"`
	TokenAttributes []AdhocAttribute `xml:"tokenAttributes" json:"tokenAttributes"`
	TokenIndex      string           `xml:"tokenIndex" json:"tokenIndex"`
}

// TokenProperties are the properties of a requested token (Table 3-5):
// the policy ("SESSION::PRESENCE") and, for a PROXY policy, the
// PROXY_USER attribute.
type TokenProperties struct {
	TokenPolicy     string           `xml:"tokenPolicy" json:"tokenPolicy"`
	TokenAttributes []AdhocAttribute `xml:"tokenAttributes" json:"tokenAttributes"`
}

// PolicyObject carries policy-specific information (Table 3-6).
type PolicyObject struct {
	PolicyArray []AdhocAttribute `xml:"policyArray" json:"policyArray"`
}

// CredentialObject is an entity's credential (Table 3-9).
type CredentialObject struct {
	CredentialType   string `xml:"credentialType" json:"credentialType"`     // TOKEN or PASSWORD
	EntityType       string `xml:"entityType" json:"entityType"`             // SITE or USER
	EntityCredential string `xml:"entityCredential" json:"entityCredential"` // password, site key or token
	EntityID         string `xml:"entityID" json:"entityID"`
}

// GetConfigurationRequest is getConfiguration's param0 (Table 3-14).
type GetConfigurationRequest struct {
	EntityID       string           `xml:"entityID" json:"entityID"`
	EntityToken    string           `xml:"entityToken" json:"entityToken"`
	Namespace      string           `xml:"namespace" json:"namespace"`
	Properties     []string         `xml:"properties" json:"properties"`
	AdhocAttribute []AdhocAttribute `xml:"adhocAttribute" json:"adhocAttribute"`
}

// GetConfigurationResponse is getConfiguration's result (Table 3-15).
type GetConfigurationResponse struct {
	StatusCode      int              `xml:"statusCode" json:"statusCode"`
	StatusMessage   string           `xml:"statusMessage" json:"statusMessage"`
	StatusDetails   string           `xml:"statusDetails" json:"statusDetails"`
	Namespace       string           `xml:"namespace" json:"namespace"`
	Properties      []AdhocAttribute `xml:"properties" json:"properties"`
	AdhocAttributes []AdhocAttribute `xml:"adhocAttributes" json:"adhocAttributes"`
}

// PresentityResource is one online resource of a presentity (Table
// 3-45).
type PresentityResource struct {
	LastModifiedDate time.Time `xml:"lastModifiedDate" json:"lastModifiedDate"`
	Priority         int64     `xml:"priority" json:"priority"`
	ResourceName     string    `xml:"resourceName" json:"resourceName"`
	Show             string    `xml:"show" json:"show"`
	Status           string    `xml:"status" json:"status"`
}

// PresentityStatus is the presence of one JID (Table 3-44).
type PresentityStatus struct {
	AllResources []PresentityResource `xml:"allResources" json:"allResources"`
	UserJID      string               `xml:"userJID" json:"userJID"`
}

// BulkPresenceRequest is getBulkPresence's param0 (Table 3-47). An
// empty string in Resources asks for that presentity's default
// resource (the seed's null).
type BulkPresenceRequest struct {
	EntityID        string           `xml:"entityID" json:"entityID"`
	EntityToken     string           `xml:"entityToken" json:"entityToken"`
	EntityJIDs      []string         `xml:"entityJIDs" json:"entityJIDs"`
	Resources       []string         `xml:"resources" json:"resources"`
	AllResources    *bool            `xml:"allResources" json:"allResources"`
	AdhocAttributes []AdhocAttribute `xml:"adhocAttributes" json:"adhocAttributes"`
}

// BulkPresenceResponse is getBulkPresence's result (Table 3-48).
type BulkPresenceResponse struct {
	StatusCode           int                `xml:"statusCode" json:"statusCode"`
	StatusMessage        string             `xml:"statusMessage" json:"statusMessage"`
	StatusDetails        string             `xml:"statusDetails" json:"statusDetails"`
	PresentityStatusList []PresentityStatus `xml:"presentityStatusList" json:"presentityStatusList"`
	AdhocAttributes      []AdhocAttribute   `xml:"adhocAttributes" json:"adhocAttributes"`
}
