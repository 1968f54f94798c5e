//go:build linux

package netpoll

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"testing"
	"time"
)

// pair returns both ends of a loopback TCP connection.
func pair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

func newPoller(t *testing.T) *Poller {
	t.Helper()
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// waitReady waits for a ready call, with a deadline.
func waitReady(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("no ready call")
	}
}

func readyChan() (chan struct{}, func(bool)) {
	ch := make(chan struct{}, 64)
	return ch, func(bool) { ch <- struct{}{} }
}

func TestReadyAfterEveryArrival(t *testing.T) {
	p := newPoller(t)
	c, s := pair(t)
	ch, ready := readyChan()
	if _, err := p.Add(s, ready); err != nil {
		t.Fatal(err)
	}
	sock, err := NewSocket(s)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if _, err := sock.Read(buf); !errors.Is(err, ErrWouldBlock) {
		t.Fatalf("read on an empty socket: %v, want ErrWouldBlock", err)
	}
	for i, msg := range []string{"<a/>", "<bb/>", "<ccc/>"} {
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		waitReady(t, ch)
		n, err := sock.Read(buf)
		if err != nil || string(buf[:n]) != msg {
			t.Fatalf("round %d: read %q, %v; want %q", i, buf[:n], err, msg)
		}
		// Drain the ready calls of this round (edge-triggered: there may
		// be a second one for the same data) before the next arrival.
		for len(ch) > 0 {
			<-ch
		}
	}
	c.Close()
	waitReady(t, ch)
	if _, err := sock.Read(buf); err != io.EOF {
		t.Fatalf("read after the peer closed: %v, want io.EOF", err)
	}
}

// TestHangupWithData: data and the peer's close that arrive together
// are reported with hangup set, since no call follows the read that
// drains the data.
func TestHangupWithData(t *testing.T) {
	p := newPoller(t)
	c, s := pair(t)
	hangups := make(chan bool, 64)
	c.Write([]byte("last words"))
	c.Close()
	if _, err := p.Add(s, func(h bool) { hangups <- h }); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case h := <-hangups:
			if h {
				return
			}
		case <-deadline:
			t.Fatal("no ready call with hangup")
		}
	}
}

func TestRemoveAndClose(t *testing.T) {
	p := newPoller(t)
	c, s := pair(t)
	ch, ready := readyChan()
	h, err := p.Add(s, ready)
	if err != nil {
		t.Fatal(err)
	}
	h.Remove()
	h.Remove() // twice is fine
	c.Write([]byte("x"))
	// A second watched connection proves the poller still runs: its
	// call arrives, the removed one's never does.
	c2, s2 := pair(t)
	ch2, ready2 := readyChan()
	if _, err := p.Add(s2, ready2); err != nil {
		t.Fatal(err)
	}
	c2.Write([]byte("y"))
	waitReady(t, ch2)
	if len(ch) != 0 {
		t.Fatal("ready call for a removed connection")
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Add(s, ready); !errors.Is(err, ErrClosed) {
		t.Fatalf("Add after Close: %v", err)
	}
	h.Remove() // after Close: nothing to do
}

func TestWriteReportsWhatTheSocketTook(t *testing.T) {
	c, s := pair(t)
	s.SetWriteBuffer(4096)
	sock, err := NewSocket(s)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	total := 0
	for {
		n, err := sock.Write(chunk)
		total += n
		if errors.Is(err, ErrWouldBlock) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if total > 64<<20 {
			t.Fatal("the socket never filled up")
		}
	}
	got, err := io.ReadFull(c, make([]byte, total))
	if err != nil || got != total {
		t.Fatalf("peer read %d of %d bytes: %v", got, total, err)
	}
}

// TestTLSOverSocket reads TLS records through a non-blocking Socket:
// crypto/tls must treat ErrWouldBlock as retryable, keeping a partial
// record, and deliver it once the rest arrives.
func TestTLSOverSocket(t *testing.T) {
	p := newPoller(t)
	c, s := pair(t)
	cert := selfSigned(t)
	nb := &nonBlocking{Conn: s}
	srv := tls.Server(nb, &tls.Config{Certificates: []tls.Certificate{cert}})
	split := &splitConn{Conn: c}
	cli := tls.Client(split, &tls.Config{InsecureSkipVerify: true})
	errc := make(chan error, 1)
	go func() { errc <- cli.Handshake() }()
	if err := srv.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	ch, ready := readyChan()
	if _, err := p.Add(s, ready); err != nil {
		t.Fatal(err)
	}
	sock, err := NewSocket(s)
	if err != nil {
		t.Fatal(err)
	}
	nb.sock = sock
	buf := make([]byte, 256)
	if _, err := srv.Read(buf); !errors.Is(err, ErrWouldBlock) {
		t.Fatalf("TLS read with nothing sent: %v", err)
	}
	// One record, written in two halves: the first read sees half of it.
	split.cont = make(chan struct{})
	go cli.Write([]byte("hello over tls"))
	waitReady(t, ch)
	if _, err := srv.Read(buf); !errors.Is(err, ErrWouldBlock) {
		t.Fatalf("TLS read of half a record: %v", err)
	}
	close(split.cont)
	for {
		waitReady(t, ch)
		n, err := srv.Read(buf)
		if errors.Is(err, ErrWouldBlock) {
			continue
		}
		if err != nil || string(buf[:n]) != "hello over tls" {
			t.Fatalf("TLS read %q, %v", buf[:n], err)
		}
		break
	}
}

// nonBlocking reads through a Socket once it is set.
type nonBlocking struct {
	net.Conn
	sock *Socket
}

func (c *nonBlocking) Read(p []byte) (int, error) {
	if c.sock == nil {
		return c.Conn.Read(p)
	}
	return c.sock.Read(p)
}

// splitConn writes the first half of each write, then waits for cont
// before the rest (when cont is set).
type splitConn struct {
	net.Conn
	cont chan struct{}
}

func (c *splitConn) Write(p []byte) (int, error) {
	if c.cont == nil || len(p) < 2 {
		return c.Conn.Write(p)
	}
	h := len(p) / 2
	n, err := c.Conn.Write(p[:h])
	if err != nil {
		return n, err
	}
	<-c.cont
	m, err := c.Conn.Write(p[h:])
	return n + m, err
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
