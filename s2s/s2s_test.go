package s2s

import (
	"context"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/internal/testca"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// Two servers whose certificates both trust: SASL EXTERNAL both ways,
// stanzas arrive in jabber:client with their addresses, and the answer
// travels back over the same, bidirectional stream (XEP-0288).
func TestExternalAndBidirectional(t *testing.T) {
	a, b := pair(t, nil, nil)
	a.send(msg("alice@a.test/phone", "bob@b.test", "hello"))
	el := b.expect("message from a.test", "hello")
	if el.Space != ns.Client || el.Attr("from") != "alice@a.test/phone" || el.Attr("to") != "bob@b.test" {
		t.Fatalf("delivered as %s", el.String())
	}
	if el.Child(ns.Client, "body") == nil {
		t.Fatalf("body not in jabber:client: %s", el.String())
	}
	b.send(msg("bob@b.test/desk", "alice@a.test/phone", "hi"))
	a.expect("answer from b.test", "hi", "from='bob@b.test/desk'")
	if !slices.Contains(a.authEvents(), "out external success") || !slices.Contains(b.authEvents(), "in external success") {
		t.Fatalf("auth events: a %v, b %v", a.authEvents(), b.authEvents())
	}
	// The answer used a.test's stream: b.test opened none, a.test
	// accepted none.
	if b.streams("out") != 0 || a.streams("in") != 0 {
		t.Fatalf("not bidirectional: b.test opened %d streams, a.test accepted %d", b.streams("out"), a.streams("in"))
	}
	// Many stanzas keep their order.
	for i := range 50 {
		a.send(msg("alice@a.test", "bob@b.test", "n"+strings.Repeat("x", i)))
	}
	for i := range 50 {
		b.expect("stanza in order", ">n"+strings.Repeat("x", i)+"<")
	}
}

// A conference service sends from its own domain: a stream of its own,
// authenticated by the wildcard certificate.
func TestSubdomainStream(t *testing.T) {
	a, b := pair(t, nil, nil)
	a.send("<presence from='room@conference.a.test/nick' to='bob@b.test/desk'/>")
	b.expect("presence from the room", "from='room@conference.a.test/nick'")
	b.send("<message from='bob@b.test/desk' to='room@conference.a.test' type='groupchat'><body>x</body></message>")
	a.expect("groupchat to the room", "to='room@conference.a.test'", "type='groupchat'")
}

// A certificate the CA did not sign is refused: stanzas bounce with
// remote-server-timeout once they waited queue_timeout. Trusting the
// domain accepts it; a certificate for another name is refused even
// then.
func TestCertificates(t *testing.T) {
	p := newPKI(t)
	short := func(c *Config) { c.QueueTimeout = 300 * time.Millisecond }
	selfSigned := p.ca.IssueWith(t, testca.Options{DNSNames: []string{"b.test"}, SelfSign: true}).TLS
	t.Run("untrusted", func(t *testing.T) {
		ns := startNodes(t,
			nodeConfig{domain: "a.test", cert: p.cert(t, "a.test"), roots: p.ca.Pool(), mod: short},
			nodeConfig{domain: "b.test", cert: selfSigned, roots: p.ca.Pool()})
		a, b := ns[0], ns[1]
		a.send(msg("alice@a.test/phone", "bob@b.test", "lost"))
		a.expect("bounce", "type='error'", "remote-server-timeout", "from='bob@b.test'", "to='alice@a.test/phone'")
		b.expectNone("a message over an unauthenticated stream")
	})
	t.Run("trusted", func(t *testing.T) {
		ns := startNodes(t,
			nodeConfig{domain: "a.test", cert: p.cert(t, "a.test"), roots: p.ca.Pool(),
				mod: func(c *Config) { c.TrustedDomains = []string{"b.test"} }},
			nodeConfig{domain: "b.test", cert: selfSigned, roots: p.ca.Pool()})
		a, b := ns[0], ns[1]
		a.send(msg("alice@a.test", "bob@b.test", "trusted"))
		b.expect("message to a trusted self-signed server", "trusted")
	})
	t.Run("wrong name", func(t *testing.T) {
		ns := startNodes(t,
			nodeConfig{domain: "a.test", cert: p.cert(t, "a.test"), roots: p.ca.Pool(),
				mod: func(c *Config) { short(c); c.TrustedDomains = []string{"b.test"} }},
			nodeConfig{domain: "b.test", cert: p.cert(t, "c.test"), roots: p.ca.Pool()})
		a, b := ns[0], ns[1]
		a.send(msg("alice@a.test", "bob@b.test", "misnamed"))
		a.expect("bounce", "remote-server-timeout")
		b.expectNone("a message to a server with another's certificate")
	})
	t.Run("expired", func(t *testing.T) {
		expired := p.ca.IssueWith(t, testca.Options{DNSNames: []string{"b.test"}, NotAfter: time.Now().Add(-time.Minute)}).TLS
		ns := startNodes(t,
			nodeConfig{domain: "a.test", cert: p.cert(t, "a.test"), roots: p.ca.Pool(), mod: short},
			nodeConfig{domain: "b.test", cert: expired, roots: p.ca.Pool()})
		ns[0].send(msg("alice@a.test", "bob@b.test", "expired"))
		ns[0].expect("bounce", "remote-server-timeout")
	})
}

// A domain with no server at all bounces at once with
// remote-server-not-found; so does one reserved never to exist.
func TestNotFound(t *testing.T) {
	a, _ := pair(t, nil, nil)
	a.send(msg("alice@a.test", "x@nowhere.test", "void"))
	a.expect("bounce", "remote-server-not-found", "from='x@nowhere.test'")
	a.send(msg("alice@a.test", "x@example.invalid", "void"))
	a.expect("bounce", "remote-server-not-found", "from='x@example.invalid'")
	// Errors and iq results are never answered with errors.
	a.send("<message from='alice@a.test' to='x@nowhere.test' type='error'/>")
	a.send(msg("alice@a.test", "x@nowhere.test", "marker"))
	a.expect("the marker's bounce", "marker", "remote-server-not-found")
	a.expectNone("a bounce of an error")
}

// gate stands between a node and its peer's listener: when closed it
// drops every connection, as a peer that restarts does.
type gate struct {
	l      net.Listener
	target string
	mu     sync.Mutex
	open   bool
	conns  []net.Conn
}

func newGate(t *testing.T, target string) *gate {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{l: l, target: target, open: true}
	t.Cleanup(func() { l.Close(); g.close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			g.mu.Lock()
			open := g.open
			g.mu.Unlock()
			if !open {
				c.Close()
				continue
			}
			u, err := net.Dial("tcp", g.target)
			if err != nil {
				c.Close()
				continue
			}
			g.mu.Lock()
			g.conns = append(g.conns, c, u)
			g.mu.Unlock()
			go pipe(c, u)
			go pipe(u, c)
		}
	}()
	return g
}

func pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
}

func (g *gate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open = false
	for _, c := range g.conns {
		c.Close()
	}
	g.conns = nil
}

func (g *gate) reopen() {
	g.mu.Lock()
	g.open = true
	g.mu.Unlock()
}

func (g *gate) addr() string { return g.l.Addr().String() }

// gatedPair is a pair whose a.test reaches b.test through a gate.
func gatedPair(t *testing.T, modA func(*Config)) (a, b *node, g *gate) {
	p := newPKI(t)
	var gt *gate
	ns := startNodes(t,
		nodeConfig{domain: "b.test", cert: p.cert(t, "b.test"), roots: p.ca.Pool()},
		nodeConfig{domain: "a.test", cert: p.cert(t, "a.test"), roots: p.ca.Pool(), mod: func(c *Config) {
			gt = newGate(t, c.StaticHosts["b.test"])
			c.StaticHosts["b.test"] = gt.addr()
			if modA != nil {
				modA(c)
			}
		}})
	return ns[1], ns[0], gt
}

// Stanzas queued while the peer is down (it dropped its streams, it
// refuses connections) are delivered, in order, once it is back; none
// bounces.
func TestQueueSurvivesPeerRestart(t *testing.T) {
	a, b, g := gatedPair(t, nil)
	a.send(msg("alice@a.test", "bob@b.test", "before"))
	b.expect("first message", "before")
	g.close()
	waitFor(t, "a.test to see its stream end", func() bool { return a.streams("out") == 0 })
	for _, body := range []string{"during1", "during2", "during3"} {
		a.send(msg("alice@a.test", "bob@b.test", body))
	}
	// a.test keeps trying: give it failed attempts before the peer
	// comes back.
	waitFor(t, "failed attempts", func() bool {
		p := a.svc.peer("b.test")
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.routes["a.test"] != nil && p.routes["a.test"].failures >= 2
	})
	g.reopen()
	for _, body := range []string{"during1", "during2", "during3"} {
		b.expect("queued message", body)
	}
	a.send(msg("alice@a.test", "bob@b.test", "after"))
	b.expect("later message", "after")
	a.expectNone("a bounce")
}

// What waits longer than queue_timeout bounces with
// remote-server-timeout; past queue_stanzas it bounces at once with
// resource-constraint.
func TestQueueLimits(t *testing.T) {
	a, b, g := gatedPair(t, func(c *Config) {
		c.QueueTimeout = 300 * time.Millisecond
		c.QueueStanzas = 2
	})
	g.close()
	a.send(msg("alice@a.test", "bob@b.test", "one"))
	a.send(msg("alice@a.test", "bob@b.test", "two"))
	a.send(msg("alice@a.test", "bob@b.test", "three"))
	a.expect("overflow bounce", "m-three", "resource-constraint")
	a.expect("timeout bounce", "m-one", "remote-server-timeout")
	a.expect("timeout bounce", "m-two", "remote-server-timeout")
	b.expectNone("a message through a closed gate")
}

// An idle stream closes after idle_timeout; the next stanza opens
// another.
func TestIdleStreamCloses(t *testing.T) {
	a, b := pair(t, func(c *Config) { c.IdleTimeout = 200 * time.Millisecond }, nil)
	a.send(msg("alice@a.test", "bob@b.test", "first"))
	b.expect("first", "first")
	waitFor(t, "the idle stream to close", func() bool { return a.streams("out") == 0 && b.streams("in") == 0 })
	a.send(msg("alice@a.test", "bob@b.test", "second"))
	b.expect("second, on a new stream", "second")
}

// Deny lists work both ways; an allow list admits only its domains.
func TestAllowDeny(t *testing.T) {
	t.Run("deny outgoing", func(t *testing.T) {
		a, b := pair(t, func(c *Config) { c.Deny = []string{"b.test"} }, nil)
		a.send(msg("alice@a.test", "bob@b.test", "denied"))
		a.expect("bounce", "policy-violation")
		b.expectNone("a denied message")
	})
	t.Run("allow outgoing", func(t *testing.T) {
		a, _ := pair(t, func(c *Config) { c.Allow = []string{"c.test"} }, nil)
		a.send(msg("alice@a.test", "bob@b.test", "not allowed"))
		a.expect("bounce", "policy-violation")
	})
	t.Run("deny incoming", func(t *testing.T) {
		a, b := pair(t, func(c *Config) { c.QueueTimeout = 300 * time.Millisecond }, func(c *Config) { c.Deny = []string{"a.test"} })
		a.send(msg("alice@a.test", "bob@b.test", "refused"))
		a.expect("bounce", "remote-server-timeout")
		b.expectNone("a message from a denied domain")
	})
}

// BenchmarkFederatedMessage is one chat message from a.test to b.test:
// queued, serialized, written on the TLS stream, read, checked and
// delivered on the other side (two services on loopback, SASL EXTERNAL,
// no rate limit).
func BenchmarkFederatedMessage(b *testing.B) {
	p := newPKI(b)
	big := func(c *Config) { c.QueueStanzas, c.QueueBytes = 1<<22, 1<<30 }
	nodes := startNodes(b,
		nodeConfig{domain: "a.test", cert: p.cert(b, "a.test"), roots: p.ca.Pool(), mod: big},
		nodeConfig{domain: "b.test", cert: p.cert(b, "b.test"), roots: p.ca.Pool(), mod: big})
	a, rcv := nodes[0], nodes[1]
	el, err := xml.ParseElement([]byte(msg("alice@a.test/phone", "bob@b.test", "a benchmark message of a typical length, about sixty bytes")), ns.Client, xml.DefaultLimits)
	if err != nil {
		b.Fatal(err)
	}
	a.svc.Receive(context.Background(), el)
	<-rcv.got // the stream is up before the clock starts
	done := make(chan struct{})
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		for range b.N {
			<-rcv.got
		}
		close(done)
	}()
	for range b.N {
		a.svc.Receive(context.Background(), el)
	}
	<-done
}
