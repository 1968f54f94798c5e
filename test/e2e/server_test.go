package e2e

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	startTimeout = 15 * time.Second // until /healthz answers 200
	stopTimeout  = 10 * time.Second // from SIGTERM to exit
	startTries   = 5                // port races with other processes
)

// server is one `parley serve` process on loopback ports.
type server struct {
	t       testing.TB
	name    string // "parley", "parley (restarted)", ... in logs
	dataDir string
	c2s     string // STARTTLS listener
	c2sTLS  string // direct TLS listener
	http    string
	nats    string   // the embedded NATS server's listener (calendar notifications)
	env     []string // the store's settings, for the commands (cluster benchmarks)
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd.Wait returned
	waitErr error         // cmd.Wait's result, read after exited
	stopped bool
}

var errPortTaken = errors.New("a listen address was taken")

// startServer runs `parley serve` on fresh loopback ports over dataDir ("" for
// a new one) with extra flags, and returns once /healthz answers 200. The
// server is stopped with SIGTERM at the end of the test (and must exit 0
// within 10 s); if the test failed its log is printed.
func startServer(t testing.TB, name, dataDir string, extra ...string) *server {
	t.Helper()
	return startServerEnv(t, name, dataDir, nil, extra...)
}

// startServerEnv is startServer with env (PARLEY_*=... settings) added
// to the server's environment.
func startServerEnv(t testing.TB, name, dataDir string, env []string, extra ...string) *server {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	for try := 1; ; try++ {
		s, err := tryStart(t, name, dataDir, env, extra)
		if err == nil {
			return s
		}
		if !errors.Is(err, errPortTaken) || try == startTries {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s: %v; retrying on other ports", name, err)
	}
}

func tryStart(t testing.TB, name, dataDir string, env, extra []string) (*server, error) {
	s := &server{t: t, name: name, dataDir: dataDir, exited: make(chan struct{})}
	var err error
	addrs, err := freeAddrs(4)
	if err != nil {
		return nil, err
	}
	s.c2s, s.c2sTLS, s.http, s.nats = addrs[0], addrs[1], addrs[2], addrs[3]
	logDir := t.TempDir()
	s.logPath = filepath.Join(logDir, "parley.log")
	logFile, err := os.Create(s.logPath)
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve", "--data-dir", dataDir,
		"--c2s-listen", s.c2s, "--c2s-tls-listen", s.c2sTLS, "--http-listen", s.http, "--http-tls-listen", "",
		"--nats-listen", s.nats,
		// No federation listeners unless a test asks (extra flags win).
		"--s2s-listen", "", "--s2s-tls-listen", "",
		"--log-level", "debug"}, extra...)
	s.cmd = exec.Command(parleyBin, args...)
	s.cmd.Dir = logDir // no stray parley.toml or ./data from the caller's directory
	s.cmd.Env = append(hermeticEnv(), env...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		logFile.Close()
		close(s.exited)
	}()

	deadline := time.Now().Add(startTimeout)
	hc := &http.Client{Timeout: time.Second}
	for {
		resp, err := hc.Get("http://" + s.http + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-s.exited:
			log := s.log()
			if strings.Contains(log, "address already in use") {
				return nil, fmt.Errorf("%w: %s", errPortTaken, lastLine(log))
			}
			return nil, fmt.Errorf("exited during start-up (%v); log:\n%s", s.waitErr, log)
		default:
		}
		if time.Now().After(deadline) {
			s.cmd.Process.Kill()
			<-s.exited
			return nil, fmt.Errorf("/healthz not 200 within %v (last error %v); log:\n%s", startTimeout, err, s.log())
		}
		time.Sleep(25 * time.Millisecond) // readiness poll, not an assertion
	}
	t.Cleanup(func() {
		if !s.stopped {
			s.stop()
		}
		if t.Failed() {
			t.Logf("---- %s log (%s) ----\n%s", s.name, s.logPath, s.log())
		}
	})
	return s, nil
}

// freeAddrs picks n loopback addresses that were free a moment ago;
// startServer retries when one is taken in between.
func freeAddrs(n int) ([]string, error) {
	addrs := make([]string, n)
	for i := range addrs {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		addrs[i] = l.Addr().String()
	}
	return addrs, nil
}

// stop sends SIGTERM and requires exit status 0 within stopTimeout.
func (s *server) stop() {
	s.t.Helper()
	s.stopped = true
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Errorf("%s: SIGTERM: %v", s.name, err)
	}
	start := time.Now()
	select {
	case <-s.exited:
		if s.waitErr != nil {
			s.t.Errorf("%s: exited with %v after SIGTERM, want status 0", s.name, s.waitErr)
		}
	case <-time.After(stopTimeout):
		s.cmd.Process.Kill()
		<-s.exited
		s.t.Errorf("%s: still running %v after SIGTERM; killed", s.name, time.Since(start).Round(time.Millisecond))
	}
}

func (s *server) log() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// port returns the port of one of the server's addresses.
func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// userCmd runs `parley user ARGS... --data-dir DIR` (the real command,
// against the data directory, whether or not a server runs on it).
func userCmd(t *testing.T, dataDir string, args ...string) (string, error) {
	t.Helper()
	return parleyCmd(t, dataDir, "user", args...)
}

// parleyCmd runs `parley SUB ARGS... --data-dir dataDir` (an admin
// subcommand: user, room, site...) and returns its combined output.
func parleyCmd(t *testing.T, dataDir, sub string, args ...string) (string, error) {
	t.Helper()
	return parleyCmdEnv(t, dataDir, nil, sub, args...)
}

// parleyCmdEnv is parleyCmd with env (PARLEY_*=... settings) added to
// the command's environment.
func parleyCmdEnv(t testing.TB, dataDir string, env []string, sub string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(parleyBin, append(append([]string{sub}, args...), "--data-dir", dataDir)...)
	cmd.Env = append(hermeticEnv(), env...)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// addUsers creates user@localhost accounts with the password "secret".
func addUsers(t *testing.T, dataDir string, users ...string) {
	t.Helper()
	for _, u := range users {
		if out, err := userCmd(t, dataDir, "add", u+"@localhost", "secret"); err != nil {
			t.Fatalf("parley user add %s@localhost: %v\n%s", u, err, out)
		}
	}
}

// hermeticEnv is the test's environment without PARLEY_* configuration
// overrides, so a developer's settings do not leak into the servers.
func hermeticEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARLEY_") {
			env = append(env, kv)
		}
	}
	return env
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
