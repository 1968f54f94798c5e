package browser

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// eventTimeout bounds waiting for one event from a running process.
const eventTimeout = 20 * time.Second

// exitTimeout bounds waiting for a process to end after its last event:
// closing Chromium with several contexts takes long on a loaded machine.
const exitTimeout = 60 * time.Second

// event is one JSON line a driver or script printed: {"event": "message", ...}.
type event map[string]any

// get returns a field as text: strings as they are, anything else as JSON.
func (e event) get(key string) string {
	v, ok := e[key]
	if !ok || v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// is matches events named name with every key/value pair of kv; a value
// ending in "*" matches by prefix.
func is(name string, kv ...string) func(event) bool {
	return func(e event) bool {
		if e.get("event") != name {
			return false
		}
		for i := 0; i+1 < len(kv); i += 2 {
			got, want := e.get(kv[i]), kv[i+1]
			if p, ok := strings.CutSuffix(want, "*"); ok {
				if !strings.HasPrefix(got, p) {
					return false
				}
			} else if got != want {
				return false
			}
		}
		return true
	}
}

func describe(name string, kv ...string) string {
	var b strings.Builder
	b.WriteString(name)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, " %s=%q", kv[i], kv[i+1])
	}
	return b.String()
}

// proc is a running process that prints one JSON event per line on stdout:
// the playwright driver (driver.mjs) or a slixmpp script (clients/).
type proc struct {
	t      *testing.T
	name   string
	cancel context.CancelFunc
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr bytes.Buffer // written by exec's copier; read after done
	fatal  func(event) bool

	mu      sync.Mutex
	events  []event
	lines   []string
	changed chan struct{} // closed and replaced on every new line
	done    chan struct{} // closed once the process exited and stdout is read
	err     error
}

// startProc runs argv in dir, killed after killAfter. fatal marks events
// that end any wait at once as a failure (nil: none). If the test fails,
// its stdout and stderr are logged and kept as artifacts.
func startProc(t *testing.T, name, dir string, killAfter time.Duration, fatal func(event) bool, argv ...string) *proc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), killAfter)
	p := &proc{t: t, name: name, cancel: cancel, fatal: fatal, changed: make(chan struct{}), done: make(chan struct{})}
	p.cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
	p.cmd.Dir = dir
	p.cmd.Env = hermeticEnv()
	p.cmd.Stderr = &p.stderr
	p.cmd.WaitDelay = 2 * time.Second
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", name, err)
	}
	go p.read(bufio.NewScanner(stdout))
	t.Cleanup(func() {
		p.stdin.Close() // end of input: the driver quits by itself
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
		}
		p.cancel() // kills the process if it still runs
		<-p.done
		if t.Failed() {
			p.mu.Lock()
			out := strings.Join(p.lines, "\n")
			p.mu.Unlock()
			keepArtifact(t, p.name+".stdout.jsonl", out)
			keepArtifact(t, p.name+".stderr.log", p.stderr.String())
			t.Logf("---- %s: %v; events ----\n%s\n---- %s stderr ----\n%s", p.name, p.err, out, p.name, p.stderr.String())
		}
	})
	return p
}

func (p *proc) read(sc *bufio.Scanner) {
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		var e event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			e = event{"event": "raw", "line": line}
		}
		p.mu.Lock()
		p.lines = append(p.lines, line)
		p.events = append(p.events, e)
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
	}
	err := p.cmd.Wait()
	p.mu.Lock()
	p.err = err
	p.mu.Unlock()
	close(p.done)
}

// send writes one command line to the process's stdin.
func (p *proc) send(cmd map[string]string) {
	p.t.Helper()
	b, _ := json.Marshal(cmd)
	if _, err := p.stdin.Write(append(b, '\n')); err != nil {
		p.t.Fatalf("%s: command %s: %v", p.name, b, err)
	}
}

// waitFor waits until the process printed an event that matches, and
// returns it; it fails the test on a fatal event, on exit or after
// eventTimeout.
func (p *proc) waitFor(desc string, match func(event) bool) event {
	p.t.Helper()
	timer := time.NewTimer(eventTimeout)
	defer timer.Stop()
	for {
		p.mu.Lock()
		for _, e := range p.events {
			if match(e) {
				p.mu.Unlock()
				return e
			}
			if p.fatal != nil && p.fatal(e) {
				p.mu.Unlock()
				p.t.Fatalf("%s: %s before %s", p.name, e.String(), desc)
			}
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-p.done:
			for _, e := range p.snapshot() {
				if match(e) {
					return e
				}
			}
			p.t.Fatalf("%s exited (%v) before %s%s", p.name, p.err, desc, p.failure())
		case <-timer.C:
			p.t.Fatalf("%s: no %s within %v%s", p.name, desc, eventTimeout, p.failure())
		}
	}
}

// expect is waitFor with the matcher of is(name, kv...).
func (p *proc) expect(name string, kv ...string) event {
	p.t.Helper()
	return p.waitFor(describe(name, kv...), is(name, kv...))
}

// wait waits for the process to end (within exitTimeout), requires exit
// status 0, and returns every event it printed.
func (p *proc) wait() []event {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(exitTimeout):
		p.t.Fatalf("%s still running %v after its last expected event", p.name, exitTimeout)
	}
	if p.err != nil {
		p.t.Fatalf("%s failed (%v)%s", p.name, p.err, p.failure())
	}
	return p.snapshot()
}

func (p *proc) snapshot() []event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]event(nil), p.events...)
}

// failure is the process's own explanation ({"event": "fail"}), if any.
func (p *proc) failure() string {
	for _, e := range p.snapshot() {
		if e.get("event") == "fail" {
			return ": " + e.get("error")
		}
	}
	return ""
}

func (e event) String() string {
	b, _ := json.Marshal(map[string]any(e))
	return string(b)
}

// artifactDir is where a failed test keeps its screenshot, DOM and logs:
// $PARLEY_BROWSER_ARTIFACTS (default ./artifacts) / the test's name.
func artifactDir(t *testing.T) string {
	root := os.Getenv(artifactsEnv)
	if root == "" {
		root = filepath.Join(pkgDir, "artifacts")
	}
	name := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_")
	dir, err := filepath.Abs(filepath.Join(root, target, name))
	if err != nil {
		dir = filepath.Join(root, target, name)
	}
	return dir
}

// keepArtifact writes one file of a failed test into its artifact directory.
func keepArtifact(t *testing.T, name, content string) {
	dir := artifactDir(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("artifacts: %v", err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Logf("artifacts: %v", err)
	}
}
