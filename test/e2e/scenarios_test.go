package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// online connects a slixmpp client, sends initial presence and waits
// for the server's echo of it, so the client is available for routing.
func online(s *server, user string) *client {
	c := s.connect(user+"@localhost/e2e", "secret", false)
	c.do(map[string]any{"cmd": "presence"})
	c.expect("own presence", isEvent("presence", "frm", user+"@localhost/e2e", "type", "available"))
	return c
}

func subscribe(t *testing.T, from, to *client, fromBare, toBare string) {
	t.Helper()
	from.do(map[string]any{"cmd": "subscription", "to": toBare, "type": "subscribe"})
	to.expect("subscription request", isEvent("subscribe", "frm", fromBare))
	to.do(map[string]any{"cmd": "subscription", "to": fromBare, "type": "subscribed"})
	from.expect("subscription approved", isEvent("subscribed", "frm", toBare))
}

func rosterItem(c *client, contact string) map[string]any {
	c.do(map[string]any{"cmd": "roster_get"})
	e := c.expect("roster", isEvent("roster"))
	items, _ := e["items"].(map[string]any)
	item, _ := items[contact].(map[string]any)
	return item
}

func TestRosterSubscriptionsAndPresence(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.addUser("alice@localhost", "secret")
	s.addUser("bob@localhost", "secret")
	alice, bob := online(s, "alice"), online(s, "bob")

	alice.do(map[string]any{"cmd": "roster_set", "jid": "bob@localhost", "name": "Bob", "groups": []string{"Friends"}})
	alice.expect("roster set", isEvent("roster_set_done"))
	subscribe(t, alice, bob, "alice@localhost", "bob@localhost")
	subscribe(t, bob, alice, "bob@localhost", "alice@localhost")

	item := rosterItem(alice, "bob@localhost")
	if item == nil || item["subscription"] != "both" || item["name"] != "Bob" || fmt.Sprint(item["groups"]) != "[Friends]" {
		t.Fatalf("alice's roster item for bob: %v", item)
	}
	if item := rosterItem(bob, "alice@localhost"); item == nil || item["subscription"] != "both" {
		t.Fatalf("bob's roster item for alice: %v", item)
	}

	bob.do(map[string]any{"cmd": "presence", "show": "away", "status": "in a meeting"})
	alice.expect("bob away", isEvent("presence", "frm", "bob@localhost/e2e", "show", "away", "status", "in a meeting"))
	bob.do(map[string]any{"cmd": "disconnect"})
	alice.expect("bob unavailable", isEvent("presence", "frm", "bob@localhost/e2e", "type", "unavailable"))
}

func TestChatMessagesAndChatStates(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.addUser("alice@localhost", "secret")
	s.addUser("bob@localhost", "secret")
	alice, bob := online(s, "alice"), online(s, "bob")
	alice.do(map[string]any{"cmd": "message_with_state", "to": "bob@localhost", "body": "hello from slixmpp", "state": "active"})
	bob.expect("chat message", isEvent("message", "frm", "alice@localhost/e2e", "body", "hello from slixmpp", "chat_state", "active"))
	alice.do(map[string]any{"cmd": "chat_state", "to": "bob@localhost", "state": "composing"})
	bob.expect("standalone chat state", isEvent("chat_state", "frm", "alice@localhost/e2e", "state", "composing"))
}

func TestOfflineMessagesAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir)
	s.addUser("alice@localhost", "secret")
	s.addUser("bob@localhost", "secret")
	alice, bob := online(s, "alice"), online(s, "bob")
	subscribe(t, alice, bob, "alice@localhost", "bob@localhost")
	subscribe(t, bob, alice, "bob@localhost", "alice@localhost")
	bob.do(map[string]any{"cmd": "disconnect"})
	alice.expect("bob unavailable", isEvent("presence", "frm", "bob@localhost/e2e", "type", "unavailable"))
	alice.do(map[string]any{"cmd": "message", "to": "bob@localhost", "body": "first while offline"})
	alice.do(map[string]any{"cmd": "message", "to": "bob@localhost", "body": "second while offline"})
	// A ping round trip orders the check after both messages were handled.
	alice.do(map[string]any{"cmd": "ping", "to": "localhost"})
	alice.expect("pong", isEvent("pong"))
	s.stop()

	s2 := startServer(t, dir)
	bob2 := s2.connect("bob@localhost/again", "secret", false)
	if item := rosterItem(bob2, "alice@localhost"); item == nil || item["subscription"] != "both" {
		t.Fatalf("bob's roster after restart: %v", item)
	}
	bob2.do(map[string]any{"cmd": "presence"})
	for _, body := range []string{"first while offline", "second while offline"} {
		m := bob2.expect("offline message "+body, isEvent("message", "body", body))
		if m["delay"] == nil || m["frm"] != "alice@localhost/e2e" {
			t.Fatalf("offline message without delay stamp or sender: %v", m)
		}
	}
}

func TestGoSendxmppToSlixmpp(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.addUser("alice@localhost", "secret")
	s.addUser("bob@localhost", "secret")
	bob := online(s, "bob")
	// go-sendxmpp -t speaks direct TLS (XEP-0368); -n accepts the
	// generated self-signed certificate.
	cmd := exec.Command("go-sendxmpp", "-t", "-n", "-u", "alice@localhost", "-p", "secret", "-j", s.c2sTLS, "bob@localhost")
	cmd.Stdin = strings.NewReader("hello from go-sendxmpp")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go-sendxmpp: %v\n%s", err, out)
	}
	bob.expect("message from go-sendxmpp", isEvent("message", "body", "hello from go-sendxmpp"))
}

func TestDirectTLSPingAndVersion(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.addUser("carol@localhost", "secret")
	c := s.connect("carol@localhost/tls", "secret", true)
	c.do(map[string]any{"cmd": "ping", "to": "localhost"})
	c.expect("pong", isEvent("pong"))
	c.do(map[string]any{"cmd": "version", "to": "localhost"})
	c.expect("version", isEvent("version", "name", "Parley"))
}

func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.addUser("alice@localhost", "secret")
	alice := online(s, "alice")
	s.stop() // requires exit status 0 within 10 s
	alice.expect("disconnected by the shutdown", isEvent("disconnected"))
}

func TestUserCLIWhileRunning(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.addUser("dora@localhost", "first")
	if out, err := s.cli("user", "add", "dora@localhost", "again"); err == nil || !strings.Contains(out, "already exists") {
		t.Fatalf("duplicate add: err=%v out=%s", err, out)
	}
	if out, err := s.cli("user", "add", "dora@elsewhere.org", "x"); err == nil || !strings.Contains(out, "not served") {
		t.Fatalf("foreign domain: err=%v out=%s", err, out)
	}
	out, err := s.cli("user", "list")
	if err != nil || strings.TrimSpace(out) != "dora@localhost" {
		t.Fatalf("list: %v %q", err, out)
	}
	s.connect("dora@localhost/one", "first", false).do(map[string]any{"cmd": "disconnect"})
	if out, err := s.cli("user", "passwd", "dora@localhost", "second"); err != nil {
		t.Fatalf("passwd: %v %s", err, out)
	}
	s.start("dora@localhost/old", "first", false).expect("old password refused", isEvent("auth_failed"))
	s.connect("dora@localhost/new", "second", false)
	if out, err := s.cli("user", "remove", "dora@localhost"); err != nil {
		t.Fatalf("remove: %v %s", err, out)
	}
	s.start("dora@localhost/gone", "second", false).expect("removed account refused", isEvent("auth_failed"))
}
