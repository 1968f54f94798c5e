package s2s

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// raw is a scripted server stream, written by hand: the other server
// in protocol tests, honest or not.
type raw struct {
	t   *testing.T
	c   net.Conn
	dec *xml.Decoder
}

func dialRaw(t *testing.T, addr string) *raw {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return newRaw(t, c)
}

func newRaw(t *testing.T, c net.Conn) *raw {
	r := &raw{t: t, c: c}
	r.dec = xml.NewDecoder(c, xml.Limits{MaxStanzaBytes: 1 << 20})
	return r
}

func (r *raw) send(format string, args ...any) {
	r.t.Helper()
	if _, err := fmt.Fprintf(r.c, format, args...); err != nil {
		r.t.Fatalf("send: %v", err)
	}
}

// open sends a stream header and returns the other side's header and
// features.
func (r *raw) open(from, to string) (header, features *xml.Element) {
	r.t.Helper()
	r.send("<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' version='1.0' from='%s' to='%s'>", from, to)
	return r.readHeader(), r.next()
}

func (r *raw) readHeader() *xml.Element {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(wait))
	h, err := r.dec.ReadHeader()
	if err != nil {
		r.t.Fatalf("stream header: %v", err)
	}
	return h
}

func (r *raw) next() *xml.Element {
	r.t.Helper()
	el, err := r.nextErr()
	if err != nil {
		r.t.Fatalf("read: %v", err)
	}
	return el
}

func (r *raw) nextErr() (*xml.Element, error) {
	r.c.SetReadDeadline(time.Now().Add(wait))
	return r.dec.Next()
}

// starttls upgrades the stream as the initiating side, with cert as
// client certificate (none if nil), trusting roots.
func (r *raw) starttls(serverName string, roots *x509.CertPool, cert *tls.Certificate) {
	r.t.Helper()
	r.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
	if el := r.next(); el.Name != "proceed" {
		r.t.Fatalf("starttls: %s", el.String())
	}
	cfg := &tls.Config{ServerName: serverName, RootCAs: roots}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	tc := tls.Client(r.c, cfg)
	if err := tc.Handshake(); err != nil {
		r.t.Fatalf("TLS: %v", err)
	}
	r.c = tc
	r.dec.Reset(tc)
}

// serverTLS upgrades as the receiving side.
func (r *raw) serverTLS(cert tls.Certificate) {
	r.t.Helper()
	tc := tls.Server(r.c, &tls.Config{Certificates: []tls.Certificate{cert}})
	if err := tc.Handshake(); err != nil {
		r.t.Fatalf("TLS: %v", err)
	}
	r.c = tc
	r.dec.Reset(tc)
}

// expectStreamError waits for a stream error with cond and the end of
// the stream.
func (r *raw) expectStreamError(cond string) {
	r.t.Helper()
	for {
		el, err := r.nextErr()
		if err != nil {
			r.t.Fatalf("no <%s/> stream error: %v", cond, err)
		}
		if el.Space == ns.Stream && el.Name == "error" {
			if el.Child(ns.Streams, cond) == nil {
				r.t.Fatalf("stream error %s, want %s", el.String(), cond)
			}
			if _, err := r.nextErr(); !errors.Is(err, xml.ErrStreamClosed) {
				r.t.Fatalf("after the stream error: %v, want the end of the stream", err)
			}
			return
		}
	}
}

// authenticated returns a raw stream from domain to b.test that
// authenticated with SASL EXTERNAL and the certificate.
func authenticated(t *testing.T, b *node, p pki, domain string) *raw {
	t.Helper()
	r := dialRaw(t, b.addr)
	r.open(domain, b.domain)
	cert := p.cert(t, domain)
	r.starttls(b.domain, p.ca.Pool(), &cert)
	_, f := r.open(domain, b.domain)
	if !strings.Contains(f.String(), "<mechanism>EXTERNAL</mechanism>") {
		t.Fatalf("EXTERNAL not offered to %s: %s", domain, f.String())
	}
	r.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>%s</auth>", base64.StdEncoding.EncodeToString([]byte(domain)))
	if el := r.next(); el.Name != "success" {
		t.Fatalf("EXTERNAL: %s", el.String())
	}
	r.open(domain, b.domain)
	return r
}

// receiver starts b.test alone (a CA-signed certificate, trusting the
// CA) with static hosts added by the test.
func receiver(t *testing.T, p pki, static map[string]string, mod func(*Config)) *node {
	return startNodes(t, nodeConfig{domain: "b.test", cert: p.cert(t, "b.test"), roots: p.ca.Pool(), mod: func(c *Config) {
		for d, a := range static {
			c.StaticHosts[d] = a
		}
		if mod != nil {
			mod(c)
		}
	}})[0]
}

// TLS is required before anything else, dialback included.
func TestIncomingRequiresTLS(t *testing.T) {
	b := receiver(t, newPKI(t), nil, nil)
	r := dialRaw(t, b.addr)
	_, f := r.open("c.test", "b.test")
	if !strings.Contains(f.String(), "<required/>") || f.Child(ns.TLS, "starttls") == nil {
		t.Fatalf("features without required STARTTLS: %s", f.String())
	}
	r.send("<db:result from='c.test' to='b.test'>0123</db:result>")
	r.expectStreamError("policy-violation")
}

// A stream to a domain not served here, and a header that is not a
// server stream, are refused.
func TestIncomingHeader(t *testing.T) {
	b := receiver(t, newPKI(t), nil, nil)
	r := dialRaw(t, b.addr)
	r.send("<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' version='1.0' from='c.test' to='elsewhere.test'>")
	r.readHeader()
	r.expectStreamError("host-unknown")

	r = dialRaw(t, b.addr)
	r.send("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0' to='b.test'>")
	r.readHeader()
	r.expectStreamError("invalid-namespace")
}

// Stanzas before authentication end the stream.
func TestIncomingStanzaBeforeAuth(t *testing.T) {
	p := newPKI(t)
	b := receiver(t, p, nil, nil)
	r := dialRaw(t, b.addr)
	r.open("c.test", "b.test")
	r.starttls("b.test", p.ca.Pool(), nil)
	_, f := r.open("c.test", "b.test")
	if strings.Contains(f.String(), "EXTERNAL") {
		t.Fatalf("EXTERNAL offered to a server without a certificate: %s", f.String())
	}
	if f.Child(ns.DialbackFeature, "dialback") == nil || f.Child(ns.BidiFeature, "bidi") == nil {
		t.Fatalf("features lack dialback or bidi: %s", f.String())
	}
	r.send("<message from='x@c.test' to='bob@b.test'><body>early</body></message>")
	r.expectStreamError("not-authorized")
	b.expectNone("a stanza before authentication")
}

// After SASL EXTERNAL, stanzas must come from the authenticated domain
// and go to the stream's: a spoofed from or a foreign to ends the
// stream, and the stanza is not delivered.
func TestIncomingAddresses(t *testing.T) {
	p := newPKI(t)
	b := receiver(t, p, nil, nil)
	t.Run("spoofed from", func(t *testing.T) {
		r := authenticated(t, b, p, "c.test")
		r.send("<message from='x@c.test/r' to='bob@b.test'><body>honest</body></message>")
		b.expect("the honest message", "honest", "from='x@c.test/r'")
		r.send("<message from='ceo@evil.test' to='bob@b.test'><body>spoofed</body></message>")
		r.expectStreamError("invalid-from")
		b.expectNone("the spoofed message")
	})
	t.Run("foreign to", func(t *testing.T) {
		r := authenticated(t, b, p, "c.test")
		r.send("<message from='x@c.test' to='someone@elsewhere.test'><body>relay?</body></message>")
		r.expectStreamError("host-unknown")
		b.expectNone("a relayed message")
	})
	t.Run("missing from", func(t *testing.T) {
		r := authenticated(t, b, p, "c.test")
		r.send("<message to='bob@b.test'><body>anonymous</body></message>")
		r.expectStreamError("improper-addressing")
	})
	t.Run("oversized", func(t *testing.T) {
		r := authenticated(t, b, p, "c.test")
		r.send("<message from='x@c.test' to='bob@b.test'><body>%s</body></message>", strings.Repeat("x", 20<<10))
		r.expectStreamError("policy-violation")
		b.expectNone("an oversized message")
	})
	t.Run("client namespace", func(t *testing.T) {
		r := authenticated(t, b, p, "c.test")
		r.send("<message xmlns='jabber:client' from='x@c.test' to='bob@b.test'><body>c2s?</body></message>")
		r.expectStreamError("invalid-namespace")
	})
}

// SASL EXTERNAL is offered only for a certificate that proves the
// claimed domain, and refused for another identity.
func TestIncomingExternalRefused(t *testing.T) {
	p := newPKI(t)
	b := receiver(t, p, nil, nil)
	r := dialRaw(t, b.addr)
	r.open("c.test", "b.test")
	other := p.cert(t, "other.test")
	r.starttls("b.test", p.ca.Pool(), &other)
	_, f := r.open("c.test", "b.test")
	if strings.Contains(f.String(), "EXTERNAL") {
		t.Fatalf("EXTERNAL offered for a certificate of another domain: %s", f.String())
	}
	r.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>")
	if el := r.next(); el.Name != "failure" {
		t.Fatalf("EXTERNAL without an offer: %s", el.String())
	}

	// The right certificate, but another identity asked for.
	r = dialRaw(t, b.addr)
	r.open("c.test", "b.test")
	cert := p.cert(t, "c.test")
	r.starttls("b.test", p.ca.Pool(), &cert)
	r.open("c.test", "b.test")
	r.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>%s</auth>", base64.StdEncoding.EncodeToString([]byte("evil.test")))
	if el := r.next(); el.Name != "failure" || el.Child(ns.SASL, "invalid-authzid") == nil {
		t.Fatalf("EXTERNAL for another identity: %s", el.String())
	}
}

// authority plays the authoritative server of c.test: it accepts one
// verification connection and answers its db:verify as verdict says.
type authority struct {
	l       net.Listener
	asked   chan *xml.Element
	verdict func(key string) string
}

func newAuthority(t *testing.T, cert tls.Certificate, verdict func(string) string) *authority {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	a := &authority{l: l, asked: make(chan *xml.Element, 1), verdict: verdict}
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := newRaw(t, c)
		r.c.SetReadDeadline(time.Now().Add(wait))
		if _, err := r.dec.ReadHeader(); err != nil {
			return
		}
		r.send("<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' version='1.0' from='c.test' id='auth1'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>")
		if el, err := r.dec.Next(); err != nil || el.Name != "starttls" {
			return
		}
		r.send("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
		tc := tls.Server(r.c, &tls.Config{Certificates: []tls.Certificate{cert}})
		if tc.Handshake() != nil {
			return
		}
		r.c = tc
		r.dec.Reset(tc)
		if _, err := r.dec.ReadHeader(); err != nil {
			return
		}
		r.send("<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' version='1.0' from='c.test' id='auth2'><stream:features><dialback xmlns='urn:xmpp:features:dialback'/></stream:features>")
		el, err := r.dec.Next()
		if err != nil {
			return
		}
		a.asked <- el
		r.send("<db:verify from='%s' to='%s' id='%s' type='%s'/>", el.Attr("to"), el.Attr("from"), el.Attr("id"), a.verdict(el.Text))
		r.dec.Next()
	}()
	return a
}

// Dialback as the receiving server (XEP-0220): the key of a server
// without a usable certificate is checked with its domain's server; a
// valid one admits its stanzas, a wrong one ends the stream.
func TestIncomingDialback(t *testing.T) {
	p := newPKI(t)
	for _, tc := range []struct {
		name, key string
		valid     bool
	}{{"right key", "the-right-key", true}, {"wrong key", "a-forged-key", false}} {
		t.Run(tc.name, func(t *testing.T) {
			auth := newAuthority(t, p.cert(t, "c.test"), func(key string) string {
				if key == "the-right-key" {
					return "valid"
				}
				return "invalid"
			})
			b := receiver(t, p, map[string]string{"c.test": auth.l.Addr().String()}, nil)
			r := dialRaw(t, b.addr)
			r.open("c.test", "b.test")
			r.starttls("b.test", p.ca.Pool(), nil)
			h, _ := r.open("c.test", "b.test")
			r.send("<db:result from='c.test' to='b.test'>%s</db:result>", tc.key)
			select {
			case v := <-auth.asked:
				if v.Attr("from") != "b.test" || v.Attr("to") != "c.test" || v.Attr("id") != h.Attr("id") || v.Text != tc.key {
					t.Fatalf("b.test asked %s; the stream id was %s", v.String(), h.Attr("id"))
				}
			case <-time.After(wait):
				t.Fatal("b.test did not ask c.test's server")
			}
			res := r.next()
			if res.Space != ns.Dialback || res.Name != "result" || res.Attr("from") != "b.test" || res.Attr("to") != "c.test" {
				t.Fatalf("verdict: %s", res.String())
			}
			if !tc.valid {
				if res.Attr("type") != "invalid" {
					t.Fatalf("a forged key: %s", res.String())
				}
				r.expectStreamError("not-authorized")
				return
			}
			if res.Attr("type") != "valid" {
				t.Fatalf("the right key: %s", res.String())
			}
			r.send("<message from='x@c.test' to='bob@b.test'><body>verified</body></message>")
			b.expect("a message after dialback", "verified")
		})
	}
}

// Dialback as the originating and as the authoritative server: a
// receiving server that offers no SASL EXTERNAL gets our key and checks
// it with us; a changed key is found invalid.
func TestOutgoingDialback(t *testing.T) {
	p := newPKI(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	a := startNodes(t, nodeConfig{domain: "a.test", cert: p.cert(t, "a.test"), roots: p.ca.Pool(), mod: func(c *Config) {
		c.StaticHosts["c.test"] = l.Addr().String()
	}})[0]
	a.send(msg("alice@a.test", "bob@c.test", "dialback"))

	// c.test receives a.test's stream: TLS, then dialback only.
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
	if res.Space != ns.Dialback || res.Name != "result" || res.Attr("from") != "a.test" || res.Attr("to") != "c.test" || res.Text == "" {
		t.Fatalf("want a db:result with a key, got %s", res.String())
	}
	key := res.Text

	// c.test asks a.test (the authoritative server) about the key, on a
	// connection of its own: the right key for stream s2, then another.
	verify := func(id, key string) string {
		r := dialRaw(t, a.addr)
		r.open("c.test", "a.test")
		r.starttls("a.test", p.ca.Pool(), nil)
		r.open("c.test", "a.test")
		r.send("<db:verify from='c.test' to='a.test' id='%s'>%s</db:verify>", id, key)
		v := r.next()
		if v.Attr("from") != "a.test" || v.Attr("to") != "c.test" || v.Attr("id") != id {
			t.Fatalf("verify answer: %s", v.String())
		}
		return v.Attr("type")
	}
	if got := verify("s2", key); got != "valid" {
		t.Fatalf("our own key found %s", got)
	}
	changed := key[:len(key)-1] + "0"
	if key[len(key)-1] == '0' {
		changed = key[:len(key)-1] + "1"
	}
	if got := verify("s2", changed); got != "invalid" {
		t.Fatalf("a changed key found %s", got)
	}
	if got := verify("s1", key); got != "invalid" {
		t.Fatalf("the key of another stream id found %s", got)
	}

	in.send("<db:result from='c.test' to='a.test' type='valid'/>")
	m := in.next()
	if m.Name != "message" || m.Space != ns.Server || m.Attr("from") != "alice@a.test" || !strings.Contains(m.String(), "dialback") {
		t.Fatalf("want the queued message in jabber:server, got %s", m.String())
	}
	if !contains(m, "<body>dialback</body>") {
		t.Fatalf("payload changed: %s", m.String())
	}
}

// A server that authenticated with SASL EXTERNAL on a bidirectional
// stream gets what waited for it only after the header of the restarted
// stream (Prosody refuses anything else: "Invalid opening stream
// header").
func TestBidiStanzasAfterRestart(t *testing.T) {
	p := newPKI(t)
	b := receiver(t, p, map[string]string{"c.test": "127.0.0.1:1"}, func(c *Config) { c.RetryMin, c.RetryMax = time.Hour, time.Hour })
	b.send(msg("bob@b.test", "x@c.test", "waited"))
	waitFor(t, "b.test to fail reaching c.test", func() bool { return b.svc.Failures("b.test", "c.test") > 0 })
	r := dialRaw(t, b.addr)
	r.open("c.test", "b.test")
	cert := p.cert(t, "c.test")
	r.starttls("b.test", p.ca.Pool(), &cert)
	r.open("c.test", "b.test")
	r.send("<bidi xmlns='urn:xmpp:bidi'/><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>")
	if el := r.next(); el.Name != "success" {
		t.Fatalf("EXTERNAL: %s", el.String())
	}
	h, f := r.open("c.test", "b.test")
	if h.Name != "stream" || f.Name != "features" {
		t.Fatalf("after the restart: %s then %s, want the stream header and features", h.String(), f.String())
	}
	m := r.next()
	if m.Name != "message" || !contains(m, "waited") {
		t.Fatalf("want the waiting message on the bidirectional stream, got %s", m.String())
	}
}
