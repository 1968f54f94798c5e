package portable

import (
	"encoding/xml"
	"errors"
)

// Sentinel errors; the errors Import returns wrap them, most inside an
// *Error that says where in which file.
var (
	ErrSyntax      = errors.New("portable: malformed XML")
	ErrFormat      = errors.New("portable: not valid XEP-0227 data")
	ErrLimit       = errors.New("portable: input exceeds a limit")
	ErrInclude     = errors.New("portable: XInclude failed")
	ErrUnsupported = errors.New("portable: store does not support bulk import")
)

// Error is a problem at a place in an input file.
type Error struct {
	Pos string // "file:line:column"
	Err error
}

func (e *Error) Error() string { return e.Pos + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func asSyntax(err error, target **xml.SyntaxError) bool { return errors.As(err, target) }
