package presence

import "errors"

// Errors of the presence services. The bindings map them to SOAP faults
// and HTTP statuses; the HTTP presence endpoints never show them.
var (
	// ErrInvalidToken: the token is unknown, expired, or not the calling
	// entity's.
	ErrInvalidToken = errors.New("presence: invalid or expired token")
	// ErrNotAuthorized: the entity may not read this presence (a site
	// without auth_presence_enabled, a user asking for someone else, a
	// token without the SESSION or PRESENCE policy).
	ErrNotAuthorized = errors.New("presence: not authorized")
	// ErrInvalidInput: a required parameter is missing or malformed
	// (SERVICE_INPUT_ERROR).
	ErrInvalidInput = errors.New("presence: invalid input")
)
