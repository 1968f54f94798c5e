package config

import (
	"fmt"
	"path/filepath"
)

// Control configures the local control channel: a Unix socket through
// which admin commands (parley calendar-agent ...) reach the running
// server. Only the server's own user (and root) may use it.
type Control struct {
	Enabled bool `toml:"enabled"`
	// Socket is the socket's path; "" means parley.sock in the data
	// directory.
	Socket string `toml:"socket"`
}

func defaultControl() Control { return Control{Enabled: true} }

// maxSocketPath is the longest path a Unix socket may have on Linux
// (sun_path is 108 bytes with its terminating NUL).
const maxSocketPath = 107

// ControlSocket is the control socket's path: control.socket, or
// parley.sock in the data directory.
func (c Config) ControlSocket() string {
	if c.Control.Socket != "" {
		return c.Control.Socket
	}
	return filepath.Join(c.DataDir, "parley.sock")
}

// ControlSocketTooLong reports whether the socket path is too long for
// a Unix socket. An explicit control.socket that is fails validation; a
// derived one (a deep data directory) only disables the channel, with a
// warning from the server.
func (c Config) ControlSocketTooLong() bool { return len(c.ControlSocket()) > maxSocketPath }

func (c *Config) validateControl(v *validator) {
	if c.Control.Enabled && c.Control.Socket != "" && c.ControlSocketTooLong() {
		v.add("control.socket", fmt.Sprintf("%q is longer than %d bytes, too long for a Unix socket", c.Control.Socket, maxSocketPath))
	}
}
