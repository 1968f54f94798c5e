package ics

import "errors"

// Sentinel errors of package ics.
var (
	// ErrFormat: the payload is neither text/calendar nor text/xml.
	ErrFormat = errors.New("ics: unknown payload format")
	// ErrInvalid: the payload is malformed or names no event or task.
	ErrInvalid = errors.New("ics: invalid notification")
)
