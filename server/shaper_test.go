package server_test

import (
	"strings"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/xml"
)

// Issue 19 item 4 (the byte-rate shaper): a session that sends more
// bytes than limits.bytes_per_second allows, past its burst, has its
// input delayed while other sessions go on.
func TestByteRateShaper(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) {
		c.Limits.MaxStanzaBytes = 4096
		c.Limits.BytesPerSecond = 1 // after the burst: one byte a second
		c.Limits.ByteBurst = 8192
	})
	srv.AddUser("alice@localhost", "secret")
	srv.AddUser("bob@localhost", "secret")
	srv.AddUser("carol@localhost", "secret")
	alice := online(t, srv, "alice", "a")
	bob := online(t, srv, "bob", "b")
	carol := online(t, srv, "carol", "c")

	// Three messages of 3 KB at once: two fit bob's burst, the third
	// waits for its bytes (about 3,000 s at this rate).
	body := strings.Repeat("x", 3000)
	var flood strings.Builder
	for _, id := range []string{"m1", "m2", "m3"} {
		flood.WriteString("<message to='alice@localhost/a' type='chat' id='" + id + "'><body>" + body + "</body></message>")
	}
	bob.Send("%s", flood.String())
	isMessage := func(el *xml.Element) bool { return el.Name == "message" }
	for _, id := range []string{"m1", "m2"} {
		if m := alice.ExpectMatch("message "+id, isMessage, isPresence); m.Attr("id") != id {
			t.Fatalf("got %s, want %s", m.Attr("id"), id)
		}
	}
	// carol sends after bob's third message reached the server: alice
	// gets carol's first, bob's is held back by the shaper.
	carol.Send("<message to='alice@localhost/a' type='chat' id='from-carol'><body>hi</body></message>")
	if m := alice.ExpectMatch("a message", isMessage, isPresence); m.Attr("id") != "from-carol" {
		t.Fatalf("got %s before carol's message: bob's third message was not delayed", m.Attr("id"))
	}
	ping(t, carol, "carol")
	ping(t, alice, "alice")
}
