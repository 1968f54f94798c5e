package cluster

import "errors"

// Sentinel errors of package cluster.
var (
	// ErrBadFrame: a peer's message could not be decoded.
	ErrBadFrame = errors.New("cluster: malformed message")
	// ErrConfig: the configuration cannot work (no node name, no bus).
	ErrConfig = errors.New("cluster: configuration")
	// ErrNotRunning: the node has not started or has stopped.
	ErrNotRunning = errors.New("cluster: not running")
	// ErrSnapshot: a peer's session table could not be fetched.
	ErrSnapshot = errors.New("cluster: snapshot")
)
