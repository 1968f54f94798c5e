package store

import "context"

// PresenceSharing stores which users publish their presence over HTTP
// (the presence endpoints of seeds 001 and 004): a user's presence is
// private unless they opt in or their domain is public.
type PresenceSharing interface {
	// SetPresenceSharing records whether owner publishes their presence;
	// ErrNotFound if owner has no account. Deleting the account forgets
	// the choice.
	SetPresenceSharing(ctx context.Context, owner string, on bool) error
	// PresenceShared reports whether owner opted in; false (and no
	// error) for a user without an account.
	PresenceShared(ctx context.Context, owner string) (bool, error)
}
