package server_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
)

// Issue 19 item 13: the SCRAM salt shown for an unknown user stays the
// same across restarts, like a real user's, so that it tells nothing.

// scramSalt sends a SCRAM-SHA-256 client-first message for user and
// returns the salt and iteration count of the server-first message.
func scramSalt(t *testing.T, srv *xmpptest.Server, user string) (salt, iterations string) {
	t.Helper()
	c := srv.Dial()
	c.Open()
	first := base64.StdEncoding.EncodeToString([]byte("n,,n=" + user + ",r=clientnonce"))
	c.Send("<auth xmlns='%s' mechanism='SCRAM-SHA-256'>%s</auth>", ns.SASL, first)
	ch := c.Expect("challenge")
	data, err := base64.StdEncoding.DecodeString(ch.Text)
	if err != nil {
		t.Fatal(err)
	}
	for _, attr := range strings.Split(string(data), ",") {
		switch {
		case strings.HasPrefix(attr, "s="):
			salt = attr[2:]
		case strings.HasPrefix(attr, "i="):
			iterations = attr[2:]
		}
	}
	c.Send("<abort xmlns='%s'/>", ns.SASL)
	c.Expect("failure")
	return salt, iterations
}

func TestUnknownUserSaltSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	opts := func(c *config.Config) {
		c.DataDir = dir
		c.Storage.Driver = "sqlite"
	}
	first := xmpptest.RunServer(t, opts)
	first.AddUser("alice@localhost", "secret")
	aliceSalt, aliceIter := scramSalt(t, first, "alice")
	nobodySalt, nobodyIter := scramSalt(t, first, "nobody")
	if again, _ := scramSalt(t, first, "nobody"); again != nobodySalt {
		t.Fatalf("an unknown user's salt changes between attempts: %s then %s", nobodySalt, again)
	}
	if len(nobodySalt) != len(aliceSalt) || nobodyIter != aliceIter {
		t.Fatalf("unknown user's salt/iterations %s/%s look unlike a real user's %s/%s", nobodySalt, nobodyIter, aliceSalt, aliceIter)
	}
	if err := first.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	second := xmpptest.RunServer(t, opts)
	if s, _ := scramSalt(t, second, "alice"); s != aliceSalt {
		t.Fatalf("alice's salt changed across a restart: %s then %s", aliceSalt, s)
	}
	if s, _ := scramSalt(t, second, "nobody"); s != nobodySalt {
		t.Fatalf("an unknown user's salt changed across a restart (%s then %s): a real user's does not", nobodySalt, s)
	}
	c := second.Dial()
	c.Login("alice", "secret", "r")
	ping(t, c, "alive")

	// The salt comes from the data directory's secret, not from the
	// process: another data directory shows another one (as another
	// server would), which a restart of this one never does.
	other := xmpptest.RunServer(t)
	if s, _ := scramSalt(t, other, "nobody"); s == nobodySalt {
		t.Fatal("two data directories show the same salt for an unknown user: it is not derived from a secret kept in the data directory")
	}
}
