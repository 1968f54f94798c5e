package muc

import (
	"encoding/json"
	"fmt"
)

// Affiliation is a long-lived relation between a bare JID and a room
// (XEP-0045 §5.2), ordered from outcast to owner.
type Affiliation int8

// Affiliations.
const (
	Outcast Affiliation = iota - 1
	NoAffiliation
	Member
	Admin
	Owner
)

var affiliationNames = map[Affiliation]string{Outcast: "outcast", NoAffiliation: "none", Member: "member", Admin: "admin", Owner: "owner"}

func (a Affiliation) String() string { return affiliationNames[a] }

func parseAffiliation(s string) (Affiliation, bool) {
	for a, n := range affiliationNames {
		if n == s {
			return a, true
		}
	}
	return 0, false
}

// MarshalJSON stores the name.
func (a Affiliation) MarshalJSON() ([]byte, error) { return json.Marshal(a.String()) }

// UnmarshalJSON reads the name.
func (a *Affiliation) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, ok := parseAffiliation(s)
	if !ok {
		return fmt.Errorf("unknown affiliation %q", s)
	}
	*a = v
	return nil
}

// Role is an occupant's part in the room while present (§5.1).
type Role int8

// Roles.
const (
	NoRole Role = iota
	Visitor
	Participant
	Moderator
)

var roleNames = map[Role]string{NoRole: "none", Visitor: "visitor", Participant: "participant", Moderator: "moderator"}

func (r Role) String() string { return roleNames[r] }

func parseRole(s string) (Role, bool) {
	for r, n := range roleNames {
		if n == s {
			return r, true
		}
	}
	return 0, false
}

// defaultRole is the role an occupant gets on entering (§5.1.2).
func defaultRole(a Affiliation, moderated bool) Role {
	switch {
	case a >= Admin:
		return Moderator
	case a == Member || !moderated:
		return Participant
	}
	return Visitor
}
