package sasl

import (
	"errors"
	"fmt"
)

// Errors returned by Mechanism.Next and NewServer. Returned errors wrap one
// of these (test with errors.Is) and add detail meant for server logs only;
// the server maps the sentinel to the RFC 6120 §6.5 failure condition named
// below and sends nothing else to the client.
var (
	// ErrNotAuthorized: wrong password, unknown user, or a proof or channel
	// binding that does not verify. <not-authorized/>. An unknown user is
	// indistinguishable from a wrong password.
	ErrNotAuthorized = errors.New("sasl: not authorized")

	// ErrMalformedRequest: the client's message is syntactically invalid,
	// too large, or arrived when none was expected. <malformed-request/>.
	ErrMalformedRequest = errors.New("sasl: malformed request")

	// ErrInvalidMechanism: the mechanism name is not a valid SASL mechanism
	// name or is not offered. <invalid-mechanism/>.
	ErrInvalidMechanism = errors.New("sasl: invalid mechanism")

	// ErrUnsupportedMechanism: a well-formed mechanism name this package
	// does not implement. It wraps ErrInvalidMechanism, so it maps to
	// <invalid-mechanism/> as well.
	ErrUnsupportedMechanism = fmt.Errorf("sasl: unsupported mechanism (%w)", ErrInvalidMechanism)

	// ErrInvalidAuthzid: the authorization identity is not a valid JID or
	// the authenticated user may not act as it. <invalid-authzid/>.
	// Mechanisms never return it: the server checks Mechanism.Authzid
	// after a successful exchange.
	ErrInvalidAuthzid = errors.New("sasl: invalid authzid")

	// ErrAborted: the client sent <abort/>. <aborted/>. Mechanisms never
	// return it; it is here so the server can report aborts uniformly.
	ErrAborted = errors.New("sasl: aborted")

	// ErrTemporaryAuthFailure: the credential lookup failed for a reason
	// other than an unknown user (storage down, context canceled).
	// <temporary-auth-failure/>. The lookup's error is wrapped too.
	ErrTemporaryAuthFailure = errors.New("sasl: temporary authentication failure")

	// ErrChannelBindingUnsupported: the client asked for channel binding
	// (gs2 flag "p") on a mechanism without -PLUS. It wraps
	// ErrMalformedRequest: such a client violates RFC 5802 §6, as Parley
	// does not advertise -PLUS mechanisms.
	ErrChannelBindingUnsupported = fmt.Errorf("sasl: channel binding not supported (%w)", ErrMalformedRequest)
)

// ErrUnknownUser is returned by a CredentialLookup when the user does not
// exist (or has no credential for the mechanism). Mechanisms turn it into
// ErrNotAuthorized at the end of the exchange, never earlier.
var ErrUnknownUser = errors.New("sasl: unknown user")

// malformed returns an error wrapping ErrMalformedRequest.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformedRequest, fmt.Sprintf(format, args...))
}

// ErrInvalidPassword is returned by NewCredential and PreparePassword for a
// password the PRECIS OpaqueString profile rejects (empty, control
// characters, unassigned code points, invalid UTF-8).
var ErrInvalidPassword = errors.New("sasl: password not allowed")
