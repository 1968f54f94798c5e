package s2s

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/internal/testca"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

const wait = 5 * time.Second

// node is one Service on a loopback listener, recording what it
// delivers and how streams authenticated.
type node struct {
	t      testing.TB
	svc    *Service
	domain string
	addr   string
	got    chan *xml.Element

	mu   sync.Mutex
	auth []string // "direction method result"
	open map[string]int
}

// nxResolver knows no domain at all.
type nxResolver struct{}

func (nxResolver) LookupSRV(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
	return "", nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (nxResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func testLogger() *slog.Logger {
	level := slog.LevelError
	if os.Getenv("PARLEY_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// nodeConfig is a node's configuration before its service starts.
type nodeConfig struct {
	domain string
	cert   tls.Certificate
	roots  *x509.CertPool
	mod    func(*Config)
}

// startNodes starts services that know each other's addresses.
func startNodes(t testing.TB, ncs ...nodeConfig) []*node {
	t.Helper()
	listeners := make([]net.Listener, len(ncs))
	static := map[string]string{}
	for i, nc := range ncs {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		listeners[i] = l
		static[nc.domain] = l.Addr().String()
		static["conference."+nc.domain] = l.Addr().String()
	}
	nodes := make([]*node, len(ncs))
	for i, nc := range ncs {
		n := &node{t: t, domain: nc.domain, addr: listeners[i].Addr().String(), got: make(chan *xml.Element, 1000), open: map[string]int{}}
		domain := nc.domain
		mine := map[string]string{}
		for d, a := range static {
			if d != domain && d != "conference."+domain {
				mine[d] = a
			}
		}
		cfg := Config{
			Local:            func(d string) bool { return d == domain || d == "conference."+domain },
			DefaultDomain:    domain,
			Certificates:     []tls.Certificate{nc.cert},
			RootCAs:          nc.roots,
			Dialback:         true,
			StaticHosts:      mine,
			Resolver:         nxResolver{},
			XMLLimits:        xml.Limits{MaxStanzaBytes: 16 << 10},
			HandshakeTimeout: wait,
			QueueTimeout:     wait,
			RetryMin:         20 * time.Millisecond,
			RetryMax:         200 * time.Millisecond,
			Deliver:          func(_ context.Context, el *xml.Element) { n.got <- el },
			Logger:           testLogger().With("node", domain),
			Metrics: Metrics{
				Auth: func(d, m, r string) {
					n.mu.Lock()
					n.auth = append(n.auth, d+" "+m+" "+r)
					n.mu.Unlock()
				},
				Streams: func(d string, delta int) {
					n.mu.Lock()
					n.open[d] += delta
					n.mu.Unlock()
				},
			},
		}
		if nc.mod != nil {
			nc.mod(&cfg)
		}
		n.svc = New(cfg)
		n.svc.Start(context.Background())
		go n.svc.Serve(listeners[i], false)
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			if err := n.svc.Stop(ctx); err != nil {
				t.Errorf("stop %s: %v", domain, err)
			}
		})
		nodes[i] = n
	}
	return nodes
}

// send hands a stanza (written in jabber:client) to the node.
func (n *node) send(raw string) {
	n.t.Helper()
	el, err := xml.ParseElement([]byte(raw), ns.Client, xml.DefaultLimits)
	if err != nil {
		n.t.Fatal(err)
	}
	n.svc.Receive(context.Background(), el)
}

// expect waits for a delivered stanza matching all parts.
func (n *node) expect(what string, parts ...string) *xml.Element {
	n.t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case el := <-n.got:
			if contains(el, parts...) {
				return el
			}
			n.t.Logf("%s: skipped %s", n.domain, el.String())
		case <-deadline:
			n.t.Fatalf("%s: no %s within %v", n.domain, what, wait)
			return nil
		}
	}
}

// expectNone checks that nothing was delivered so far; the caller
// waited for an event that proves the stanza would have arrived first.
func (n *node) expectNone(what string) {
	n.t.Helper()
	select {
	case el := <-n.got:
		n.t.Fatalf("%s: %s: got %s", n.domain, what, el.String())
	default:
	}
}

func (n *node) authEvents() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.auth...)
}

func (n *node) streams(direction string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.open[direction]
}

// waitFor polls cond (for state no event reports) until a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func contains(el *xml.Element, parts ...string) bool {
	s := el.String()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// pki is a CA and certificates for the test domains.
type pki struct {
	ca *testca.CA
}

func newPKI(t testing.TB) pki { return pki{ca: testca.New(t)} }

func (p pki) cert(t testing.TB, domain string) tls.Certificate {
	return p.ca.Issue(t, domain, "*."+domain).TLS
}

// pair starts a.test and b.test, each with a certificate of the test
// CA, which both trust.
func pair(t *testing.T, modA, modB func(*Config)) (a, b *node) {
	p := newPKI(t)
	ns := startNodes(t,
		nodeConfig{domain: "a.test", cert: p.cert(t, "a.test"), roots: p.ca.Pool(), mod: modA},
		nodeConfig{domain: "b.test", cert: p.cert(t, "b.test"), roots: p.ca.Pool(), mod: modB})
	return ns[0], ns[1]
}

func msg(from, to, body string) string {
	return fmt.Sprintf("<message from='%s' to='%s' type='chat' id='m-%s'><body>%s</body></message>", from, to, body, body)
}
