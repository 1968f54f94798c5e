package store

import (
	"context"
	"time"
)

// Site is an integrating application (seed 001 chapter 2): it
// authenticates with its ID and a secret key, of which only a verifier
// is stored.
type Site struct {
	ID   string // the site ID, unique
	Name string
	// KeySalt and KeyHash verify the site's authentication key (the
	// integration/auth package decides how); the key itself is never
	// stored.
	KeySalt []byte
	KeyHash []byte
	// Settings are the site's boolean settings by name
	// (auth_presence_enabled, ...); names the site has no value for take
	// their defaults from the caller.
	Settings  map[string]bool
	CreatedAt time.Time
}

// Sites stores integrating sites.
type Sites interface {
	// CreateSite adds a site; ErrExists if its ID is taken.
	CreateSite(ctx context.Context, s Site) error
	// Site returns a site or ErrNotFound.
	Site(ctx context.Context, id string) (Site, error)
	// UpdateSite replaces the name, key verifier and settings of a site
	// (CreatedAt is kept); ErrNotFound if absent.
	UpdateSite(ctx context.Context, s Site) error
	// DeleteSite removes a site and every token issued to it;
	// ErrNotFound if absent.
	DeleteSite(ctx context.Context, id string) error
	// ListSites returns all sites sorted by ID.
	ListSites(ctx context.Context) ([]Site, error)
}

// Entity types of a token: who it was issued to.
const (
	EntityUser = "USER"
	EntitySite = "SITE"
)

// Token is an authentication token (seed 001 chapter 3). Its string form
// "<ID>_<Random>" is built by the integration/auth package.
type Token struct {
	ID         int64  // TOKENID: assigned by the store, unique, never reused
	Random     string // the secret part of the token
	ParentID   int64  // the token it was derived from; 0 for none
	EntityType string // EntityUser or EntitySite
	EntityID   string // bare JID of the user, or the site ID
	Policy     string // policies joined with "::", e.g. "SESSION::PRESENCE"
	ProxyUser  string // PROXY_USER of a proxied token; "" for none
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// Tokens stores authentication tokens. A token lives until it is
// deleted; expiry is the caller's business (DeleteExpiredTokens purges).
type Tokens interface {
	// CreateToken stores t (ID ignored) and returns it with its new ID.
	// ErrNotFound if t.ParentID is set but that token does not exist
	// (any more), or if the entity does not exist: no USER account with
	// EntityID, no site with EntityID. ErrInvalid for another entity
	// type.
	CreateToken(ctx context.Context, t Token) (Token, error)
	// Token returns a token by ID or ErrNotFound.
	Token(ctx context.Context, id int64) (Token, error)
	// DeleteToken removes a token and every token derived from it,
	// transitively, and returns how many went; ErrNotFound if absent.
	DeleteToken(ctx context.Context, id int64) (int64, error)
	// DeleteExpiredTokens removes every token that expires at or before
	// t, with every token derived from them, and returns how many went.
	DeleteExpiredTokens(ctx context.Context, t time.Time) (int64, error)
	// DeleteEntityTokens removes every token issued to an entity, with
	// everything derived from them, and returns how many went.
	DeleteEntityTokens(ctx context.Context, entityType, entityID string) (int64, error)
	// CountTokens returns how many tokens an entity holds.
	CountTokens(ctx context.Context, entityType, entityID string) (int, error)
}

// Deleting a user (DeleteUser) deletes the tokens issued to that user,
// and deleting a site the tokens issued to the site, with everything
// derived from them.
