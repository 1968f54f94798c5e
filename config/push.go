package config

// Push configures XEP-0357 push notifications: what Parley tells a
// client's app server when a message waits for a client that is not
// connected.
type Push struct {
	Enabled bool `toml:"enabled"` // accept push registrations from clients
	// IncludeSender puts the sender's JID in notifications
	// (last-message-sender).
	IncludeSender bool `toml:"include_sender"`
	// IncludeBody puts the message text in notifications
	// (last-message-body): the app server and the phone vendor's push
	// network then see it.
	IncludeBody bool `toml:"include_body"`
}

func defaultPush() Push { return Push{Enabled: true, IncludeSender: true} }
