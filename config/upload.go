package config

import (
	"fmt"
	"mime"
	"path/filepath"
	"strings"
	"time"
)

// Upload configures HTTP file upload (XEP-0363): a service on
// <subdomain>.<host> hands out upload slots, and Parley's own HTTP
// listener receives the files (PUT) and serves them (GET) under /upload/.
type Upload struct {
	// Enabled offers the upload service.
	Enabled bool `toml:"enabled"`
	// Subdomain is prepended to each served host: "upload" serves the
	// service on upload.<host>.
	Subdomain string `toml:"subdomain"`
	// Dir is where files are stored; "" means <data_dir>/uploads.
	Dir string `toml:"dir"`
	// MaxFileSize is the largest file accepted, in bytes (advertised in
	// service discovery).
	MaxFileSize int `toml:"max_file_size"`
	// Quota is the most bytes one account may keep uploaded; 0 = no quota.
	Quota int `toml:"quota"`
	// AllowedTypes lists the content types accepted ("image/*" matches
	// every image type); empty accepts any.
	AllowedTypes []string `toml:"allowed_types"`
	// ExpireAfter is how long an uploaded file is kept; 0 keeps files
	// until their account is removed.
	ExpireAfter Duration `toml:"expire_after"`
	// SlotLifetime is how long an upload URL may be used (once).
	SlotLifetime Duration `toml:"slot_lifetime"`
	// CleanupInterval is how often expired files and unused slots are
	// deleted.
	CleanupInterval Duration `toml:"cleanup_interval"`
	// PublicURL is scheme://host[:port] under which clients reach the
	// upload URLs; "" uses http.public_url, or else the domain of the
	// account and the port of the HTTPS listener (or, without one, of
	// the HTTP listener).
	PublicURL string `toml:"public_url"`
	// Secret signs upload URLs (at least 32 characters); "" generates one
	// into the data directory (upload.key). Nodes sharing a database must
	// share it.
	Secret string `toml:"secret"`
}

func defaultUpload() Upload {
	return Upload{
		Enabled:         true,
		Subdomain:       "upload",
		MaxFileSize:     100 << 20,
		Quota:           1 << 30,
		AllowedTypes:    []string{},
		ExpireAfter:     Duration{7 * 24 * time.Hour},
		SlotLifetime:    Duration{5 * time.Minute},
		CleanupInterval: Duration{time.Hour},
	}
}

// UploadDir is where uploaded files live: upload.dir or <data_dir>/uploads.
func (c Config) UploadDir() string {
	if c.Upload.Dir != "" {
		return c.Upload.Dir
	}
	return filepath.Join(c.DataDir, "uploads")
}

func (c *Config) validateUpload(v *validator) {
	u := &c.Upload
	if u.Enabled {
		if _, err := normalizeDomain(u.Subdomain + ".example"); err != nil || u.Subdomain == "" {
			v.add("upload.subdomain", fmt.Sprintf("%q is not a domain label", u.Subdomain))
		} else {
			// The other services on <subdomain>.<host>.
			others := map[string]string{}
			if c.MUC.Enabled {
				others["muc.subdomain"] = c.MUC.Subdomain
			}
			if c.Calendar.Enabled {
				others["calendar.subdomain"] = c.Calendar.Subdomain
			}
			if c.LiveHelp.Enabled {
				others["livehelp.groups_subdomain"] = c.LiveHelp.GroupsSubdomain
				others["livehelp.guests_subdomain"] = c.LiveHelp.GuestsSubdomain
			}
			for key, other := range others {
				if strings.EqualFold(u.Subdomain, other) {
					v.add("upload.subdomain", fmt.Sprintf("%q is also %s", u.Subdomain, key))
				}
			}
		}
		for _, h := range c.Hosts {
			if c.HasHost(u.Subdomain + "." + h) {
				v.add("upload.subdomain", fmt.Sprintf("%s.%s is a served host", u.Subdomain, h))
			}
		}
	}
	if u.MaxFileSize < 1 {
		v.add("upload.max_file_size", fmt.Sprintf("must be at least 1 byte, got %d", u.MaxFileSize))
	}
	if u.Quota < 0 {
		v.add("upload.quota", "must not be negative (0 means no quota)")
	}
	for i, t := range u.AllowedTypes {
		t = strings.ToLower(strings.TrimSpace(t))
		base := strings.TrimSuffix(t, "/*")
		if base != t && base != "" && !strings.Contains(base, "/") {
			u.AllowedTypes[i] = t
			continue
		}
		if mt, _, err := mime.ParseMediaType(t); err != nil || mt != t || !strings.Contains(t, "/") {
			v.add("upload.allowed_types", fmt.Sprintf("%q is not a content type (e.g. \"image/png\" or \"image/*\")", t))
			continue
		}
		u.AllowedTypes[i] = t
	}
	if u.ExpireAfter.Duration < 0 {
		v.add("upload.expire_after", "must not be negative (0 keeps files)")
	}
	v.positiveDuration("upload.slot_lifetime", u.SlotLifetime)
	v.positiveDuration("upload.cleanup_interval", u.CleanupInterval)
	if u.PublicURL != "" {
		if p, err := normalizePublicURL(u.PublicURL); err != nil {
			v.add("upload.public_url", fmt.Sprintf("%q: %v", u.PublicURL, err))
		} else {
			u.PublicURL = p
		}
	}
	if u.Secret != "" && len(u.Secret) < 32 {
		v.add("upload.secret", "must be at least 32 characters (or empty to generate one)")
	}
}
