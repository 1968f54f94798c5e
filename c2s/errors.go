package c2s

import "errors"

// ErrRejected is returned by ServeTransport when a connection limit
// refuses the stream.
var ErrRejected = errors.New("c2s: connection limit reached")

var (
	errNotHibernating = errors.New("c2s: session is not waiting for a resumption")
	errStreamEnded    = errors.New("c2s: the server has ended the stream")
	errThrottled      = errors.New("c2s: too many failed logins, try again later")
)
