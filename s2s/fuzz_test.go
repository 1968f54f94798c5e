package s2s

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/parley-im/parley/xmpp/xml"
)

// FuzzIncomingStream feeds whatever another server might send to the
// incoming stream state machine (plaintext allowed, so that every stage
// is reachable without TLS): it must never panic nor hang, and must end
// the stream.
func FuzzIncomingStream(f *testing.F) {
	open := "<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' version='1.0' from='c.test' to='b.test'>"
	for _, seed := range []string{
		open,
		open + "<db:result from='c.test' to='b.test'>key</db:result>",
		open + "<db:verify from='c.test' to='b.test' id='x'>key</db:verify>",
		open + "<bidi xmlns='urn:xmpp:bidi'/><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>",
		open + "<message from='a@c.test' to='b@b.test'><body>x</body></message>",
		open + "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
		open + "</stream:stream>",
		"<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='b.test' version='1.0'>",
	} {
		f.Add([]byte(seed))
	}
	s := New(Config{
		Local:            func(d string) bool { return d == "b.test" },
		DefaultDomain:    "b.test",
		AllowPlaintext:   true,
		Dialback:         true,
		Resolver:         nxResolver{},
		XMLLimits:        xml.Limits{MaxStanzaBytes: 4096},
		HandshakeTimeout: 200 * time.Millisecond,
		Deliver:          func(context.Context, *xml.Element) {},
		Logger:           testLogger(),
	})
	f.Cleanup(func() { s.Stop(f.Context()) })
	f.Fuzz(func(t *testing.T, in []byte) {
		server, client := net.Pipe()
		st := &inStream{conn: newConn(server, s.cfg.XMLLimits, time.Second), svc: s,
			pairs: make(map[domainPair]bool), remotes: make(map[string]bool)}
		if !s.admit(st) {
			t.Skip("stopping")
		}
		done := make(chan struct{})
		go func() { st.serve(); close(done) }()
		go io.Copy(io.Discard, client)
		client.SetWriteDeadline(time.Now().Add(time.Second))
		client.Write(in)
		client.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("the stream did not end")
		}
	})
}
