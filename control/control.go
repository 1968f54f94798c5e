// Package control is the local control channel of a running server: a
// Unix socket (in the data directory by default) through which admin
// commands such as `parley calendar-agent status` reach it. Modules
// register a Handler per command name; the CLI calls them with Call.
//
// Only the server's own user may use it: the socket is created with
// mode 0600, and on Linux each peer's credentials (SO_PEERCRED) are
// checked too, so a permissive directory or a race around the chmod
// lets no other user in (root is allowed, as it could read the data
// anyway).
//
// The protocol is one JSON request line and one JSON response line per
// connection:
//
//	{"command":"calendar-agent","args":["status"]}
//	{"ok":true,"output":"running\n..."}   or   {"ok":false,"error":"..."}
//
// A second server started on the same data directory finds the socket
// answering and refuses to start (ErrInUse); a socket file left by a
// crashed server is replaced.
//
// Concurrency: handlers run on the connection's goroutine, one request
// per connection, several connections at once; mu guards the handler
// table.
package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sort"
	"sync"
	"time"
)

// Handler runs one command with its arguments and returns the text to
// show the operator. An error is shown as the command's failure.
type Handler func(ctx context.Context, args []string) (string, error)

// Limits of the protocol.
const (
	maxRequestBytes = 64 << 10
	requestTimeout  = 30 * time.Second
)

type request struct {
	Command string   `json:"command"`
	Args    []string `json:"args"`
}

type response struct {
	OK     bool   `json:"ok"`
	Output string `json:"output,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Server serves the control socket.
type Server struct {
	path string
	log  *slog.Logger

	mu       sync.Mutex
	handlers map[string]Handler
	secret   map[string]bool // commands whose arguments beyond the first are not logged
	ln       net.Listener
	conns    sync.WaitGroup
	cancel   context.CancelFunc
}

// New returns a server for the socket at path; Start listens.
func New(path string, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	return &Server{path: path, log: log.With("component", "control"), handlers: map[string]Handler{}}
}

// Handle registers h for command name, replacing any earlier one.
func (s *Server) Handle(name string, h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[name] = h
}

// HandleSecret registers h like Handle, for a command whose arguments
// may carry a secret (a password): only its first argument (the
// subcommand) is logged.
func (s *Server) HandleSecret(name string, h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[name] = h
	if s.secret == nil {
		s.secret = make(map[string]bool)
	}
	s.secret[name] = true
}

// Path is the socket's path.
func (s *Server) Path() string { return s.path }

// Start creates the socket and serves it until Stop.
func (s *Server) Start(ctx context.Context) error {
	if err := s.removeStale(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("unix", s.path)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrListen, s.path, err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(true)
	if err := os.Chmod(s.path, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("%w: chmod %s: %v", ErrListen, s.path, err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.mu.Lock()
	s.ln, s.cancel = ln, cancel
	s.mu.Unlock()
	go s.serve(runCtx, ln)
	return nil
}

// removeStale removes a socket file no server answers on, and refuses
// to go on if one does.
func (s *Server) removeStale(ctx context.Context) error {
	fi, err := os.Lstat(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrListen, err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("%w: %s exists and is not a socket", ErrListen, s.path)
	}
	d := net.Dialer{Timeout: time.Second}
	if c, err := d.DialContext(ctx, "unix", s.path); err == nil {
		c.Close()
		return fmt.Errorf("%w: %s", ErrInUse, s.path)
	}
	if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: remove stale %s: %v", ErrListen, s.path, err)
	}
	return nil
}

func (s *Server) serve(ctx context.Context, ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Error("accept", "err", err)
			}
			return
		}
		s.conns.Add(1)
		go func() {
			defer s.conns.Done()
			s.handle(ctx, c.(*net.UnixConn))
		}()
	}
}

func (s *Server) handle(ctx context.Context, c *net.UnixConn) {
	defer c.Close()
	if err := checkPeer(c); err != nil {
		s.log.Warn("refused", "err", err)
		writeResponse(c, response{Error: "permission denied"})
		return
	}
	c.SetDeadline(time.Now().Add(requestTimeout))
	line, err := bufio.NewReader(io.LimitReader(c, maxRequestBytes)).ReadBytes('\n')
	if err != nil {
		writeResponse(c, response{Error: "bad request: expected one JSON line"})
		return
	}
	var req request
	if err := json.Unmarshal(line, &req); err != nil || req.Command == "" {
		writeResponse(c, response{Error: "bad request: expected {\"command\": ..., \"args\": [...]}"})
		return
	}
	s.mu.Lock()
	h, secret := s.handlers[req.Command], s.secret[req.Command]
	s.mu.Unlock()
	if h == nil {
		writeResponse(c, response{Error: fmt.Sprintf("unknown command %q (known: %v)", req.Command, s.commands())})
		return
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	logged := req.Args
	if secret && len(logged) > 1 {
		logged = []string{logged[0], "(not logged)"}
	}
	s.log.Info("command", "command", req.Command, "args", logged)
	out, err := h(ctx, req.Args)
	if err != nil {
		writeResponse(c, response{Error: err.Error(), Output: out})
		return
	}
	writeResponse(c, response{OK: true, Output: out})
}

func (s *Server) commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.handlers))
	for n := range s.handlers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func writeResponse(w io.Writer, r response) {
	b, _ := json.Marshal(r)
	w.Write(append(b, '\n'))
}

// Stop closes the socket (removing its file) and waits for running
// commands, bounded by ctx.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	ln, cancel := s.ln, s.cancel
	s.ln = nil
	s.mu.Unlock()
	if ln == nil {
		return nil
	}
	err := ln.Close()
	done := make(chan struct{})
	go func() {
		s.conns.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
	cancel()
	return err
}

// Call sends one command to the server listening on path and returns
// its output. A command that failed returns its error (ErrCommand) with
// any output it gave; ErrNotRunning means no server listens there.
func Call(ctx context.Context, path, command string, args ...string) (string, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, errConnRefused) {
			return "", fmt.Errorf("%w (no socket at %s)", ErrNotRunning, path)
		}
		if errors.Is(err, os.ErrPermission) {
			return "", fmt.Errorf("%w: %s: run as the server's user", ErrPermission, path)
		}
		return "", fmt.Errorf("%w: %v", ErrNotRunning, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	} else {
		c.SetDeadline(time.Now().Add(requestTimeout + 5*time.Second))
	}
	if args == nil {
		args = []string{}
	}
	b, _ := json.Marshal(request{Command: command, Args: args})
	if _, err := c.Write(append(b, '\n')); err != nil {
		return "", fmt.Errorf("control: send: %w", err)
	}
	line, err := bufio.NewReader(io.LimitReader(c, 16<<20)).ReadBytes('\n')
	if err != nil {
		return "", fmt.Errorf("control: no answer: %w", err)
	}
	var resp response
	if err := json.Unmarshal(line, &resp); err != nil {
		return "", fmt.Errorf("control: bad answer: %w", err)
	}
	if !resp.OK {
		return resp.Output, fmt.Errorf("%w: %s", ErrCommand, resp.Error)
	}
	return resp.Output, nil
}
