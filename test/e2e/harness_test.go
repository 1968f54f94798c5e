// Package e2e runs the built parley binary against real third-party
// XMPP clients: Debian's python3-slixmpp and go-sendxmpp.
package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	python  = "/usr/bin/python3"
	timeout = 15 * time.Second
)

var parleyBin string

func TestMain(m *testing.M) {
	if missing := missingTools(); missing != "" {
		if os.Getenv("CI") != "" || os.Getenv("PARLEY_E2E_REQUIRED") != "" {
			fmt.Fprintf(os.Stderr, "e2e: required tools missing: %s (run make test-deps)\n", missing)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "e2e: skipping, missing %s (make test installs them)\n", missing)
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "parley-e2e")
	if err != nil {
		panic(err)
	}
	parleyBin = filepath.Join(dir, "parley")
	build := exec.Command("go", "build", "-o", parleyBin, "./cmd/parley")
	build.Dir = filepath.Join("..", "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build parley:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func missingTools() string {
	var missing []string
	if err := exec.Command(python, "-c", "import slixmpp").Run(); err != nil {
		missing = append(missing, "python3-slixmpp")
	}
	if _, err := exec.LookPath("go-sendxmpp"); err != nil {
		missing = append(missing, "go-sendxmpp")
	}
	return strings.Join(missing, ", ")
}

// server is a parley process.
type server struct {
	t       *testing.T
	dataDir string
	c2s     string
	c2sTLS  string
	http    string
	cmd     *exec.Cmd
	logPath string
	exited  chan error
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServer runs parley on fresh loopback ports with dataDir ("" for
// a new one) and waits until /healthz answers 200.
func startServer(t *testing.T, dataDir string, extra ...string) *server {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	s := &server{t: t, dataDir: dataDir, c2s: freePort(t), c2sTLS: freePort(t), http: freePort(t)}
	s.logPath = filepath.Join(t.TempDir(), "parley.log")
	logFile, err := os.Create(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"serve", "--data-dir", dataDir, "--c2s-listen", s.c2s, "--c2s-tls-listen", s.c2sTLS,
		"--http-listen", s.http, "--log-level", "debug"}, extra...)
	s.cmd = exec.Command(parleyBin, args...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.exited = make(chan error, 1)
	go func() { s.exited <- s.cmd.Wait(); logFile.Close() }()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.stop()
		}
		if t.Failed() {
			b, _ := os.ReadFile(s.logPath)
			t.Logf("parley log:\n%s", b)
		}
	})
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get("http://" + s.http + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case err := <-s.exited:
			b, _ := os.ReadFile(s.logPath)
			t.Fatalf("parley exited during start-up: %v\n%s", err, b)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("parley not healthy in time")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and requires a clean exit within 10 s.
func (s *server) stop() {
	s.t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exited:
		if err != nil {
			s.t.Errorf("parley exited with %v after SIGTERM", err)
		}
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		s.t.Error("parley did not stop within 10 s of SIGTERM")
	}
}

// cli runs a parley subcommand against the server's data directory.
func (s *server) cli(args ...string) (string, error) {
	args = append(args[:1:1], append([]string{"--data-dir", s.dataDir}, args[1:]...)...)
	out, err := exec.Command(parleyBin, args...).CombinedOutput()
	return string(out), err
}

func (s *server) addUser(user, password string) {
	s.t.Helper()
	if out, err := s.cli("user", "add", user, password); err != nil {
		s.t.Fatalf("user add %s: %v\n%s", user, err, out)
	}
}

func (s *server) port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// client is one slixmpp process.
type client struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	events chan map[string]any
	mu     sync.Mutex
	seen   []string
}

// connect starts a slixmpp client and waits for its session to start.
func (s *server) connect(jid, password string, directTLS bool) *client {
	s.t.Helper()
	c := s.start(jid, password, directTLS)
	c.expect("session start", func(e map[string]any) bool { return e["event"] == "session_start" })
	return c
}

func (s *server) start(jid, password string, directTLS bool) *client {
	s.t.Helper()
	addr := s.c2s
	args := []string{filepath.Join("clients", "slixclient.py"), jid, password, "127.0.0.1"}
	if directTLS {
		addr = s.c2sTLS
	}
	args = append(args, s.port(addr))
	if directTLS {
		args = append(args, "--direct-tls")
	}
	c := &client{t: s.t, name: jid, events: make(chan map[string]any, 256)}
	c.cmd = exec.Command(python, args...)
	stdout, _ := c.cmd.StdoutPipe()
	c.stdin, _ = c.cmd.StdinPipe()
	var stderr strings.Builder
	c.cmd.Stderr = &stderr
	if err := c.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var e map[string]any
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				e = map[string]any{"event": "raw", "line": sc.Text()}
			}
			c.mu.Lock()
			c.seen = append(c.seen, sc.Text())
			c.mu.Unlock()
			c.events <- e
		}
		close(c.events)
	}()
	s.t.Cleanup(func() {
		c.stdin.Close()
		done := make(chan struct{})
		go func() { c.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			c.cmd.Process.Kill()
		}
		if s.t.Failed() {
			c.mu.Lock()
			s.t.Logf("%s events:\n%s\nstderr:\n%s", c.name, strings.Join(c.seen, "\n"), stderr.String())
			c.mu.Unlock()
		}
	})
	return c
}

// do sends a command to the client.
func (c *client) do(cmd map[string]any) {
	c.t.Helper()
	b, _ := json.Marshal(cmd)
	if _, err := c.stdin.Write(append(b, '\n')); err != nil {
		c.t.Fatalf("%s: command %v: %v", c.name, cmd, err)
	}
}

// expect waits for an event matching match, skipping others.
func (c *client) expect(desc string, match func(map[string]any) bool) map[string]any {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		select {
		case e, ok := <-c.events:
			if !ok {
				c.t.Fatalf("%s: client exited while waiting for %s", c.name, desc)
			}
			if e["event"] == "error" {
				c.t.Fatalf("%s: client error while waiting for %s: %v", c.name, desc, e["message"])
			}
			if match(e) {
				return e
			}
		case <-ctx.Done():
			c.t.Fatalf("%s: timed out waiting for %s", c.name, desc)
		}
	}
}

func isEvent(name string, kv ...string) func(map[string]any) bool {
	return func(e map[string]any) bool {
		if e["event"] != name {
			return false
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if fmt.Sprint(e[kv[i]]) != kv[i+1] {
				return false
			}
		}
		return true
	}
}
