package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// Load returns the configuration from the defaults, then the TOML file
// at path (skipped if path is ""), then the PARLEY_* environment, and
// validates it. Command-line flags are the caller's: apply them to the
// result and call Validate again.
func Load(path string) (Config, error) {
	cfg := Default()
	if path != "" {
		if err := cfg.decodeFile(path); err != nil {
			return cfg, err
		}
	}
	if err := cfg.ApplyEnv(os.LookupEnv); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// decodeFile overlays the TOML file at path on c. Keys absent from the
// file keep their current values; unknown keys are an error.
func (c *Config) decodeFile(path string) error {
	md, err := toml.DecodeFile(path, c)
	if err != nil {
		return fmt.Errorf("config: %s: %w", path, err)
	}
	return unknownKeys(path, md)
}

// unknownKeys reports the keys of md that were not decoded into a field.
// Inside an unknown table only the table itself is named.
func unknownKeys(path string, md toml.MetaData) error {
	und := md.Undecoded()
	if len(und) == 0 {
		return nil
	}
	unknown := make(map[string]bool, len(und))
	for _, k := range und {
		unknown[k.String()] = true
	}
	var keys []string
	for _, k := range und {
		if len(k) > 1 && unknown[k[:len(k)-1].String()] {
			continue // inside an unknown table (whose key is reported)
		}
		keys = append(keys, strconv.Quote(k.String()))
	}
	return fmt.Errorf("config: %s: %w: %s", path, ErrUnknownKey, strings.Join(keys, ", "))
}
