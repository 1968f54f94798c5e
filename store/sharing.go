package store

// PresenceSharing stores who publishes their presence over HTTP: filled
// by the presence services work (issue 5).
type PresenceSharing interface{}
