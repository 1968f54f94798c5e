package e2e

import (
	"net"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// dnsServer is an authoritative DNS server on a loopback UDP port for
// the test's domains, so that Prosody and ejabberd find the test's
// Parley the way servers find each other on the Internet: SRV records
// (_xmpp-server._tcp, RFC 6120 §3.2.1) pointing at its ephemeral port.
// Names it does not know do not exist (NXDOMAIN).
type dnsServer struct {
	pc   net.PacketConn
	mu   sync.Mutex
	srv  map[string][]dnsmessage.SRVResource // lower-case FQDN with the final dot
	a    map[string][4]byte
	seen map[string]int // queries answered, by "name type" (for checks and logs)
}

func startDNS(t *testing.T) *dnsServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &dnsServer{pc: pc, srv: map[string][]dnsmessage.SRVResource{}, a: map[string][4]byte{}, seen: map[string]int{}}
	t.Cleanup(func() { pc.Close() })
	go d.serve()
	return d
}

func (d *dnsServer) port() int { return d.pc.LocalAddr().(*net.UDPAddr).Port }

func fqdn(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) + "." }

// addSRV publishes service (e.g. "_xmpp-server._tcp.parley.example") at
// target:port, and target's address as 127.0.0.1 (unless target is an
// address itself).
func (d *dnsServer) addSRV(service, target string, port int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	tgt := dnsmessage.MustNewName(fqdn(target))
	d.srv[fqdn(service)] = append(d.srv[fqdn(service)], dnsmessage.SRVResource{Port: uint16(port), Target: tgt})
	if net.ParseIP(target) == nil {
		d.a[fqdn(target)] = [4]byte{127, 0, 0, 1}
	}
}

// addA publishes name at 127.0.0.1.
func (d *dnsServer) addA(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.a[fqdn(name)] = [4]byte{127, 0, 0, 1}
}

// queried reports how often name was asked for with type typ ("SRV", "A").
func (d *dnsServer) queried(name, typ string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.seen[fqdn(name)+" "+typ]
}

func (d *dnsServer) serve() {
	buf := make([]byte, 4096)
	for {
		n, addr, err := d.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		if out := d.answer(buf[:n]); out != nil {
			d.pc.WriteTo(out, addr)
		}
	}
}

func (d *dnsServer) answer(query []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	name := strings.ToLower(q.Name.String())
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seen[name+" "+strings.TrimPrefix(q.Type.String(), "Type")]++
	_, isSRV := d.srv[name]
	_, isA := d.a[name]
	rcode := dnsmessage.RCodeSuccess
	if !isSRV && !isA {
		rcode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true,
		RecursionDesired: h.RecursionDesired, RecursionAvailable: true, RCode: rcode})
	b.EnableCompression()
	b.StartQuestions()
	b.Question(q)
	b.StartAnswers()
	hdr := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 1}
	switch q.Type {
	case dnsmessage.TypeSRV:
		for _, r := range d.srv[name] {
			b.SRVResource(hdr, r)
		}
	case dnsmessage.TypeA:
		if ip, ok := d.a[name]; ok {
			b.AResource(hdr, dnsmessage.AResource{A: ip})
		}
	}
	out, err := b.Finish()
	if err != nil {
		return nil
	}
	return out
}

// log lists the queries answered, for failure messages.
func (d *dnsServer) log() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]int, len(d.seen))
	for k, v := range d.seen {
		out[k] = v
	}
	return out
}
