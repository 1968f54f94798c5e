package store

import "context"

// PushRegistration is one XEP-0357 push registration: a client of owner
// asked that notifications go to an app server's node.
type PushRegistration struct {
	Service  string // JID of the app server (the pubsub service)
	Node     string // its node for this client
	Resource string // the resource of the client that enabled it
	// Options is the serialized publish-options data form the client gave
	// (<x xmlns='jabber:x:data'/>), sent with every notification; nil if none.
	Options []byte
}

// Pushes stores push registrations (XEP-0357).
type Pushes interface {
	// PutPush adds or replaces owner's registration for (Service, Node).
	// ErrNotFound if owner has no account.
	PutPush(ctx context.Context, owner string, r PushRegistration) error
	// DeletePush removes owner's registrations with service, and node
	// if node is not "" (all of the service's otherwise), returning how
	// many went.
	DeletePush(ctx context.Context, owner, service, node string) (int, error)
	// PushRegistrations returns owner's registrations, sorted by service
	// and node.
	PushRegistrations(ctx context.Context, owner string) ([]PushRegistration, error)
}
