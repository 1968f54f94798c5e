package xmpptest

import (
	"crypto/sha1"
	"encoding/hex"
	"net"
	"time"

	"github.com/parley-im/parley/xmpp/xml"
)

// DialComponent opens a plain TCP connection to the XEP-0114 component
// listener (the test must set components.listen).
func (s *Server) DialComponent() *Conn {
	s.t.Helper()
	addr := s.Addr("components")
	if addr == nil {
		s.t.Fatal("no component listener: set Components.Listen")
	}
	c, err := net.DialTimeout("tcp", addr.String(), Timeout)
	if err != nil {
		s.t.Fatalf("dial component listener: %v", err)
	}
	s.t.Cleanup(func() { c.Close() })
	return &Conn{t: s.t, srv: s, conn: c,
		dec: xml.NewDecoder(c, xml.Limits{MaxStanzaBytes: 1 << 20, MaxDepth: 64, MaxAttrs: 128})}
}

// OpenComponent sends a jabber:component:accept stream header for
// domain and returns the server's header (its id attribute is the
// stream id the handshake digest covers).
func (c *Conn) OpenComponent(domain string) *xml.Element {
	c.t.Helper()
	c.Domain = domain
	c.Send("<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='%s'>", domain)
	c.conn.SetReadDeadline(time.Now().Add(Timeout))
	h, err := c.dec.ReadHeader()
	if err != nil {
		c.t.Fatalf("read component stream header: %v", err)
	}
	return h
}

// ComponentLogin opens the stream for domain, handshakes with secret
// (XEP-0114 §3) and expects the empty <handshake/> of success.
func (c *Conn) ComponentLogin(domain, secret string) {
	c.t.Helper()
	h := c.OpenComponent(domain)
	c.Send("<handshake>%s</handshake>", HandshakeDigest(h.Attr("id"), secret))
	c.Expect("handshake")
}

// HandshakeDigest is the XEP-0114 handshake: hex SHA-1 of stream id and
// secret.
func HandshakeDigest(streamID, secret string) string {
	sum := sha1.Sum([]byte(streamID + secret))
	return hex.EncodeToString(sum[:])
}
