package server_test

import (
	"net"
	"strings"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/xml"
)

// A client that stops reading while messages pile up for it is
// disconnected (slow consumer), and the sender is unaffected.
func TestSlowConsumerIsDisconnected(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) {
		c.Limits.OutboundQueueStanzas = 20
		c.Limits.OutboundQueueBytes = 1 << 20
	})
	srv.AddUser("alice@localhost", "secret")
	srv.AddUser("bob@localhost", "secret")
	a := online(t, srv, "alice", "a")
	b := online(t, srv, "bob", "b")
	b.Net().(*net.TCPConn).SetReadBuffer(4096)
	body := strings.Repeat("x", 60000)
	// Bob reads nothing; alice floods him until the server gives up on him.
	for i := 0; i < 400 && srv.Router().Count() == 2; i++ {
		a.Send("<message to='bob@localhost/b' type='chat'><body>%s</body></message>", body)
	}
	xmpptest.WaitFor(t, "bob to be disconnected", func() bool { return srv.Router().Count() == 1 })
	// Alice still works.
	a.Send("<iq type='get' id='alive' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
	a.ExpectMatch("ping result", func(el *xml.Element) bool { return el.Attr("id") == "alive" }, isAny)
}

func TestConnectionLimitPerIP(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.Limits.MaxConnectionsPerIP = 2 })
	srv.AddUser("alice@localhost", "secret")
	c1, c2 := srv.Dial(), srv.Dial()
	c1.Open()
	c2.Open()
	c3 := srv.Dial()
	if _, err := c3.NextErr(xmpptest.Timeout); err == nil {
		t.Fatal("third connection from one IP was served")
	}
	// Closing one makes room again.
	c1.Close()
	xmpptest.WaitFor(t, "a free slot", func() bool {
		c := srv.Dial()
		defer c.Net().Close()
		c.Send("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>")
		_, err := c.ReadHeaderErr()
		return err == nil
	})
}
