package e2e

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPushAppServerComponent is issue 3's push check with real parts: a
// slixmpp component (XEP-0114) acts as the XEP-0357 app server; alice
// enables push, goes offline, bob writes, the app server gets the
// notification with the configured summary (sender, no body).
func TestPushAppServerComponent(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	componentAddr := l.Addr().String()
	l.Close()
	const secret = "e2e-push-app-server-secret"
	cfg := filepath.Join(t.TempDir(), "parley.toml")
	toml := "[components]\nlisten = \"" + componentAddr + "\"\nsecrets = [\"push.localhost=" + secret + "\"]\n"
	if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "parley", "", "--config", cfg)
	addUsers(t, s.dataDir, "alice", "bob")
	ev := runScript(t, s, startTLS, "push.py", "--component-port", port(componentAddr), "--component-secret", secret)

	n := need(t, ev, "notification", "client", "app")
	if n.get("frm") != "alice@localhost" || n.get("node") != "alice-phone-1" || n.get("secret") != "app-secret-42" {
		t.Errorf("notification %v: want from alice@localhost to node alice-phone-1 with the client's publish options", n)
	}
	fields := n.get("fields")
	for _, want := range []string{`"FORM_TYPE":"urn:xmpp:push:summary"`, `"message-count":"1"`, `"last-message-sender":"bob@localhost/desk"`} {
		if !strings.Contains(fields, want) {
			t.Errorf("summary %s lacks %s", fields, want)
		}
	}
	if strings.Contains(fields, "last-message-body") {
		t.Errorf("summary %s carries the body although push.include_body is off", fields)
	}
}
