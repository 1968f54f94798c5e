package session

import "errors"

// Errors of the package.
var (
	// ErrNoSession: the request carries no live sign-in.
	ErrNoSession = errors.New("session: not signed in")
	// ErrBadTicket: the ticket is unknown, used, expired or for another
	// account.
	ErrBadTicket = errors.New("session: invalid ticket")
)
