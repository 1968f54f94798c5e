package bus

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func start(t *testing.T, cfg Config) *Bus {
	t.Helper()
	b := New(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b.Stop(ctx)
	})
	return b
}

// roundTrip subscribes on the bus's own connection and publishes from
// pub, and requires the message to arrive.
func roundTrip(t *testing.T, b *Bus, pub *nats.Conn) {
	t.Helper()
	sub, err := b.Conn().SubscribeSync("test.subject")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := b.Conn().Flush(); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish("test.subject", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	pub.Flush()
	m, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatalf("message not received: %v", err)
	}
	if string(m.Data) != "hello" {
		t.Fatalf("got %q", m.Data)
	}
}

// Port 0 picks a free port (nats-server alone would take 4222), and a
// client over TCP reaches the in-process connection's subscription.
func TestEmbeddedEphemeralPort(t *testing.T) {
	b := start(t, Config{Listen: "127.0.0.1:0"})
	a := b.Addr()
	if a == nil {
		t.Fatal("no address")
	}
	if _, port, _ := net.SplitHostPort(a.String()); port == "0" || port == "4222" {
		t.Fatalf("bound %s, want a free port", a)
	}
	if !strings.HasPrefix(b.ClientURL(), "nats://127.0.0.1:") {
		t.Fatalf("ClientURL %q", b.ClientURL())
	}
	c, err := nats.Connect(b.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	roundTrip(t, b, c)
	if s, err := b.Health(); err != nil || !strings.Contains(s, "embedded 127.0.0.1:") {
		t.Fatalf("Health = %q, %v", s, err)
	}
}

// Two embedded buses on port 0 at once do not collide.
func TestTwoEmbeddedBuses(t *testing.T) {
	a := start(t, Config{Listen: "127.0.0.1:0"})
	b := start(t, Config{Listen: "127.0.0.1:0"})
	if a.Addr().String() == b.Addr().String() {
		t.Fatalf("both on %s", a.Addr())
	}
}

func TestNoListenerInProcessOnly(t *testing.T) {
	b := start(t, Config{})
	if b.Addr() != nil || b.ClientURL() != "" {
		t.Fatalf("listener %v", b.Addr())
	}
	roundTrip(t, b, b.Conn())
}

func TestCredentialsRequired(t *testing.T) {
	b := start(t, Config{Listen: "127.0.0.1:0", User: "cal", Password: "s3cret-s3cret"})
	if c, err := nats.Connect(b.ClientURL(), nats.MaxReconnects(0)); err == nil {
		c.Close()
		t.Fatal("connected without credentials")
	}
	if c, err := nats.Connect(b.ClientURL(), nats.UserInfo("cal", "wrong"), nats.MaxReconnects(0)); err == nil {
		c.Close()
		t.Fatal("connected with a wrong password")
	}
	c, err := nats.Connect(b.ClientURL(), nats.UserInfo("cal", "s3cret-s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	roundTrip(t, b, c)
}

func TestTLSRequired(t *testing.T) {
	cert, pool := selfSigned(t)
	b := start(t, Config{Listen: "127.0.0.1:0", TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}})
	if !strings.HasPrefix(b.ClientURL(), "tls://") {
		t.Fatalf("ClientURL %q", b.ClientURL())
	}
	plain := strings.Replace(b.ClientURL(), "tls://", "nats://", 1)
	if c, err := nats.Connect(plain, nats.MaxReconnects(0)); err == nil && !c.TLSRequired() {
		c.Close()
		t.Fatal("plain connection accepted")
	} else if c != nil {
		c.Close()
	}
	c, err := nats.Connect(b.ClientURL(), nats.Secure(&tls.Config{RootCAs: pool, ServerName: "localhost"}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.TLSConnectionState(); err != nil {
		t.Fatalf("not TLS: %v", err)
	}
	roundTrip(t, b, c)
}

// An external bus (URLs) reaches another process's NATS: here another
// embedded bus, with credentials.
func TestExternal(t *testing.T) {
	hub := start(t, Config{Listen: "127.0.0.1:0", User: "node", Password: "node-password"})
	ext := start(t, Config{URLs: []string{hub.ClientURL()}, User: "node", Password: "node-password"})
	if ext.Embedded() || ext.Server() != nil || ext.Addr() != nil {
		t.Fatal("external bus embeds a server")
	}
	roundTrip(t, ext, hub.Conn())
	if s, err := ext.Health(); err != nil || !strings.Contains(s, "external") {
		t.Fatalf("Health = %q, %v", s, err)
	}
}

// An external NATS that is not there yet: Start succeeds, Health says
// so, and the connection is made when the server appears.
func TestExternalLater(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ext := start(t, Config{URLs: []string{"nats://" + addr}})
	if s, err := ext.Health(); !errors.Is(err, ErrDown) || !strings.Contains(s, "external") {
		t.Fatalf("Health before the server = %q, %v", s, err)
	}
	hub := start(t, Config{Listen: addr})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := ext.Health(); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("never connected")
		}
		time.Sleep(20 * time.Millisecond)
	}
	roundTrip(t, ext, hub.Conn())
}

func TestAddressTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	b := New(Config{Listen: l.Addr().String()})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := b.Start(ctx); !errors.Is(err, ErrStart) {
		b.Stop(context.Background())
		t.Fatalf("Start = %v, want ErrStart", err)
	}
}

func TestStopThenHealth(t *testing.T) {
	b := New(Config{Listen: "127.0.0.1:0"})
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Health(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Health(); !errors.Is(err, ErrDown) {
		t.Fatalf("Health after Stop = %v", err)
	}
}

func TestCollector(t *testing.T) {
	b := start(t, Config{Listen: "127.0.0.1:0"})
	c, err := nats.Connect(b.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	roundTrip(t, b, c)
	reg := prometheus.NewRegistry()
	reg.MustRegister(b.Collector())
	if n, err := testutil.GatherAndCount(reg, "parley_nats_up", "parley_nats_server_connections", "parley_nats_client_messages_total"); err != nil || n != 4 {
		t.Fatalf("GatherAndCount = %d, %v", n, err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			key := mf.GetName()
			for _, l := range m.Label {
				key += "/" + l.GetValue()
			}
			switch {
			case m.Gauge != nil:
				got[key] = m.Gauge.GetValue()
			case m.Counter != nil:
				got[key] = m.Counter.GetValue()
			}
		}
	}
	if got["parley_nats_up"] != 1 {
		t.Errorf("up = %v", got["parley_nats_up"])
	}
	// The in-process connection and the TCP client.
	if got["parley_nats_server_connections"] < 2 {
		t.Errorf("connections = %v", got["parley_nats_server_connections"])
	}
	if got["parley_nats_server_messages_total/in"] < 1 || got["parley_nats_client_messages_total/in"] < 1 {
		t.Errorf("messages: %v", got)
	}
}

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// Two embedded servers joined by a route are one NATS: a message
// published on one node's connection reaches a subscriber on the other.
func TestRoutesJoinEmbeddedServers(t *testing.T) {
	b1 := start(t, Config{Listen: "127.0.0.1:0", Name: "n1", ClusterListen: "127.0.0.1:0", ClusterName: "parley",
		User: "parley", Password: "route-secret"})
	if b1.ClusterAddr() == nil {
		t.Fatal("no route listener")
	}
	b2 := start(t, Config{Listen: "127.0.0.1:0", Name: "n2", ClusterListen: "127.0.0.1:0", ClusterName: "parley",
		User: "parley", Password: "route-secret", Routes: []string{"nats-route://" + b1.ClusterAddr().String()}})
	sub, err := b1.Conn().SubscribeSync("across")
	if err != nil {
		t.Fatal(err)
	}
	b1.Conn().Flush()
	deadline := time.Now().Add(10 * time.Second)
	for {
		// Interest crosses the route asynchronously: publish until the
		// subscriber on the other server gets one.
		b2.Conn().Publish("across", []byte("hi"))
		b2.Conn().Flush()
		if m, err := sub.NextMsg(100 * time.Millisecond); err == nil {
			if string(m.Data) != "hi" {
				t.Fatalf("got %q", m.Data)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no message across the route")
		}
	}
	if n := b1.Server().NumRoutes(); n < 1 {
		t.Fatalf("routes %d", n)
	}
}

// A route that does not present the cluster's credentials is refused.
func TestRoutesNeedCredentials(t *testing.T) {
	b1 := start(t, Config{Listen: "127.0.0.1:0", Name: "n1", ClusterListen: "127.0.0.1:0", ClusterName: "parley",
		User: "parley", Password: "route-secret"})
	b2 := start(t, Config{Listen: "127.0.0.1:0", Name: "n2", ClusterListen: "127.0.0.1:0", ClusterName: "parley",
		User: "parley", Password: "wrong", Routes: []string{"nats-route://" + b1.ClusterAddr().String()}})
	sub, _ := b1.Conn().SubscribeSync("across")
	b1.Conn().Flush()
	for range 10 {
		b2.Conn().Publish("across", []byte("hi"))
		b2.Conn().Flush()
		if _, err := sub.NextMsg(100 * time.Millisecond); err == nil {
			t.Fatal("a message crossed a route with wrong credentials")
		}
	}
	if n := b1.Server().NumRoutes(); n != 0 {
		t.Fatalf("routes %d", n)
	}
}
