package auth

import "errors"

// Sentinel errors. Their messages (and the wrapped detail added to them)
// are safe to show a client: they never carry a key, a password or a
// token. A binding maps them to SOAP faults or HTTP statuses with
// errors.Is.
var (
	// ErrInvalidInput: a malformed request (unknown entity type or
	// credential type, empty ID, bad policy string, PROXY without
	// PROXY_USER, unknown attribute, unknown setting).
	ErrInvalidInput = errors.New("auth: invalid input")
	// ErrAuthFailed: the ID and password or site key do not match (also
	// for an unknown user or site: the two are not told apart).
	ErrAuthFailed = errors.New("auth: authentication failed")
	// ErrInvalidToken: the token is malformed, unknown, ended or expired.
	ErrInvalidToken = errors.New("auth: invalid token")
	// ErrNotAuthorized: the entity may not do this (a policy its settings
	// do not enable, a token issued to another entity, a USER acting for
	// someone else, a token without the SESSION policy used to derive
	// tokens).
	ErrNotAuthorized = errors.New("auth: not authorized")
	// ErrRequestSizeExceeded: more tokens requested at once than
	// max_request_size allows.
	ErrRequestSizeExceeded = errors.New("auth: request size exceeded")
	// ErrSiteNotFound: no site with that ID (site management).
	ErrSiteNotFound = errors.New("auth: no such site")
	// ErrSiteExists: a site with that ID already exists.
	ErrSiteExists = errors.New("auth: site already exists")
)
