package store

import (
	"context"
	"time"
)

// NetworkPresence stores each user's "network presence" (seed 000): an
// account on another network (another XMPP server) whose presence the
// web surfaces show for the user instead of their own.
type NetworkPresence interface {
	// SetNetworkPresence points owner's presence at remote, a bare JID
	// on another server, replacing any earlier one; ErrNotFound if owner
	// has no account. Deleting the account forgets it.
	SetNetworkPresence(ctx context.Context, owner, remote string) error
	// ClearNetworkPresence turns it off (nothing to do if it was off);
	// ErrNotFound if owner has no account.
	ClearNetworkPresence(ctx context.Context, owner string) error
	// NetworkPresence returns owner's setting; ErrNotFound when none.
	NetworkPresence(ctx context.Context, owner string) (NetworkPresenceLink, error)
	// NetworkPresences lists every setting, ordered by owner.
	NetworkPresences(ctx context.Context) ([]NetworkPresenceLink, error)
}

// NetworkPresenceLink is one user's network presence.
type NetworkPresenceLink struct {
	Owner  string    // the local user
	Remote string    // the account on another server whose presence stands for theirs
	Since  time.Time // when it was set (UTC, millisecond precision)
}
