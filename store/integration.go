package store

// Sites stores integrating sites (seed 001 chapter 2): filled by the
// integration services work (issue 5).
type Sites interface{}

// Tokens stores authentication tokens (seed 001 chapter 3): filled by
// the integration services work (issue 5).
type Tokens interface{}

// PresenceSharing stores who publishes their presence over HTTP: filled
// by the presence services work (issue 5).
type PresenceSharing interface{}
