package server

import (
	"context"
	"fmt"
	"os"

	"github.com/parley-im/parley/control"
)

// startControl opens the local control channel (a Unix socket in the
// data directory) that admin commands reach the running server by. A
// server already running on the same data directory answers on it, and
// this one refuses to start.
func (s *Server) startControl(ctx context.Context) error {
	if !s.cfg.Control.Enabled {
		return nil
	}
	path := s.cfg.ControlSocket()
	if s.cfg.ControlSocketTooLong() {
		s.log.Warn("no control channel: the socket path is too long for a Unix socket; set control.socket to a shorter path", "path", path)
		return nil
	}
	if err := os.MkdirAll(s.cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("control: create data directory: %w", err)
	}
	c := control.New(path, s.log)
	if err := c.Start(ctx); err != nil {
		return err
	}
	s.ext.control = c
	return nil
}

func (s *Server) stopControl(ctx context.Context) error {
	if s.ext.control == nil {
		return nil
	}
	return s.ext.control.Stop(ctx)
}

// Control returns the control channel, nil when it is off.
func (s *Server) Control() *control.Server { return s.ext.control }
