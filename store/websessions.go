package store

import (
	"context"
	"time"
)

// WebSession is a user's sign-in on Parley's own web pages
// (self-service and the admin console). The browser holds a random
// secret in a cookie; the store keeps only its hash, so reading the
// table does not let anyone sign in.
type WebSession struct {
	ID       string    // hex SHA-256 of the cookie's secret
	Owner    string    // bare JID of the account
	Created  time.Time // when the user signed in
	LastSeen time.Time // last request (updated at most once a minute)
	Expires  time.Time // absolute end; the session is void from then on
	Addr     string    // client address at sign-in
	Agent    string    // the browser's User-Agent at sign-in (truncated)
}

// WebSessions stores web sign-ins.
type WebSessions interface {
	// PutWebSession stores a new session; ErrNotFound if its owner has
	// no account, ErrExists if the ID is taken.
	PutWebSession(ctx context.Context, s WebSession) error
	// WebSession returns a session by ID (expired ones too: the caller
	// checks Expires); ErrNotFound if there is none.
	WebSession(ctx context.Context, id string) (WebSession, error)
	// TouchWebSession records a request at at; ErrNotFound if the
	// session is gone.
	TouchWebSession(ctx context.Context, id string, at time.Time) error
	// DeleteWebSession ends one of owner's sessions; ErrNotFound if owner
	// has no session with that ID.
	DeleteWebSession(ctx context.Context, owner, id string) error
	// WebSessions returns owner's sessions, newest first.
	WebSessions(ctx context.Context, owner string) ([]WebSession, error)
	// DeleteWebSessions ends every session of owner and returns how many
	// there were. Deleting the account ends them too.
	DeleteWebSessions(ctx context.Context, owner string) (int64, error)
	// PruneWebSessions deletes the sessions that expired before t.
	PruneWebSessions(ctx context.Context, before time.Time) (int64, error)
}
