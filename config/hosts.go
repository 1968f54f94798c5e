package config

import (
	"os"

	"github.com/BurntSushi/toml"
)

// HostsSet reports whether the hosts come from the configuration file
// at path ("" for none) or from PARLEY_HOSTS rather than from the
// defaults. The commands that work on a data directory use it to decide
// whether the domains a server recorded there are all they accept.
func HostsSet(path string) bool {
	if _, ok := os.LookupEnv(EnvPrefix + "HOSTS"); ok {
		return true
	}
	if path == "" {
		return false
	}
	var f struct {
		Hosts []string `toml:"hosts"`
	}
	md, err := toml.DecodeFile(path, &f)
	return err == nil && md.IsDefined("hosts")
}
