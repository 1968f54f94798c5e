package muc

import (
	"errors"

	"github.com/parley-im/parley/xmpp/stanza"
)

// Sentinel errors.
var (
	// ErrBadState: a stored room's state cannot be decoded.
	ErrBadState = errors.New("muc: room state is not readable")
	// ErrBadRoom: not a room JID (a bare JID with a local part).
	ErrBadRoom = errors.New("muc: not a room address")
	// ErrBadConfig: a room option has a value the room cannot take.
	ErrBadConfig = errors.New("muc: bad room configuration")
)

// condition is a stanza error condition.
type condition = stanza.Condition

// Stanza error conditions with the types XEP-0045 gives them.
var (
	errConflict      = stanza.Conflict
	errNotAuthorized = stanza.NotAuthorized
	errRegistration  = stanza.Condition{Name: "registration-required", Type: "auth"}
	errForbidden     = stanza.Forbidden
	errFull          = stanza.Condition{Name: "service-unavailable", Type: "wait"}
	errNotFound      = stanza.ItemNotFound
	errNoNick        = stanza.JIDMalformed
	errNotAllowed    = stanza.NotAllowed
	errNotAcceptable = stanza.NotAcceptable
	errBadRequest    = stanza.BadRequest
	errUnavailable   = stanza.ServiceUnavailable
	errRate          = stanza.ResourceConstraint
	errInternal      = stanza.InternalServerError
)
