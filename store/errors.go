package store

import "errors"

// Sentinel errors returned by every Store implementation.
var (
	ErrNotFound      = errors.New("store: not found")
	ErrExists        = errors.New("store: already exists")
	ErrQuotaExceeded = errors.New("store: quota exceeded")
	ErrInvalid       = errors.New("store: invalid argument")
)
