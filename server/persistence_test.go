package server_test

import (
	"context"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/xml"
)

// Rosters, subscriptions, pending requests and offline messages survive
// a restart on the same SQLite database.
func TestStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	sqlite := func(c *config.Config) {
		c.Storage.Driver = "sqlite"
		c.DataDir = dir
	}
	srv := xmpptest.RunServer(t, sqlite)
	for _, u := range []string{"alice", "bob", "carol"} {
		srv.AddUser(u+"@localhost", "secret")
	}
	a := online(t, srv, "alice", "a")
	b := online(t, srv, "bob", "b")
	subscribeBoth(t, a, b, "alice@localhost", "bob@localhost")
	b.Close()
	a.ExpectMatch("bob offline", func(el *xml.Element) bool { return el.Attr("type") == "unavailable" }, isAny)
	a.Send("<message to='bob@localhost' type='chat' id='kept'><body>see you after the restart</body></message>")
	a.Send("<presence to='carol@localhost' type='subscribe'/>")
	xmpptest.WaitFor(t, "offline message stored", func() bool {
		n, _ := srv.Store().CountOffline(context.Background(), "bob@localhost")
		return n == 1
	})
	if err := srv.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	srv2 := xmpptest.RunServer(t, sqlite)
	b2 := srv2.Dial()
	b2.Login("bob", "secret", "b")
	if it := rosterItem(t, b2, "alice@localhost"); it == nil || it.Attr("subscription") != "both" {
		t.Fatalf("bob's roster after restart: %v", it)
	}
	b2.Send("<presence/>")
	m := b2.ExpectMatch("offline message", func(el *xml.Element) bool { return el.Name == "message" }, isPresence)
	if !xmpptest.Contains(m, "see you after the restart", "urn:xmpp:delay") {
		t.Fatalf("offline message: %s", m.String())
	}
	c := srv2.Dial()
	c.Login("carol", "secret", "c")
	c.Send("<presence/>")
	c.ExpectMatch("subscription request kept", func(el *xml.Element) bool {
		return el.Attr("type") == "subscribe" && el.Attr("from") == "alice@localhost"
	}, isPresence)
}
