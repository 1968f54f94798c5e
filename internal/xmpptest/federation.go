package xmpptest

import (
	"fmt"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/testca"
)

// FederatedSubdomains are the service subdomains RunFederation makes
// reachable on each server: its conference service, and push.DOMAIN
// for a test's external component.
var FederatedSubdomains = []string{"conference", "push"}

// RunFederation starts one server per domain (as RunServer, with its
// options) that reach each other over server-to-server streams on
// loopback: each has a certificate for its domain and subdomains from a
// test CA, trusts the others' domains (s2s.trusted_domains) and finds
// them through s2s.static_hosts. Each domain's address is a Forwarder,
// so that it is known before the servers start and a test can cut it.
func RunFederation(t testing.TB, domains []string, opts ...Options) ([]*Server, map[string]*Forwarder) {
	t.Helper()
	ca := testca.New(t)
	dir := t.TempDir()
	fwd := make(map[string]*Forwarder, len(domains))
	for _, d := range domains {
		fwd[d] = NewForwarder(t)
	}
	servers := make([]*Server, len(domains))
	for i, d := range domains {
		certFile, keyFile := ca.Issue(t, d, "*."+d).WriteFiles(t, dir, d)
		domain := d
		all := append([]Options{func(c *config.Config) {
			c.Hosts = []string{domain}
			c.TLS.CertFile, c.TLS.KeyFile = certFile, keyFile
			c.S2S.StaticHosts, c.S2S.TrustedDomains = nil, nil
			for _, other := range domains {
				if other == domain {
					continue
				}
				a := fwd[other].Addr()
				c.S2S.StaticHosts = append(c.S2S.StaticHosts, other+"="+a)
				for _, sub := range FederatedSubdomains {
					c.S2S.StaticHosts = append(c.S2S.StaticHosts, sub+"."+other+"="+a)
				}
				c.S2S.TrustedDomains = append(c.S2S.TrustedDomains, other)
			}
		}}, opts...)
		servers[i] = RunServer(t, all...)
		fwd[d].SetTarget(servers[i].Addr("s2s").String())
	}
	return servers, fwd
}

// Forwarder is a loopback address that relays TCP connections to a
// target set later; Cut drops its connections and refuses new ones
// until Restore, as a server that goes down and comes back.
type Forwarder struct {
	l      net.Listener
	mu     sync.Mutex
	target string
	cut    bool
	conns  map[net.Conn]bool
}

// NewForwarder listens on a free loopback port.
func NewForwarder(t testing.TB) *Forwarder {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &Forwarder{l: l, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { l.Close(); f.Cut() })
	go f.serve()
	return f
}

// Addr is the forwarder's address.
func (f *Forwarder) Addr() string { return f.l.Addr().String() }

// SetTarget says where connections go.
func (f *Forwarder) SetTarget(addr string) {
	f.mu.Lock()
	f.target = addr
	f.mu.Unlock()
}

// Cut closes every relayed connection and refuses new ones.
func (f *Forwarder) Cut() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cut = true
	for c := range f.conns {
		c.Close()
	}
	clear(f.conns)
}

// Restore accepts connections again.
func (f *Forwarder) Restore() {
	f.mu.Lock()
	f.cut = false
	f.mu.Unlock()
}

func (f *Forwarder) serve() {
	for {
		c, err := f.l.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		target, cut := f.target, f.cut
		f.mu.Unlock()
		if cut || target == "" {
			c.Close()
			continue
		}
		u, err := net.Dial("tcp", target)
		if err != nil {
			c.Close()
			continue
		}
		f.mu.Lock()
		if f.cut {
			f.mu.Unlock()
			c.Close()
			u.Close()
			continue
		}
		f.conns[c], f.conns[u] = true, true
		f.mu.Unlock()
		go f.relay(c, u)
		go f.relay(u, c)
	}
}

func (f *Forwarder) relay(dst, src net.Conn) {
	io.Copy(dst, src)
	dst.Close()
	src.Close()
	f.mu.Lock()
	delete(f.conns, dst)
	delete(f.conns, src)
	f.mu.Unlock()
}

// String describes the forwarder (logs).
func (f *Forwarder) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Sprintf("%s -> %s (cut %v)", f.Addr(), f.target, f.cut)
}
