package jid

import (
	"errors"
	"fmt"
)

// ErrInvalid is returned (wrapped, with detail) for any malformed JID or
// JID part. Servers map it to the jid-malformed stanza error (RFC 6120
// §8.3.3.8) or the improper-addressing / invalid-from stream errors,
// depending on where the address appeared.
var ErrInvalid = errors.New("jid: invalid JID")

// invalid returns an error wrapping ErrInvalid with the part concerned and
// a reason.
func invalid(part, reason string) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalid, part, reason)
}

// invalidErr is like invalid with an underlying error as the reason.
func invalidErr(part string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrInvalid, part, err)
}
