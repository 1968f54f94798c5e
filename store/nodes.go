package store

import "context"

// MaxNodeSlot is the greatest node slot: archive IDs keep 10 bits for
// the slot of the node that chose them, so that the nodes of a cluster
// never choose the same ID (see package mam).
const MaxNodeSlot = 1023

// Nodes records the servers that share a store: the domains each one
// serves, so that the commands working on the store (parley user, room,
// site, import) accept them without a server's data directory, and each
// cluster node's slot in archive IDs. A single node records its domains
// under node name "".
type Nodes interface {
	// SetServedDomains replaces the domains node serves.
	SetServedDomains(ctx context.Context, node string, domains []string) error
	// ServedDomains returns the domains any node recorded, sorted,
	// without duplicates (nil if none).
	ServedDomains(ctx context.Context) ([]string, error)
	// NodeSlot returns the slot of a cluster node (1..MaxNodeSlot),
	// giving it the lowest free slot at its first call; the same name
	// keeps its slot across restarts. ErrQuotaExceeded when every slot
	// is taken.
	NodeSlot(ctx context.Context, node string) (int, error)
	// SharedSecret returns the secret stored under name, storing the
	// one candidate gives if there is none yet: the first caller's
	// candidate wins, and every later caller (on any node) gets it.
	// candidate must be random and at least 16 bytes long.
	SharedSecret(ctx context.Context, name string, candidate []byte) ([]byte, error)
}
