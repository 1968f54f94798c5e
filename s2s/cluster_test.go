package s2s

import (
	"bytes"
	"net"
	"testing"

	"github.com/parley-im/parley/xmpp/ns"
)

// The nodes of a cluster serve one domain: a key one node gave in
// dialback is checked by whichever node the other server's verification
// reaches. With a shared DialbackSecret the other node finds it valid;
// with each process's own secret it could not.
func TestDialbackKeyAcrossNodes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		shared bool
		want   string
	}{{"shared secret", true, "valid"}, {"secret per process", false, "invalid"}} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPKI(t)
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			secret := bytes.Repeat([]byte{7}, 32)
			mod := func(c *Config) {
				c.StaticHosts["c.test"] = l.Addr().String()
				if tc.shared {
					c.DialbackSecret = secret
				}
			}
			nodes := startNodes(t,
				nodeConfig{domain: "a.test", cert: p.cert(t, "a.test"), roots: p.ca.Pool(), mod: mod},
				nodeConfig{domain: "a.test", cert: p.cert(t, "a.test"), roots: p.ca.Pool(), mod: mod})
			nodes[0].send(msg("alice@a.test", "bob@c.test", "dialback"))

			// c.test receives node 0's stream and asks for dialback.
			c, err := l.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			in := newRaw(t, c)
			in.readHeader()
			in.send("<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' version='1.0' from='c.test' to='a.test' id='s1'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>")
			if el := in.next(); el.Name != "starttls" {
				t.Fatalf("want starttls, got %s", el.String())
			}
			in.send("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
			in.serverTLS(p.cert(t, "c.test"))
			in.readHeader()
			in.send("<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' version='1.0' from='c.test' to='a.test' id='s2'><stream:features><dialback xmlns='urn:xmpp:features:dialback'/></stream:features>")
			res := in.next()
			if res.Space != ns.Dialback || res.Name != "result" || res.Text == "" {
				t.Fatalf("want a db:result with a key, got %s", res.String())
			}

			// The verification reaches the other node (as a load balancer
			// or DNS may send it).
			r := dialRaw(t, nodes[1].addr)
			r.open("c.test", "a.test")
			r.starttls("a.test", p.ca.Pool(), nil)
			r.open("c.test", "a.test")
			r.send("<db:verify from='c.test' to='a.test' id='s2'>%s</db:verify>", res.Text)
			if v := r.next(); v.Attr("type") != tc.want {
				t.Fatalf("the other node found node 0's key: %s, want type %s", v.String(), tc.want)
			}
		})
	}
}
