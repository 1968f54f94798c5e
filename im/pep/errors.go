package pep

import "errors"

// Errors of the internal publishing API (Publish, Retract, ...).
var (
	ErrNodeNotFound  = errors.New("pep: no such node")
	ErrItemNotFound  = errors.New("pep: no such item")
	ErrPrecondition  = errors.New("pep: the node's configuration does not meet the publish options")
	ErrBadConfig     = errors.New("pep: a configuration value cannot be honoured")
	ErrTooManyNodes  = errors.New("pep: the account has reached its number of nodes")
	ErrPayloadTooBig = errors.New("pep: the item payload is too large")
	ErrNodeExists    = errors.New("pep: the node exists")
)
