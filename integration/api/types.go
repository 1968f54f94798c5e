package api

import (
	"fmt"
	"strings"
	"time"

	"github.com/parley-im/parley/integration"
)

// The Presence Service's wire types (seed chapter 3), field for field
// and in the seed's order, which package bind maps the presence
// service's results to. Their xml/json names are the seed's; the Go
// names are what the WSDL and OpenAPI documents call the complex types.
// The other services' types live with them (integration/auth,
// integration/configuration), the shared AdhocAttribute in package
// integration.

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
	EntityID        string                       `xml:"entityID" json:"entityID"`
	EntityToken     string                       `xml:"entityToken" json:"entityToken"`
	EntityJIDs      []string                     `xml:"entityJIDs" json:"entityJIDs"`
	Resources       []string                     `xml:"resources" json:"resources"`
	AllResources    *bool                        `xml:"allResources" json:"allResources"`
	AdhocAttributes []integration.AdhocAttribute `xml:"adhocAttributes" json:"adhocAttributes"`
}

// BulkPresenceResponse is getBulkPresence's result (Table 3-48).
type BulkPresenceResponse struct {
	StatusCode           int                          `xml:"statusCode" json:"statusCode"`
	StatusMessage        string                       `xml:"statusMessage" json:"statusMessage"`
	StatusDetails        string                       `xml:"statusDetails" json:"statusDetails"`
	PresentityStatusList []PresentityStatus           `xml:"presentityStatusList" json:"presentityStatusList"`
	AdhocAttributes      []integration.AdhocAttribute `xml:"adhocAttributes" json:"adhocAttributes"`
}

// Timestamp is an xsd:dateTime in a request. It reads RFC 3339 and the
// forms SOAP toolkits write for times without a zone (Python zeep sends
// a naive datetime as "2026-06-01T10:00:00"), which are taken as UTC;
// it writes RFC 3339 in UTC. Described like time.Time.
type Timestamp time.Time

// timestampLayouts are the accepted lexical forms, tried in order.
var timestampLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z0700"}

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *Timestamp) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	for _, l := range timestampLayouts {
		if v, err := time.Parse(l, s); err == nil {
			// In UTC, as it is written back: an offset can move year
			// 0000 or 9999 out of the four digits a dateTime has.
			if y := v.UTC().Year(); y < 1 || y > 9999 {
				return fmt.Errorf("%q is outside the years 0001-9999", s)
			}
			*t = Timestamp(v.UTC())
			return nil
		}
	}
	return fmt.Errorf("%q is not an xsd:dateTime (e.g. 2026-06-01T10:00:00Z)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (t Timestamp) MarshalText() ([]byte, error) {
	return []byte(time.Time(t).UTC().Format(time.RFC3339Nano)), nil
}

// Time is t as a time.Time.
func (t Timestamp) Time() time.Time { return time.Time(t) }
