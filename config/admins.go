package config

import (
	"fmt"
	"slices"

	"github.com/parley-im/parley/xmpp/jid"
)

// validateAdmins normalizes admins to bare JIDs of served hosts.
func (c *Config) validateAdmins(v *validator) {
	for i, a := range c.Admins {
		j, err := jid.Parse(a)
		switch {
		case err != nil || j.Local() == "" || !j.IsBare():
			v.add("admins", fmt.Sprintf("%q is not an account address (user@domain)", a))
		case !c.HasHost(j.Domain()):
			v.add("admins", fmt.Sprintf("%s is not an account of a served host (hosts)", j))
		default:
			c.Admins[i] = j.String()
		}
	}
}

// IsAdmin reports whether a bare JID is listed in admins.
func (c Config) IsAdmin(bare string) bool { return slices.Contains(c.Admins, bare) }
