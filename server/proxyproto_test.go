package server_test

import (
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
)

// Behind a TCP load balancer that sends the PROXY protocol, the
// per-address limits count the clients the headers name, not the
// balancer; a connection from the balancer without a header is refused.
func TestProxyProtocolFromTheBalancer(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) {
		c.C2S.ProxyProtocol = []string{"127.0.0.0/8"}
		c.Limits.MaxConnectionsPerIP = 1
	})
	srv.AddUser("alice@localhost", "secret")
	viaBalancer := func(client string) *xmpptest.Conn {
		c := srv.Dial()
		c.Send("PROXY TCP4 %s 10.0.0.1 40000 5222\r\n", client)
		return c
	}
	a := viaBalancer("192.0.2.7")
	a.Login("alice", "secret", "one")
	// Another client behind the same balancer: under its own address.
	b := viaBalancer("198.51.100.9")
	b.Login("alice", "secret", "two")
	// The first client's second connection is over its limit of one.
	c := viaBalancer("192.0.2.7")
	c.Send("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>")
	if _, err := c.ReadHeaderErr(); err == nil {
		t.Fatal("a second connection of 192.0.2.7 was served with max_connections_per_ip = 1")
	}
	// A version 2 LOCAL header (the balancer's health check) keeps the
	// connection's own address.
	d := srv.Dial()
	d.Send("\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00")
	d.Login("alice", "secret", "three")
	// No header at all: refused.
	e := srv.Dial()
	e.Send("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>")
	if _, err := e.ReadHeaderErr(); err == nil {
		t.Fatal("a balancer's connection without a PROXY header was served")
	}
}
