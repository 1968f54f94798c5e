package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parley-im/parley/internal/testca"
)

// The other servers of the federation tests: Debian's Prosody and
// ejabberd, each started by the test with its own configuration in a
// temporary directory, on ephemeral loopback ports, with its own domain
// and a certificate of the test's CA, finding Parley through the test's
// DNS server (dns_test.go). Neither is the system service: nothing in
// /etc is read and the packages' services need not run (or exist).

const peerStart = 30 * time.Second // until the peer's client port answers

// freePorts returns n loopback ports that were free a moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ls []net.Listener
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

// waitPort waits until something accepts connections on port, or the
// process exited.
func waitPort(t *testing.T, name string, port int, exited <-chan struct{}, logs func() string) {
	t.Helper()
	deadline := time.Now().Add(peerStart)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("%s exited during start-up; log:\n%s", name, logs())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not listen on %d after %v; log:\n%s", name, port, peerStart, logs())
		}
		time.Sleep(50 * time.Millisecond) // readiness poll, not an assertion
	}
}

// peer is one running Prosody or ejabberd.
type peer struct {
	name   string // "prosody" or "ejabberd"
	domain string
	c2s    int
	s2s    int
	dir    string
	start  func(t *testing.T)
	stop   func(t *testing.T)
	logs   func() string
}

// federationPKI is the test CA and a certificate per domain, written
// into dir: DOMAIN.crt (with the CA after the leaf) and DOMAIN.key, and
// ca.pem.
type federationPKI struct {
	ca  *testca.CA
	dir string
}

func newFederationPKI(t *testing.T, dir string) federationPKI {
	p := federationPKI{ca: testca.New(t), dir: dir}
	p.ca.WriteFile(t, dir)
	return p
}

func (p federationPKI) issue(t *testing.T, domain string) (certFile, keyFile string) {
	return p.ca.Issue(t, domain, "*."+domain).WriteFiles(t, p.dir, domain)
}

func (p federationPKI) caFile() string { return filepath.Join(p.dir, "ca.pem") }

// ---- Prosody -----------------------------------------------------------

const prosodyConfig = `-- Written by Parley's federation test for one run.
daemonize = false
run_as_root = true
pidfile = %[1]q .. "/prosody.pid"
data_path = %[1]q .. "/data"
log = { debug = %[1]q .. "/prosody.log" }
interfaces = { "127.0.0.1" }
c2s_ports = { %[2]d }
s2s_ports = { %[3]d }
c2s_direct_tls_ports = { }
s2s_direct_tls_ports = { }
http_ports = { }
https_ports = { }
component_ports = { }
modules_enabled = {
	"roster"; "saslauth"; "tls"; "dialback"; "disco"; "ping"; "offline";
	"s2s_bidi";
}
modules_disabled = { "posix" }
authentication = "internal_plain"
storage = "internal"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
-- Other servers must prove their domain with a certificate the test's
-- CA signed: Parley's, as client and as server certificate.
s2s_require_encryption = true
s2s_secure_auth = true
certificates = %[1]q .. "/certs"
ssl = { cafile = %[4]q }
-- The test's DNS server answers for the test's domains.
unbound = { resolvconf = false; hoststxt = false; forward = { "127.0.0.1@%[5]d" } }

VirtualHost %[6]q
`

// startProsody runs Prosody for domain, its DNS queries going to dns.
func startProsody(t *testing.T, pki federationPKI, dns *dnsServer, domain string, users ...string) *peer {
	t.Helper()
	needTool(t, "prosody")
	dir := t.TempDir()
	certs := filepath.Join(dir, "certs")
	must(t, os.MkdirAll(certs, 0o755))
	must(t, os.MkdirAll(filepath.Join(dir, "data"), 0o755))
	ports := freePorts(t, 2)
	p := &peer{name: "prosody", domain: domain, c2s: ports[0], s2s: ports[1], dir: dir}
	crt, key := pki.issue(t, domain)
	must(t, os.Rename(crt, filepath.Join(certs, domain+".crt")))
	must(t, os.Rename(key, filepath.Join(certs, domain+".key")))
	cfg := filepath.Join(dir, "prosody.cfg.lua")
	must(t, os.WriteFile(cfg, fmt.Appendf(nil, prosodyConfig, dir, p.c2s, p.s2s, pki.caFile(), dns.port(), domain), 0o644))
	p.logs = func() string {
		b, _ := os.ReadFile(filepath.Join(dir, "prosody.log"))
		out, _ := os.ReadFile(filepath.Join(dir, "stdout.log"))
		return tail(string(out), 20) + "\n" + tail(string(b), 200)
	}
	for _, u := range users {
		out, err := exec.Command("prosodyctl", "--config", cfg, "register", u, domain, "secret").CombinedOutput()
		if err != nil {
			t.Fatalf("prosodyctl register %s@%s: %v\n%s", u, domain, err, out)
		}
	}
	var cmd *exec.Cmd
	var exited chan struct{}
	p.start = func(t *testing.T) {
		t.Helper()
		stdout, err := os.OpenFile(filepath.Join(dir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		must(t, err)
		cmd = exec.Command("prosody", "--config", cfg)
		cmd.Dir = dir
		cmd.Stdout, cmd.Stderr = stdout, stdout
		must(t, cmd.Start())
		exited = make(chan struct{})
		go func(c *exec.Cmd, done chan struct{}) { c.Wait(); stdout.Close(); close(done) }(cmd, exited)
		waitPort(t, "prosody", p.c2s, exited, p.logs)
		waitPort(t, "prosody", p.s2s, exited, p.logs)
	}
	p.stop = func(t *testing.T) {
		t.Helper()
		if cmd == nil {
			return
		}
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("prosody did not stop within 15s of SIGTERM; killed")
		}
		cmd = nil
	}
	p.start(t)
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("---- prosody log (%s) ----\n%s", dir, p.logs())
		}
	})
	return p
}

// ---- ejabberd ------------------------------------------------------------

const ejabberdConfig = `# Written by Parley's federation test for one run.
hosts:
  - %[2]s
loglevel: info
log_rotate_count: 0
acme:
  auto: false
certfiles:
  - %[1]s/server.pem
ca_file: %[3]s
s2s_cafile: %[3]s
s2s_use_starttls: required
s2s_dns_timeout: 5
s2s_dns_retries: 1
outgoing_s2s_families: [ipv4]
listen:
  - port: %[4]d
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls: true
    max_stanza_size: 262144
    access: c2s
  - port: %[5]d
    ip: "127.0.0.1"
    module: ejabberd_s2s_in
    max_stanza_size: 262144
auth_method: internal
auth_password_format: plain
acl:
  local:
    user_regexp: ""
access_rules:
  c2s:
    allow: all
  local:
    allow: local
s2s_access: all
shaper_rules:
  c2s_shaper: none
  s2s_shaper: none
api_permissions:
  "console commands":
    from: ejabberd_ctl
    who: all
    what: "*"
modules:
  mod_roster: {}
  mod_disco: {}
  mod_ping: {}
  mod_offline: {}
  mod_s2s_dialback: {}
`

// startEjabberd runs ejabberd for domain as the ejabberd user (which
// ejabberdctl requires; the test runs as root), its DNS queries going to
// dns through an Erlang inetrc file.
func startEjabberd(t *testing.T, pki federationPKI, dns *dnsServer, domain string, users ...string) *peer {
	t.Helper()
	needTool(t, "ejabberdctl")
	eu, err := user.Lookup("ejabberd")
	if err != nil || os.Geteuid() != 0 {
		t.Skipf("ejabberd runs as its own user, which needs root (and the ejabberd user: %v)", err)
	}
	uid, _ := strconv.Atoi(eu.Uid)
	gid, _ := strconv.Atoi(eu.Gid)
	dir, err := os.MkdirTemp("", "parley-e2e-ejabberd-")
	must(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, d := range []string{"spool", "modules.d"} {
		must(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	ports := freePorts(t, 2)
	p := &peer{name: "ejabberd", domain: domain, c2s: ports[0], s2s: ports[1], dir: dir}
	crt, key := pki.issue(t, domain)
	pemCert, err := os.ReadFile(crt)
	must(t, err)
	pemKey, err := os.ReadFile(key)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "server.pem"), append(pemCert, pemKey...), 0o600))
	ca, err := os.ReadFile(pki.caFile())
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "ca.pem"), ca, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "ejabberd.yml"),
		fmt.Appendf(nil, ejabberdConfig, dir, domain, filepath.Join(dir, "ca.pem"), p.c2s, p.s2s), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "inetrc"), fmt.Appendf(nil,
		// resolv_conf "": otherwise Erlang reloads /etc/resolv.conf at the
		// first query, and its name servers replace the test's.
		"{resolv_conf, \"\"}.\n{nameserver, {127,0,0,1}, %d}.\n{lookup, [file, dns]}.\n{cache_size, 0}.\n", dns.port()), 0o644))
	// ejabberdctl word-splits ERL_OPTIONS without re-parsing quotes: the
	// inetrc path reaches erl as "PATH", an Erlang string.
	must(t, os.WriteFile(filepath.Join(dir, "ejabberdctl.cfg"), fmt.Appendf(nil,
		"ERL_OPTIONS=\"-env ERL_CRASH_DUMP_BYTES 0 -kernel inetrc \\\"%[1]s/inetrc\\\"\"\nEJABBERD_CONFIG_PATH=%[1]s/ejabberd.yml\nEJABBERD_PID_PATH=%[1]s/ejabberd.pid\nCONTRIB_MODULES_CONF_DIR=%[1]s/modules.d\nINET_DIST_INTERFACE=127.0.0.1\n", dir), 0o644))
	must(t, filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	}))
	must(t, os.Chmod(dir, 0o755))
	var suffix [4]byte
	rand.Read(suffix[:])
	node := "parley-e2e-" + hex.EncodeToString(suffix[:]) + "@localhost"
	ctl := func(args ...string) ([]byte, error) {
		argv := append([]string{"--ctl-config", filepath.Join(dir, "ejabberdctl.cfg"), "--spool", filepath.Join(dir, "spool"),
			"--logs", dir, "--node", node}, args...)
		cmd := exec.Command("ejabberdctl", argv...)
		cmd.Dir = dir
		return cmd.CombinedOutput()
	}
	p.logs = func() string {
		b, _ := os.ReadFile(filepath.Join(dir, "ejabberd.log"))
		e, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		return tail(string(e), 50) + "\n" + tail(string(b), 200)
	}
	running := false
	p.start = func(t *testing.T) {
		t.Helper()
		if out, err := ctl("start"); err != nil {
			t.Fatalf("ejabberdctl start: %v\n%s\n%s", err, out, p.logs())
		}
		running = true
		if out, err := ctl("started"); err != nil {
			t.Fatalf("ejabberdctl started: %v\n%s\n%s", err, out, p.logs())
		}
		waitPort(t, "ejabberd", p.c2s, nil, p.logs)
	}
	p.stop = func(t *testing.T) {
		t.Helper()
		if !running {
			return
		}
		running = false
		if out, err := ctl("stop"); err != nil {
			t.Errorf("ejabberdctl stop: %v\n%s", err, out)
			return
		}
		ctl("stopped")
	}
	p.start(t)
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("---- ejabberd log (%s) ----\n%s", dir, p.logs())
		}
	})
	for _, u := range users {
		if out, err := ctl("register", u, domain, "secret"); err != nil {
			t.Fatalf("ejabberdctl register %s@%s: %v\n%s", u, domain, err, out)
		}
	}
	return p
}

// needTool skips the test when a peer server is not installed, or
// fails it under CI or PARLEY_E2E_REQUIRED (make test-deps installs it).
func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" || os.Getenv(requiredEnv) != "" {
			t.Fatalf("%s is not installed (make test-deps installs it): %v", name, err)
		}
		t.Skipf("%s is not installed (make test-deps installs it)", name)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
