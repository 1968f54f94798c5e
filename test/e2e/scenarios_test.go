package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// newServer starts a server with a fresh data directory and creates alice
// and bob (password "secret") with `parley user add` while it runs.
func newServer(t *testing.T, extra ...string) *server {
	t.Helper()
	s := startServer(t, "parley", "", extra...)
	addUsers(t, s.dataDir, "alice", "bob")
	return s
}

func TestLoginAndRoster(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ev := runScript(t, s, startTLS, "login_roster.py")

	start := need(t, ev, "session_start", "client", "alice")
	if start.get("jid") != "alice@localhost/roster" || start.get("tls") != "true" || !strings.HasPrefix(start.get("mechanism"), "SCRAM-SHA-") {
		t.Errorf("session: %v (want alice@localhost/roster, over TLS, with SCRAM)", start)
	}
	// The roster read back after the add (the script also renames and
	// removes the item; it checks each step itself).
	added := need(t, ev, "roster", "client", "alice", "items",
		`{"bob@localhost":{"ask":"","groups":["Friends"],"name":"Bob","subscription":"none"}}`)
	if added.get("ver") == "" {
		t.Errorf("roster result without a version although the server offers roster versioning: %v", added)
	}
}

func TestSubscriptionsAndPresence(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ev := runScript(t, s, startTLS, "subscribe_presence.py")

	for _, c := range [][2]string{{"alice", "bob@localhost"}, {"bob", "alice@localhost"}} {
		if item := rosterItem(ev, c[0], c[1]); item == nil || item["subscription"] != "both" || item["ask"] != "" {
			t.Errorf("%s's final roster item for %s: %v, want subscription=both without ask", c[0], c[1], item)
		}
	}
	need(t, ev, "presence", "client", "alice", "frm", "bob@localhost/phone", "show", "away", "status", "in a meeting")
	need(t, ev, "presence", "client", "alice", "frm", "bob@localhost/phone", "type", "unavailable")
}

func TestChatMessageAndChatStates(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ev := runScript(t, s, startTLS, "chat.py")

	need(t, ev, "message", "client", "bob", "frm", "alice@localhost/desk", "type", "chat",
		"body", "hello from slixmpp", "chat_state", "active")
	need(t, ev, "message", "client", "bob", "frm", "alice@localhost/desk", "body", "", "chat_state", "composing")
	need(t, ev, "message", "client", "alice", "frm", "bob@localhost/phone", "body", "hi alice")
}

// XEP-0280 and XEP-0313 as slixmpp's plugins speak them: carbons to a
// second resource, archive pages of 3 read both ways.
func TestCarbonsAndArchive(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ev := runScript(t, s, startTLS, "carbons_mam.py")

	need(t, ev, "mam", "client", "laptop", "order", "forward", "bodies", "m1,m2,m3,m4,m5,m6,m7,reply")
	need(t, ev, "mam", "client", "laptop", "order", "backward", "bodies", "reply,m7,m6,m5,m4,m3,m2,m1")
}

func TestOfflineDelivery(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ev := runScript(t, s, startTLS, "offline.py")

	for _, body := range []string{"first while offline", "second while offline"} {
		m := need(t, ev, "message", "client", "bob", "body", body)
		if m.get("frm") != "alice@localhost/desk" || m.get("delay") == "" {
			t.Errorf("offline message %q: %v, want from alice@localhost/desk with a delay stamp", body, m)
		}
	}
	if m := find(ev, "message", "client", "bob-again"); m != nil {
		t.Errorf("offline message delivered a second time: %v", m)
	}
}

// TestOfflineDeliveryWhenPriorityBecomesNonNegative: a message to the
// bare JID of a user whose only session has negative priority is stored
// (RFC 6121 8.5.2.1.1), and delivered when that session sends presence with
// a non-negative priority (XEP-0160 3), not only on a later session's
// initial presence.
func TestOfflineDeliveryWhenPriorityBecomesNonNegative(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ev := runScript(t, s, startTLS, "offline_priority.py")
	m := need(t, ev, "message", "client", "bob", "body", "while bob was at priority -1")
	if m.get("delay") == "" {
		t.Errorf("stored message delivered without a delay stamp: %v", m)
	}
}

func TestRestartKeepsRostersAndOfflineMessages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	addUsers(t, dir, "alice", "bob") // before any server ran on dir
	s := startServer(t, "parley", dir)
	runScript(t, s, startTLS, "restart_setup.py")
	s.stop()

	s2 := startServer(t, "parley (restarted)", dir)
	ev := runScript(t, s2, startTLS, "restart_check.py")
	if item := rosterItem(ev, "alice", "bob@localhost"); item == nil || item["subscription"] != "both" || item["name"] != "Bob" {
		t.Errorf("alice's roster item for bob after the restart: %v", item)
	}
	if item := rosterItem(ev, "bob", "alice@localhost"); item == nil || item["subscription"] != "both" {
		t.Errorf("bob's roster item for alice after the restart: %v", item)
	}
	m := need(t, ev, "message", "client", "bob", "body", "sent before the restart")
	if m.get("frm") != "alice@localhost/desk" || m.get("delay") == "" {
		t.Errorf("message left before the restart: %v, want from alice@localhost/desk with a delay stamp", m)
	}
}

// TestGoSendxmppToSlixmpp sends with go-sendxmpp over both listeners: the
// STARTTLS one (without -t go-sendxmpp upgrades with STARTTLS, which the
// server requires) and the direct TLS one (-t, XEP-0368). Both work, so
// both are checked; -n accepts the server's self-signed certificate.
func TestGoSendxmppToSlixmpp(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	bodies := []string{"hello over STARTTLS from go-sendxmpp", "hello over direct TLS from go-sendxmpp"}
	bob := startScript(t, s, startTLS, "receive.py", "--body", bodies[0], "--body", bodies[1])
	bob.waitFor("bob ready", "ready")

	home := t.TempDir() // go-sendxmpp reads (and may write) files under $HOME
	send := func(body string, flags ...string) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		args := append(flags, "-n", "--timeout", "10", "-u", "alice@localhost", "-p", "secret", "bob@localhost")
		cmd := exec.CommandContext(ctx, goSendxmpp, args...)
		cmd.Env = append(hermeticEnv(), "HOME="+home)
		cmd.Stdin = strings.NewReader(body)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go-sendxmpp %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	send(bodies[0], "-j", s.c2s)
	send(bodies[1], "-t", "-j", s.c2sTLS)

	ev := bob.wait()
	for _, body := range bodies {
		m := need(t, ev, "message", "client", "bob", "body", body)
		if !strings.HasPrefix(m.get("frm"), "alice@localhost/") {
			t.Errorf("message %q from %q, want alice@localhost/...", body, m.get("frm"))
		}
	}
}

func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	alice := startScript(t, s, startTLS, "shutdown.py")
	alice.waitFor("alice online", "ready")
	s.stop() // SIGTERM; requires exit status 0 within 10 s
	ev := alice.wait()
	need(t, ev, "stream_error", "client", "alice", "condition", "system-shutdown")
	need(t, ev, "disconnected", "client", "alice")
}

func TestUserCLIWhileServing(t *testing.T) {
	t.Parallel()
	s := startServer(t, "parley", "")
	user := func(args ...string) string {
		t.Helper()
		out, err := userCmd(t, s.dataDir, args...)
		if err != nil {
			t.Fatalf("parley user %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	userFails := func(want string, args ...string) {
		t.Helper()
		out, err := userCmd(t, s.dataDir, args...)
		if err == nil || !strings.Contains(out, want) {
			t.Fatalf("parley user %s: err=%v output %q, want a non-zero exit saying %q", strings.Join(args, " "), err, out, want)
		}
	}
	login := func(user, password, expect string) []event {
		t.Helper()
		return runScript(t, s, startTLS, "login.py", "--user", user, "--password", password, "--expect", expect)
	}

	if out := user("add", "dora@localhost", "first"); !strings.Contains(out, "dora@localhost") {
		t.Errorf("user add output %q", out)
	}
	user("add", "eve@localhost", "other")
	userFails("already exists", "add", "dora@localhost", "again")
	userFails("not served", "add", "dora@elsewhere.example", "x")
	if out := user("list"); strings.Fields(out)[0] != "dora@localhost" || !strings.Contains(out, "eve@localhost") {
		t.Errorf("user list: %q, want dora@localhost and eve@localhost", out)
	}
	login("dora", "first", "session")

	user("passwd", "dora@localhost", "second")
	login("dora", "first", "auth-failure")
	login("dora", "second", "session")
	login("eve", "other", "session") // other accounts unaffected

	user("remove", "dora@localhost")
	login("dora", "second", "auth-failure")
	userFails("no such account", "passwd", "dora@localhost", "third")
	if out := user("list"); strings.Contains(out, "dora@") || !strings.Contains(out, "eve@localhost") {
		t.Errorf("user list after remove: %q", out)
	}
}

func TestPlaintextSCRAM(t *testing.T) {
	t.Parallel()
	t.Run("allowed", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, "--allow-plaintext")
		ev := runScript(t, s, plaintext, "login.py", "--user", "alice")
		sasl := need(t, ev, "features", "client", "alice", "tls", "false")
		if !strings.Contains(sasl.get("mechanisms"), "SCRAM-SHA-256") || strings.Contains(sasl.get("mechanisms"), "PLAIN") {
			t.Errorf("mechanisms offered without TLS: %s, want SCRAM and no PLAIN", sasl.get("mechanisms"))
		}
		need(t, ev, "session_start", "client", "alice", "tls", "false", "mechanism", "SCRAM-SHA-256")
		need(t, ev, "pong", "client", "alice")
	})
	t.Run("refused by default", func(t *testing.T) {
		t.Parallel()
		s := newServer(t)
		runScript(t, s, plaintext, "login.py", "--user", "alice", "--expect", "tls-required")
	})
}

func TestDirectTLS(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ev := runScript(t, s, directTLS, "login.py", "--user", "alice")
	first := need(t, ev, "features", "client", "alice")
	if first.get("tls") != "true" || strings.Contains(first.get("children"), "starttls") {
		t.Errorf("first features on the direct TLS port: %v, want TLS already up and no STARTTLS", first)
	}
	need(t, ev, "session_start", "client", "alice", "tls", "true")
	need(t, ev, "pong", "client", "alice")
	if v := need(t, ev, "version", "client", "alice"); v.get("name") != "Parley" || v.get("version") == "" {
		t.Errorf("XEP-0092 version: %v", v)
	}
	info := need(t, ev, "disco_info", "client", "alice").get("features")
	for _, f := range []string{"urn:xmpp:ping", "jabber:iq:version", "http://jabber.org/protocol/disco#info"} {
		if !strings.Contains(info, fmt.Sprintf("%q", f)) {
			t.Errorf("disco#info of the server lacks %s: %s", f, info)
		}
	}
}

// Issue 11: the commands that work on a data directory know the domains
// the server serves from it: `parley serve --domain example.com`, then
// `parley user add alice@example.com` works without repeating the
// domain, and slixmpp logs in with it.
func TestUserAddOnServedDomain(t *testing.T) {
	t.Parallel()
	s := startServer(t, "parley", "", "--domain", "example.com")
	if out, err := userCmd(t, s.dataDir, "add", "alice@example.com", "secret"); err != nil {
		t.Fatalf("parley user add alice@example.com: %v\n%s", err, out)
	}
	out, err := userCmd(t, s.dataDir, "add", "bob@localhost", "secret")
	if err == nil || !strings.Contains(out, "not served") || !strings.Contains(out, "--domain example.com,localhost") {
		t.Fatalf("user add on a domain not served: err=%v output %q, want the refusal with its fix", err, out)
	}
	ev := runScript(t, s, startTLS, "login.py", "--user", "alice", "--password", "secret", "--domain", "example.com", "--expect", "session")
	need(t, ev, "session_start", "jid", "alice@example.com/e2e")
}
