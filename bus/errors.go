package bus

import "errors"

// Sentinel errors of package bus.
var (
	ErrConfig  = errors.New("bus: bad configuration")
	ErrStart   = errors.New("bus: embedded NATS server did not start")
	ErrConnect = errors.New("bus: cannot connect to NATS")
	ErrDown    = errors.New("bus: down")
)
