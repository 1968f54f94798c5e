package xmpptest

import (
	"net"
	"testing"

	"github.com/parley-im/parley/xmpp/xml"
)

// DialAddr opens a plain TCP connection to a client listener at addr
// serving domain: a server in another process (test/e2e), which must
// allow plaintext logins for Login to work without STARTTLS.
func DialAddr(t testing.TB, addr, domain string) *Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, Timeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &Conn{t: t, conn: c, Domain: domain,
		dec: xml.NewDecoder(c, xml.Limits{MaxStanzaBytes: 1 << 20, MaxDepth: 64, MaxAttrs: 128})}
}
