package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/parley-im/parley/store"
)

// Setting names: the per-entity entries of the configuration directory
// (rtc.application.<name>, Table 3-12) that a site sets for itself.
const (
	SettingPresence       = "auth_presence_enabled"     // may obtain PRESENCE tokens
	SettingChat           = "auth_chat_enabled"         // may obtain GUESTCHAT tokens
	SettingProxy          = "auth_proxy_enabled"        // may obtain PROXY tokens
	SettingSession        = "auth_session_enabled"      // may obtain SESSION tokens (createSession)
	SettingScheduling     = "scheduling_access_enabled" // may obtain PRECONFERENCE, POSTCONFERENCE, REPORTING tokens
	SettingConferenceKey  = "conference_key_required"   // its conferences need a conference key
	SettingGuestUserAcces = "guest_user_access_enabled" // guest users may use its chats and conferences
)

// SettingNames lists every setting, sorted.
var SettingNames = []string{SettingPresence, SettingChat, SettingProxy, SettingSession,
	SettingConferenceKey, SettingGuestUserAcces, SettingScheduling}

func init() { sort.Strings(SettingNames) }

// policySetting is the setting that authorizes each policy.
var policySetting = map[string]string{
	PolicySession:        SettingSession,
	PolicyPresence:       SettingPresence,
	PolicyGuestChat:      SettingChat,
	PolicyProxy:          SettingProxy,
	PolicyPreconference:  SettingScheduling,
	PolicyPostconference: SettingScheduling,
	PolicyReporting:      SettingScheduling,
}

// PolicySetting returns the setting that authorizes policy.
func PolicySetting(policy string) string { return policySetting[policy] }

// Settings are an entity's settings by name; every name of SettingNames
// is present.
type Settings map[string]bool

// DefaultSiteSettings are a new site's settings: it may open sessions
// and nothing else until given policies.
func DefaultSiteSettings() Settings {
	s := Settings{}
	for _, n := range SettingNames {
		s[n] = false
	}
	s[SettingSession] = true
	return s
}

// SettingsForPolicies returns settings that authorize the given
// policies (and SESSION): GUESTCHAT also enables guest user access.
func SettingsForPolicies(policies []string) Settings {
	s := DefaultSiteSettings()
	for _, p := range policies {
		s[policySetting[p]] = true
		if p == PolicyGuestChat {
			s[SettingGuestUserAcces] = true
		}
	}
	return s
}

// Authorizes reports whether the settings allow a token of policy.
func (s Settings) Authorizes(policy string) bool { return s[policySetting[policy]] }

// Site is an integrating application as the administrator sees it.
type Site struct {
	ID        string
	Name      string
	Settings  Settings
	CreatedAt time.Time
}

func siteFromStore(st store.Site) Site {
	s := DefaultSiteSettings()
	for _, n := range SettingNames {
		if v, ok := st.Settings[n]; ok {
			s[n] = v
		}
	}
	return Site{ID: st.ID, Name: st.Name, Settings: s, CreatedAt: st.CreatedAt}
}

// keyLen is the length of a site key: 43 characters of 62 carry 256
// bits. Letters and digits only, so that a key never starts with '-'
// on a command line nor needs escaping in a URL or a shell.
const keyLen = 43

// newKey returns a fresh site key and its salt and verifier. The key is
// high-entropy random, so a salted HMAC-SHA-256 suffices as verifier
// (a slow hash protects low-entropy passwords; it would only make every
// createSession slower here).
func newKey() (key string, salt, hash []byte) {
	key = randomString(keyLen)
	salt = make([]byte, 16)
	rand.Read(salt)
	return key, salt, keyHash(salt, key)
}

func keyHash(salt []byte, key string) []byte {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(key))
	return m.Sum(nil)
}

// newSiteID returns a random 9-digit site ID (the seed's site IDs are
// numbers, e.g. 12345).
func newSiteID() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(900_000_000))
	return fmt.Sprint(n.Int64() + 100_000_000)
}

// validSiteID: printable, no '@' (so that an ID with '@' is always a
// user), no spaces, at most 64 bytes.
func validSiteID(id string) bool {
	if id == "" || len(id) > 64 || strings.ContainsAny(id, "@ \t\r\n/") {
		return false
	}
	for _, r := range id {
		if r < 0x21 || r == 0x7f {
			return false
		}
	}
	return true
}

// CreateSite creates a site and returns it with its authentication key,
// which is not stored and cannot be shown again. id "" picks a random
// numeric ID; settings nil means DefaultSiteSettings, and unknown names
// are ErrInvalidInput.
func (s *Service) CreateSite(ctx context.Context, id, name string, settings Settings) (Site, string, error) {
	set := DefaultSiteSettings()
	for n, v := range settings {
		if _, ok := set[n]; !ok {
			return Site{}, "", fmt.Errorf("%w: unknown setting %q", ErrInvalidInput, n)
		}
		set[n] = v
	}
	generated := id == ""
	if !generated && !validSiteID(id) {
		return Site{}, "", fmt.Errorf("%w: site ID %q: use 1-64 printable characters without '@', '/' or spaces", ErrInvalidInput, id)
	}
	key, salt, hash := newKey()
	for range 10 {
		if generated {
			id = newSiteID()
		}
		st := store.Site{ID: id, Name: name, KeySalt: salt, KeyHash: hash, Settings: set, CreatedAt: s.now()}
		err := s.st.CreateSite(ctx, st)
		if errors.Is(err, store.ErrExists) && generated {
			continue
		}
		if errors.Is(err, store.ErrExists) {
			return Site{}, "", fmt.Errorf("%w: %s", ErrSiteExists, id)
		}
		if err != nil {
			return Site{}, "", err
		}
		return siteFromStore(st), key, nil
	}
	return Site{}, "", fmt.Errorf("%w: no free site ID found", ErrSiteExists)
}

// Site returns a site; ErrSiteNotFound if there is none.
func (s *Service) Site(ctx context.Context, id string) (Site, error) {
	st, err := s.site(ctx, id)
	if err != nil {
		return Site{}, err
	}
	return siteFromStore(st), nil
}

func (s *Service) site(ctx context.Context, id string) (store.Site, error) {
	st, err := s.st.Site(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Site{}, fmt.Errorf("%w: %s", ErrSiteNotFound, id)
	}
	return st, err
}

// ListSites returns every site, sorted by ID.
func (s *Service) ListSites(ctx context.Context) ([]Site, error) {
	sts, err := s.st.ListSites(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Site, len(sts))
	for i, st := range sts {
		out[i] = siteFromStore(st)
	}
	return out, nil
}

// UpdateSite changes a site's name (unless name is "") and the given
// settings (others keep their values). Unknown setting names are
// ErrInvalidInput. Tokens already issued keep working; new requests
// follow the new settings.
func (s *Service) UpdateSite(ctx context.Context, id, name string, settings Settings) (Site, error) {
	st, err := s.site(ctx, id)
	if err != nil {
		return Site{}, err
	}
	cur := siteFromStore(st).Settings
	for n, v := range settings {
		if _, ok := cur[n]; !ok {
			return Site{}, fmt.Errorf("%w: unknown setting %q (known: %s)", ErrInvalidInput, n, strings.Join(SettingNames, ", "))
		}
		cur[n] = v
	}
	if name != "" {
		st.Name = name
	}
	st.Settings = cur
	if err := s.st.UpdateSite(ctx, st); err != nil {
		return Site{}, err
	}
	return siteFromStore(st), nil
}

// RotateKey gives a site a new authentication key and returns it; the
// old key stops working at once, and every token issued to the site is
// ended (whoever held the old key may hold its tokens).
func (s *Service) RotateKey(ctx context.Context, id string) (string, error) {
	st, err := s.site(ctx, id)
	if err != nil {
		return "", err
	}
	key, salt, hash := newKey()
	st.KeySalt, st.KeyHash = salt, hash
	// The new key is stored before the tokens end: a request that checked
	// the old key and stores its token after the ending finds the new key
	// in confirm and drops that token (TestCredentialChangeDuringIssue).
	if err := s.st.UpdateSite(ctx, st); err != nil {
		return "", err
	}
	if err := s.endEntityTokens(ctx, EntitySite, id); err != nil {
		return "", err
	}
	return key, nil
}

// DeleteSite deletes a site and every token issued to it.
func (s *Service) DeleteSite(ctx context.Context, id string) error {
	err := s.st.DeleteSite(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %s", ErrSiteNotFound, id)
	}
	return err
}

// CountTokens returns how many tokens (live or expired, not yet purged)
// an entity holds.
func (s *Service) CountTokens(ctx context.Context, entityType, entityID string) (int, error) {
	return s.st.CountTokens(ctx, entityType, entityID)
}

// verifySite checks a site's ID and key; ErrAuthFailed if either is
// wrong.
func (s *Service) verifySite(ctx context.Context, id, key string) (store.Site, error) {
	st, err := s.st.Site(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		// Spend the same HMAC as for a real site.
		keyHash(make([]byte, 16), key)
		return store.Site{}, ErrAuthFailed
	}
	if err != nil {
		return store.Site{}, err
	}
	if !hmac.Equal(keyHash(st.KeySalt, key), st.KeyHash) {
		return store.Site{}, ErrAuthFailed
	}
	return st, nil
}
