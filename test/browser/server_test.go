package browser

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
	domain       = "localhost"
	password     = "secret"
	startTimeout = 15 * time.Second // until the server answers HTTP
	stopTimeout  = 10 * time.Second // from SIGTERM to exit
	startTries   = 5                // port races with other processes
)

// server is the XMPP server under test, a process on loopback ports: parley
// (built from this checkout) or prosody.
type server struct {
	t         *testing.T
	kind      string // "parley" or "prosody"
	c2s       string // client listener, host:port
	transport string // how slixmpp logs in: "starttls" or "plaintext"
	http      string // HTTP listener, host:port
	https     string // parley's HTTPS listener, host:port, if it has one
	dataDir   string // parley's data directory (the CLI works on it while the server runs)
	logPath   string
	cmd       *exec.Cmd
	exited    chan struct{}
	waitErr   error
}

var errPortTaken = errors.New("a listen address was taken")

// wsURL and boshURL are the server's browser endpoints.
func (s *server) wsURL() string {
	return "ws://" + s.http + envOr(wsPathEnv, "/xmpp-websocket")
}

func (s *server) boshURL() string {
	return "http://" + s.http + envOr(boshPathEnv, "/http-bind")
}

func (s *server) origin() string { return "http://" + s.http }

// startServer starts the target server with the accounts user@localhost
// (password "secret") and returns once it answers on HTTP. It is stopped at
// the end of the test; if the test failed its log is printed and kept.
func startServer(t *testing.T, users ...string) *server {
	t.Helper()
	return startServerWith(t, nil, users...)
}

// startServerWith is startServer with more `parley serve` arguments
// (e.g. --config FILE).
func startServerWith(t *testing.T, serveArgs []string, users ...string) *server {
	t.Helper()
	os.RemoveAll(artifactDir(t)) // a failed earlier run's
	for try := 1; ; try++ {
		s, err := tryStart(t, users, serveArgs)
		if err == nil {
			t.Cleanup(func() {
				s.stop()
				if t.Failed() {
					log := s.log()
					keepArtifact(t, s.kind+".log", log)
					t.Logf("---- %s log (%s) ----\n%s", s.kind, s.logPath, log)
				}
			})
			return s
		}
		if !errors.Is(err, errPortTaken) || try == startTries {
			t.Fatalf("%s: %v", target, err)
		}
		t.Logf("%s: %v; retrying on other ports", target, err)
	}
}

func tryStart(t *testing.T, users, serveArgs []string) (*server, error) {
	s := &server{t: t, kind: target, exited: make(chan struct{})}
	addrs, err := freeAddrs(4)
	if err != nil {
		return nil, err
	}
	s.c2s, s.http = addrs[0], addrs[1]
	dataDir := t.TempDir()
	s.dataDir = dataDir
	logDir := t.TempDir()
	s.logPath = filepath.Join(logDir, s.kind+".log")
	switch s.kind {
	case "parley":
		// slixmpp upgrades with STARTTLS (the server's self-signed
		// certificate is not verified); the browser speaks ws:// and
		// http:// to the HTTP listener on loopback.
		s.transport = "starttls"
		for _, u := range users {
			if out, err := run(parleyBin, nil, "user", "add", "--data-dir", dataDir, u+"@"+domain, password); err != nil {
				return nil, fmt.Errorf("parley user add %s@%s: %v\n%s", u, domain, err, out)
			}
		}
		args := []string{"serve", "--data-dir", dataDir, "--c2s-listen", s.c2s, "--c2s-tls-listen", addrs[2],
			"--http-listen", s.http, "--s2s-listen", "", "--s2s-tls-listen", "", "--log-level", "debug"}
		if hasHTTPTLSListen {
			s.https = addrs[3]
			args = append(args, "--http-tls-listen", s.https)
		}
		if hasNATSListen {
			args = append(args, "--nats-listen", "127.0.0.1:0") // tests run side by side: not 4222
		}
		args = append(args, serveArgs...)
		args = append(args, strings.Fields(os.Getenv(serveArgsEnv))...)
		s.cmd = exec.Command(parleyBin, args...)
		s.cmd.Env = hermeticEnv()
	case "prosody":
		s.transport = "plaintext" // no certificate; see prosody/prosody.cfg.lua
		cfg := filepath.Join(pkgDir, "prosody", "prosody.cfg.lua")
		env := append(hermeticEnv(), "PROSODY_DATA="+dataDir, "PROSODY_C2S_PORT="+port(s.c2s), "PROSODY_HTTP_PORT="+port(s.http))
		for _, u := range users {
			if out, err := run("prosodyctl", env, "--config", cfg, "register", u, domain, password); err != nil {
				return nil, fmt.Errorf("prosodyctl register %s %s: %v\n%s", u, domain, err, out)
			}
		}
		s.cmd = exec.Command("prosody", "-F", "--config", cfg)
		s.cmd.Env = env
	}
	s.cmd.Dir = logDir
	logFile, err := os.Create(s.logPath)
	if err != nil {
		return nil, err
	}
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
	if err := s.waitReady(); err != nil {
		return nil, err
	}
	return s, nil
}

// waitReady polls until the server answers HTTP (/healthz for parley, the
// BOSH endpoint's GET page for prosody) and accepts TCP on c2s.
func (s *server) waitReady() error {
	probe := "http://" + s.http + "/healthz"
	if s.kind == "prosody" {
		probe = s.boshURL()
	}
	deadline := time.Now().Add(startTimeout)
	hc := &http.Client{Timeout: time.Second}
	for {
		resp, err := hc.Get(probe)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				c, err := net.DialTimeout("tcp", s.c2s, time.Second)
				if err == nil {
					c.Close()
					return nil
				}
			}
		}
		select {
		case <-s.exited:
			log := s.log()
			if strings.Contains(log, "address already in use") || strings.Contains(log, "Address already in use") {
				return fmt.Errorf("%w: %s", errPortTaken, lastLine(log))
			}
			return fmt.Errorf("%s exited during start-up (%v); log:\n%s", s.kind, s.waitErr, log)
		default:
		}
		if time.Now().After(deadline) {
			s.cmd.Process.Kill()
			<-s.exited
			return fmt.Errorf("%s: %s not 200 within %v (last error %v); log:\n%s", s.kind, probe, startTimeout, err, s.log())
		}
		time.Sleep(25 * time.Millisecond) // readiness poll, not an assertion
	}
}

// stop sends SIGTERM and requires the server to exit within stopTimeout
// (parley with status 0).
func (s *server) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Errorf("%s: SIGTERM: %v", s.kind, err)
	}
	select {
	case <-s.exited:
		if s.waitErr != nil && s.kind == "parley" {
			s.t.Errorf("%s: exited with %v after SIGTERM, want status 0", s.kind, s.waitErr)
		}
	case <-time.After(stopTimeout):
		s.cmd.Process.Kill()
		<-s.exited
		s.t.Errorf("%s: still running %v after SIGTERM; killed", s.kind, stopTimeout)
	}
}

func (s *server) log() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// run runs a command to completion with env (nil: the hermetic one).
func run(name string, env []string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	if env == nil {
		env = hermeticEnv()
	}
	cmd.Env = env
	cmd.Dir = os.TempDir()
	out, err := cmd.CombinedOutput()
	return string(out), err
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

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// hermeticEnv is the test's environment without PARLEY_* configuration
// overrides, so a developer's settings do not leak into the servers.
func hermeticEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARLEY_") && !strings.HasPrefix(kv, "PROSODY_") {
			env = append(env, kv)
		}
	}
	return env
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
