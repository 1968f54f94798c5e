package manage

import (
	"errors"
	"fmt"
)

// Errors callers can test for with errors.Is (the account package's
// errors pass through the account operations). The messages of the
// errors returned say what happened without this prefix.
var (
	ErrInvalid       = errors.New("invalid argument")
	ErrNotFound      = errors.New("not found")
	ErrShortPassword = errors.New("password too short")
	ErrExists        = errors.New("already exists")
)

// kindError is an error of one of the kinds above with its own message.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

func errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}
