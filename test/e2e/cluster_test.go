package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/parley-im/parley/internal/pgtest"
)

// clusterDomain is served by the test's cluster. It is not localhost,
// so `parley user add` with no node's data directory can only know it
// from the servers' record in PostgreSQL.
const clusterDomain = "cluster.example"

// TestThreeNodeCluster runs three parley processes as docs/cluster.md
// describes: one PostgreSQL, one external NATS server (embedded in this
// test), each node started with the usual listen flags plus
// PARLEY_STORAGE_DRIVER, PARLEY_STORAGE_DSN, PARLEY_CLUSTER_NODE and
// PARLEY_NATS_URL, and a TCP load balancer in front. slixmpp clients on
// different nodes chat, see each other's presence and share a room; the
// presence URL of every node answers for a user on any node. Then the
// node holding a client's session is killed (SIGKILL): the others keep
// serving, the client logs in again through the balancer (on another
// node) and finds every message sent to it, before and after the
// crash, live or in its archive; the killed node rejoins.
func TestThreeNodeCluster(t *testing.T) {
	pg := pgtest.Shared(t) // skips without PostgreSQL's binaries
	dsn := pg.NewSchema(t)
	bus := startNATS(t)
	env := []string{"PARLEY_STORAGE_DRIVER=postgres", "PARLEY_STORAGE_DSN=" + dsn, "PARLEY_NATS_URL=" + bus,
		// Faster than the defaults (1s, 3s), for a shorter test.
		"PARLEY_CLUSTER_HEARTBEAT=250ms", "PARLEY_CLUSTER_PEER_TIMEOUT=1500ms"}
	nodeEnv := func(name string) []string { return append([]string{"PARLEY_CLUSTER_NODE=" + name}, env...) }

	var nodes [3]*server
	for i := range nodes {
		name := fmt.Sprintf("n%d", i+1)
		nodes[i] = startServerEnv(t, name, "", nodeEnv(name), "--domain", clusterDomain)
	}
	for _, n := range nodes {
		waitPeers(t, n, 2)
	}
	// Accounts, made with the real command on the shared database, from
	// a directory that is no node's.
	admin := t.TempDir()
	for _, u := range []string{"alice", "bob", "carol", "dave", "rita", "sam"} {
		if out, err := parleyCmdEnv(t, admin, env, "user", "add", u+"@"+clusterDomain, "secret"); err != nil {
			t.Fatalf("parley user add %s@%s: %v\n%s", u, clusterDomain, err, out)
		}
	}
	lb := startBalancer(t, nodes[0].c2s, nodes[1].c2s, nodes[2].c2s)

	// Chat, presence and a room across the three nodes.
	runNodes(t, nodes[0], nodes[1], nodes[2], "before", true)

	// The presence URL of each node answers for dave, online on n1.
	hold := startHold(t, nodes[0], "presence_hold.py", "--domain", clusterDomain, "--user", "dave", "--show", "dnd", "--status", "in a meeting")
	hold.waitFor("dave online", "online")
	siteID, siteKey := createSiteEnv(t, admin, env, "Cluster site", "PRESENCE")
	base := "http://" + nodes[2].http
	session := apiToken(t, base, "createSession", siteID, siteKey, "SITE")
	token, tid := tokenParts(t, apiCall(t, base, "requestToken", siteID, session, map[string]string{"tokenPolicy": "PRESENCE"}))
	for _, n := range nodes {
		if js := presenceJS(t, "http://"+n.http, token, tid, "dave@"+clusterDomain); !strings.Contains(js, `var show = "DND"`) {
			t.Fatalf("node %s answers for dave (on n1): %s", n.name, js)
		}
	}
	hold.cancel() // dave leaves
	<-hold.done

	// rita's session, through the balancer; sam sends from another node.
	resume := filepath.Join(t.TempDir(), "resume")
	rita := startScriptFor(t, lb.addr(), startTLS, 2*time.Minute, "cluster_catchup.py",
		"--domain", clusterDomain, "--user", "rita", "--prefix", "m", "--expect", "40", "--offline-from", "31", "--wait-file", resume)
	rita.waitFor("rita online", "online")
	victim := lb.backendOf(1)
	var survivors []*server
	for _, n := range nodes {
		if n.c2s != victim {
			survivors = append(survivors, n)
		}
	}
	dead := nodeByC2S(nodes[:], victim)
	send := func(first, last int) {
		ev := runScript(t, survivors[0], startTLS, "cluster_send.py", "--domain", clusterDomain, "--user", "sam",
			"--to", "rita@"+clusterDomain, "--prefix", "m", "--first", strconv.Itoa(first), "--last", strconv.Itoa(last))
		need(t, ev, "sent")
	}
	send(1, 20)

	// kill -9 the node holding rita's session, and go on sending while
	// she has no session anywhere: the first messages go to her session
	// on the dead node until the others notice it died (lost on the way,
	// but archived), the next ones to offline storage. Then she logs in
	// again through the balancer, on another node.
	dead.kill()
	lb.remove(victim)
	rita.waitFor("rita's connection lost", "connection_lost")
	send(21, 30)
	for _, n := range survivors {
		waitPeers(t, n, 1) // the dead node's sessions are gone
	}
	send(31, 40)
	if err := os.WriteFile(resume, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	done := rita.wait()
	complete := need(t, done, "complete", "client", "rita")
	// m31..m40 went out once no node had a session of hers: they come
	// from offline storage (the script waits for that).
	logins, _ := strconv.Atoi(complete.get("logins"))
	if offline, _ := strconv.Atoi(complete.get("offline")); complete.get("messages") != "40" || logins < 2 || offline < 10 {
		t.Fatalf("rita after the crash: %v", complete)
	}
	t.Logf("rita got every message: %v", complete)

	// Her archive holds all forty, whatever the crash interrupted.
	list := need(t, runScript(t, survivors[1], startTLS, "cluster_archive.py", "--domain", clusterDomain, "--user", "rita", "--prefix", "m"),
		"archive", "client", "rita")
	if list.get("count") != "40" || list.get("missing") != "[]" {
		t.Fatalf("rita's archive after the crash: %v", list)
	}

	// The survivors keep serving each other.
	runNodes(t, survivors[0], survivors[1], survivors[0], "after", false)

	// The dead node comes back with its name and data directory: the
	// others see it, and it serves like the rest.
	back := startServerEnv(t, dead.name+" (rejoined)", dead.dataDir, nodeEnv(dead.name), "--domain", clusterDomain)
	for _, n := range append(survivors, back) {
		waitPeers(t, n, 2)
	}
	runNodes(t, back, survivors[0], survivors[1], "rejoined", false)
	if code, body := healthz(t, "http://"+back.http+"/healthz"); code != 200 || !strings.Contains(body, "cluster: parley, node "+dead.name) {
		t.Fatalf("healthz of the rejoined node: %d %s", code, body)
	}
}

// runNodes runs cluster_nodes.py with alice on a, bob on b, carol on c.
func runNodes(t *testing.T, a, b, c *server, tag string, subscribe bool) {
	t.Helper()
	args := []string{"--domain", clusterDomain, "--port2", port(b.c2s), "--port3", port(c.c2s), "--tag", tag}
	if subscribe {
		args = append(args, "--subscribe")
	}
	need(t, runScript(t, a, startTLS, "cluster_nodes.py", args...), "room_ok")
}

// waitPeers waits until n's /healthz lists peers live peers.
func waitPeers(t testing.TB, n *server, peers int) {
	t.Helper()
	want := fmt.Sprintf("; peers %d [", peers)
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body := healthz(t, "http://"+n.http+"/healthz")
		if code == 200 && strings.Contains(body, want) && !strings.Contains(body, "syncing") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: /healthz does not show %d synced peers: %d %s", n.name, peers, code, body)
		}
		time.Sleep(50 * time.Millisecond) // polling a state, not timing an assertion
	}
}

// healthz fetches a /healthz page (0 and the error when it does not
// answer).
func healthz(t testing.TB, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func nodeByC2S(nodes []*server, addr string) *server {
	for _, n := range nodes {
		if n.c2s == addr {
			return n
		}
	}
	return nil
}

// kill ends the process with SIGKILL, as a crash would.
func (s *server) kill() {
	s.t.Helper()
	s.stopped = true
	if err := s.cmd.Process.Kill(); err != nil {
		s.t.Fatalf("%s: kill: %v", s.name, err)
	}
	<-s.exited
}

// createSiteEnv is createSite on the store env names.
func createSiteEnv(t *testing.T, dataDir string, env []string, name string, policies ...string) (id, key string) {
	t.Helper()
	out, err := parleyCmdEnv(t, dataDir, env, "site", "create", "--name", name, "--policies", strings.Join(policies, ","), "--json")
	if err != nil {
		t.Fatalf("parley site create: %v\n%s", err, out)
	}
	var s struct {
		SiteID  string `json:"site_id"`
		AuthKey string `json:"auth_key"`
	}
	if err := json.Unmarshal([]byte(lastLine(out)), &s); err != nil || s.SiteID == "" {
		t.Fatalf("parley site create --json printed %q (%v)", out, err)
	}
	return s.SiteID, s.AuthKey
}

// startNATS runs a NATS server for the test's cluster (the "external
// NATS" of docs/cluster.md) and returns its URL.
func startNATS(t testing.TB) string {
	t.Helper()
	srv, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: natsserver.RANDOM_PORT, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS not ready")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	return srv.ClientURL()
}

// balancer is a TCP load balancer in front of the nodes' c2s listeners,
// as docs/cluster.md puts one: each connection goes to the next node in
// turn that accepts it.
type balancer struct {
	t  testing.TB
	ln net.Listener

	mu       sync.Mutex
	backends []string
	next     int
	chosen   []string // the backend of each connection, in order
}

func startBalancer(t testing.TB, backends ...string) *balancer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &balancer{t: t, ln: ln, backends: backends}
	go b.serve()
	t.Cleanup(func() { ln.Close() })
	return b
}

func (b *balancer) addr() string { return b.ln.Addr().String() }

func (b *balancer) remove(backend string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, x := range b.backends {
		if x == backend {
			b.backends = append(b.backends[:i:i], b.backends[i+1:]...)
			return
		}
	}
}

// backendOf returns the backend of the n-th connection (1-based).
func (b *balancer) backendOf(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > len(b.chosen) {
		b.t.Fatalf("the balancer carried %d connections, not %d", len(b.chosen), n)
	}
	return b.chosen[n-1]
}

func (b *balancer) serve() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		go b.forward(c)
	}
}

func (b *balancer) forward(c net.Conn) {
	defer c.Close()
	b.mu.Lock()
	order := make([]string, 0, len(b.backends))
	for i := range b.backends {
		order = append(order, b.backends[(b.next+i)%len(b.backends)])
	}
	b.next++
	b.mu.Unlock()
	for _, addr := range order {
		s, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			continue // a node that is down: the next one
		}
		b.mu.Lock()
		b.chosen = append(b.chosen, addr)
		b.mu.Unlock()
		defer s.Close()
		go func() { io.Copy(s, c); s.(*net.TCPConn).CloseWrite() }()
		io.Copy(c, s)
		return
	}
}
