package config

import "errors"

var (
	// ErrInvalid is wrapped by every *Error: a setting has a bad value.
	ErrInvalid = errors.New("invalid configuration")
	// ErrUnknownKey is wrapped when the file has keys Parley does not know
	// (usually a typo); the error names them.
	ErrUnknownKey = errors.New("unknown configuration key")
)

// Error is a problem with one setting. Key is the file key
// ("limits.max_depth") or the environment variable
// ("PARLEY_LIMITS_MAX_DEPTH") that holds the bad value.
type Error struct {
	Key string
	Msg string
}

func (e *Error) Error() string { return "config: " + e.Key + ": " + e.Msg }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *Error) Unwrap() error { return ErrInvalid }
