package control

import (
	"errors"
	"syscall"
)

// Sentinel errors of package control.
var (
	ErrListen     = errors.New("control: cannot create the socket")
	ErrInUse      = errors.New("control: another server answers on the control socket (is one already running on this data directory?)")
	ErrNotRunning = errors.New("control: the server is not running")
	ErrPermission = errors.New("control: permission denied")
	ErrCommand    = errors.New("control: command failed")
)

var errConnRefused = syscall.ECONNREFUSED
