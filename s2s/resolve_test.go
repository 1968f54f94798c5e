package s2s

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"reflect"
	"testing"
	"time"
)

// fakeDNS answers from tables; a name in neither is NXDOMAIN.
type fakeDNS struct {
	srv   map[string][]*net.SRV // "_service._tcp.domain"
	hosts map[string][]string
}

func (f fakeDNS) LookupSRV(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
	key := "_" + service + "._" + proto + "." + name
	if r, ok := f.srv[key]; ok {
		return key, r, nil
	}
	return "", nil, &net.DNSError{Err: "no such host", Name: key, IsNotFound: true}
}

func (f fakeDNS) LookupHost(_ context.Context, host string) ([]string, error) {
	if a, ok := f.hosts[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestTargets(t *testing.T) {
	dns := fakeDNS{
		srv: map[string][]*net.SRV{
			"_xmpps-server._tcp.both.test": {{Target: "tls.both.test.", Port: 5270, Priority: 10}},
			"_xmpp-server._tcp.both.test":  {{Target: "a.both.test.", Port: 5269, Priority: 5}, {Target: "b.both.test.", Port: 5269, Priority: 10}},
			"_xmpp-server._tcp.none.test":  {{Target: ".", Port: 0}},
			"_xmpps-server._tcp.none.test": {{Target: ".", Port: 0}},
		},
		hosts: map[string][]string{"plain.test": {"192.0.2.1"}},
	}
	s := New(Config{Local: func(string) bool { return false }, Resolver: dns, StaticHosts: map[string]string{"static.test": "10.0.0.7:15269"}})
	defer s.Stop(context.Background())
	ctx := context.Background()
	for domain, want := range map[string][]target{
		"static.test": {{host: "10.0.0.7", port: 15269}},
		// By priority; direct TLS first on a tie.
		"both.test": {{host: "a.both.test", port: 5269}, {host: "tls.both.test", port: 5270, directTLS: true}, {host: "b.both.test", port: 5269}},
		// No SRV: the domain itself on 5269.
		"plain.test": {{host: "plain.test", port: 5269}},
	} {
		got, err := s.targets(ctx, domain)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("targets(%s) = %v, %v; want %v", domain, got, err, want)
		}
	}
	for _, domain := range []string{"none.test", "nothing.test", "x.invalid"} {
		if _, err := s.targets(ctx, domain); !errors.Is(err, ErrNotFound) {
			t.Errorf("targets(%s): %v, want ErrNotFound", domain, err)
		}
	}
}

// A server found through _xmpps-server._tcp is reached with TLS from
// the first byte (XEP-0368), on the direct TLS listener.
func TestDirectTLS(t *testing.T) {
	p := newPKI(t)
	tlsL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := tlsL.Addr().(*net.TCPAddr).Port
	dns := fakeDNS{
		srv:   map[string][]*net.SRV{"_xmpps-server._tcp.b.test": {{Target: "xmpp.b.test.", Port: uint16(port)}}},
		hosts: map[string][]string{"xmpp.b.test": {"127.0.0.1"}},
	}
	nodes := startNodes(t,
		nodeConfig{domain: "b.test", cert: p.cert(t, "b.test"), roots: p.ca.Pool()},
		nodeConfig{domain: "a.test", cert: p.cert(t, "a.test"), roots: p.ca.Pool(), mod: func(c *Config) {
			delete(c.StaticHosts, "b.test")
			c.Resolver = dns
		}})
	b, a := nodes[0], nodes[1]
	go b.svc.Serve(tlsL, true)
	a.send(msg("alice@a.test", "bob@b.test", "direct"))
	b.expect("a message over direct TLS", "direct")

	// The listener speaks TLS at once and offers xmpp-server by ALPN.
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: wait}, "tcp", tlsL.Addr().String(),
		&tls.Config{ServerName: "b.test", RootCAs: p.ca.Pool(), NextProtos: []string{"xmpp-server"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.ConnectionState().NegotiatedProtocol != "xmpp-server" {
		t.Errorf("ALPN: %q", c.ConnectionState().NegotiatedProtocol)
	}
	c.SetDeadline(time.Now().Add(wait))
}
