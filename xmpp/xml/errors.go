package xml

import (
	"errors"
	"fmt"
)

// Sentinel errors. Callers map them to RFC 6120 stream errors.
var (
	// ErrNotWellFormed: the input is not well-formed XML (<not-well-formed/>).
	ErrNotWellFormed = errors.New("xml: not well-formed")
	// ErrRestrictedXML: a comment, processing instruction, DTD or entity
	// reference XMPP forbids (<restricted-xml/>).
	ErrRestrictedXML = errors.New("xml: restricted XML")
	// ErrTooLarge: a stanza exceeds Limits.MaxStanzaBytes (<policy-violation/>).
	ErrTooLarge = errors.New("xml: stanza too large")
	// ErrTooDeep: Limits.MaxDepth, MaxAttrs or MaxNamespaces exceeded
	// (<policy-violation/>).
	ErrTooDeep = errors.New("xml: too deep or too many attributes")
	// ErrStreamClosed: the peer sent the stream's end tag.
	ErrStreamClosed = errors.New("xml: stream closed")
)

func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)
}
