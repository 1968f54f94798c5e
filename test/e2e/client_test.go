package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// scriptTimeout is each scenario script's own hard timeout (its
	// --timeout); the Go side kills it a little later.
	scriptTimeout = 30 * time.Second
	killAfter     = scriptTimeout + 10*time.Second
	// eventTimeout bounds waiting for one event from a running script.
	eventTimeout = 20 * time.Second
)

// transport says how a slixmpp client reaches the server.
type transport string

const (
	startTLS  transport = "starttls"  // STARTTLS listener, TLS required
	plaintext transport = "plaintext" // STARTTLS listener, no TLS (server runs --allow-plaintext)
	directTLS transport = "directtls" // direct TLS listener (XEP-0368)
)

// event is one JSON line a scenario script printed:
// {"event": "message", "client": "bob", "body": "hi", ...}.
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

// matches reports whether e is named name and has every key/value pair of kv.
func (e event) matches(name string, kv ...string) bool {
	if e.get("event") != name {
		return false
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if e.get(kv[i]) != kv[i+1] {
			return false
		}
	}
	return true
}

// script is one running scenario script (clients/NAME.py).
type script struct {
	t      *testing.T
	name   string
	cancel context.CancelFunc
	cmd    *exec.Cmd
	stderr bytes.Buffer // written by exec's copier; read after done

	mu      sync.Mutex
	events  []event
	lines   []string
	changed chan struct{} // closed and replaced on every new line
	done    chan struct{} // closed once the process exited and stdout is read
	err     error         // the exit result, read after done
}

// startScript runs clients/NAME with the address of srv's listener for tr
// and args, under a hard deadline. Its output is logged if the test fails.
func startScript(t *testing.T, srv *server, tr transport, name string, args ...string) *script {
	t.Helper()
	addr := srv.c2s
	if tr == directTLS {
		addr = srv.c2sTLS
	}
	return startScriptAt(t, addr, tr, name, args...)
}

// holdTimeout bounds the scripts that hold a session while the test
// works beside them (presence_hold.py under a SOAP client, say): that
// work compiles and runs other programs, which takes long on a loaded
// machine, and the test ends the script itself when it is done.
const holdTimeout = 3 * time.Minute

// startHold is startScript for a script that holds its session until
// the test ends it, with holdTimeout as its deadline.
func startHold(t *testing.T, srv *server, name string, args ...string) *script {
	t.Helper()
	return startScriptFor(t, srv.c2s, startTLS, holdTimeout, name, args...)
}

// startScriptAt is startScript against addr (a proxy in front of the
// server's listener for tr, say).
func startScriptAt(t *testing.T, addr string, tr transport, name string, args ...string) *script {
	t.Helper()
	return startScriptFor(t, addr, tr, scriptTimeout, name, args...)
}

// startScriptFor is startScriptAt with the script's own deadline; the
// Go side kills it killAfter-scriptTimeout later.
func startScriptFor(t *testing.T, addr string, tr transport, timeout time.Duration, name string, args ...string) *script {
	t.Helper()
	argv := append([]string{filepath.Join("clients", name),
		"--port", port(addr), "--transport", string(tr),
		"--timeout", strconv.Itoa(int(timeout / time.Second))}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), timeout+killAfter-scriptTimeout)
	p := &script{t: t, name: name, cancel: cancel, changed: make(chan struct{}), done: make(chan struct{})}
	p.cmd = exec.CommandContext(ctx, python, argv...)
	p.cmd.Stderr = &p.stderr
	p.cmd.WaitDelay = 2 * time.Second
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
		p.cancel() // kills the script if it still runs
		<-p.done
		if t.Failed() {
			p.mu.Lock()
			t.Logf("---- %s %s: %v; stdout ----\n%s\n---- %s stderr (the client library's stanza trace) ----\n%s",
				name, strings.Join(args, " "), p.err, strings.Join(p.lines, "\n"), name, p.stderr.String())
			p.mu.Unlock()
		}
	})
	return p
}

func (p *script) read(sc *bufio.Scanner) {
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

// waitFor waits until the script printed an event named name with the
// fields kv, and returns it.
func (p *script) waitFor(desc, name string, kv ...string) event {
	p.t.Helper()
	timer := time.NewTimer(eventTimeout)
	defer timer.Stop()
	for {
		p.mu.Lock()
		for _, e := range p.events {
			if e.matches(name, kv...) {
				p.mu.Unlock()
				return e
			}
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-p.done:
			if e := find(p.snapshot(), name, kv...); e != nil {
				return e
			}
			p.t.Fatalf("%s exited (%v) before %s%s", p.name, p.err, desc, p.failure())
		case <-timer.C:
			p.t.Fatalf("%s: no %s within %v", p.name, desc, eventTimeout)
		}
	}
}

// wait waits for the script to end, requires exit status 0, and returns
// every event it printed.
func (p *script) wait() []event {
	p.t.Helper()
	<-p.done
	if p.err != nil {
		p.t.Fatalf("%s failed (%v)%s", p.name, p.err, p.failure())
	}
	return p.snapshot()
}

func (p *script) snapshot() []event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]event(nil), p.events...)
}

// failure is the script's own explanation ({"event": "fail"}), if any.
func (p *script) failure() string {
	if e := find(p.snapshot(), "fail"); e != nil {
		return ": " + e.get("error")
	}
	return ""
}

// runScript runs a scenario script to completion (exit status 0 required).
func runScript(t *testing.T, srv *server, tr transport, name string, args ...string) []event {
	t.Helper()
	return startScript(t, srv, tr, name, args...).wait()
}

// find returns the first event named name with the fields kv, or nil.
func find(events []event, name string, kv ...string) event {
	for _, e := range events {
		if e.matches(name, kv...) {
			return e
		}
	}
	return nil
}

// need is find that fails the test when nothing matches.
func need(t *testing.T, events []event, name string, kv ...string) event {
	t.Helper()
	if e := find(events, name, kv...); e != nil {
		return e
	}
	t.Fatalf("no %s event with %s", name, fmtKV(kv))
	return nil
}

// rosterItem returns client's item for contact from the last roster result.
func rosterItem(events []event, client, contact string) map[string]any {
	var item map[string]any
	for _, e := range events {
		if e.matches("roster", "client", client) {
			items, _ := e["items"].(map[string]any)
			item, _ = items[contact].(map[string]any)
		}
	}
	return item
}

func fmtKV(kv []string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, "%s=%q ", kv[i], kv[i+1])
	}
	return strings.TrimSpace(b.String())
}
