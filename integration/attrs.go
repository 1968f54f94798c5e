package integration

import "strings"

// AdhocAttribute is the seed's name-value pair (Table 3-3), which every
// service uses for extra input and output. Value is nil for an attribute
// without a value (the seed's null).
type AdhocAttribute struct {
	Name  string  `xml:"name" json:"name"`
	Value *string `xml:"value" json:"value"`
}

// Attr is an AdhocAttribute with a value.
func Attr(name, value string) AdhocAttribute { return AdhocAttribute{Name: name, Value: &value} }

// LookupAttr returns the value of the first attribute named name
// (compared case-insensitively and without surrounding space, as the
// seed's examples write names) and whether one was there.
func LookupAttr(attrs []AdhocAttribute, name string) (string, bool) {
	for _, a := range attrs {
		if strings.EqualFold(strings.TrimSpace(a.Name), name) {
			if a.Value == nil {
				return "", true
			}
			return *a.Value, true
		}
	}
	return "", false
}
