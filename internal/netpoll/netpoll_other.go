//go:build !linux

package netpoll

import "syscall"

// Poller is not available on this system: New fails.
type Poller struct{}

// Handle is one watched connection.
type Handle struct{}

// New returns ErrUnsupported.
func New() (*Poller, error) { return nil, ErrUnsupported }

// Add is never reached: there is no Poller.
func (p *Poller) Add(c syscall.Conn, ready func(hangup bool)) (*Handle, error) {
	return nil, ErrUnsupported
}

// Remove does nothing.
func (h *Handle) Remove() {}

// Close does nothing.
func (p *Poller) Close() error { return nil }

// Socket is not available on this system.
type Socket struct{}

// NewSocket returns ErrUnsupported.
func NewSocket(c syscall.Conn) (*Socket, error) { return nil, ErrUnsupported }

// Read is never reached.
func (s *Socket) Read(p []byte) (int, error) { return 0, ErrUnsupported }

// Write is never reached.
func (s *Socket) Write(p []byte) (int, error) { return 0, ErrUnsupported }
