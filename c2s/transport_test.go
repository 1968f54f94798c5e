package c2s

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/parley-im/parley/internal/netpoll"
	"github.com/parley-im/parley/xmpp/xml"
)

// A writer goroutine that waited for a slow client leaves its write
// deadline on the socket. Once that deadline has passed, the flusher's
// next non-blocking write of the polled connection must still go out
// (it once failed with an i/o timeout and ended the session).
func TestTryWriteIgnoresStaleWriteDeadline(t *testing.T) {
	p, err := netpoll.New()
	if errors.Is(err, netpoll.ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	conn, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	tr := newTCPTransport(conn, xml.DefaultLimits)
	defer tr.Close()
	h, err := tr.startPolling(p, func(bool) {}, func() {})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Remove()

	// What writeLoop leaves behind, already expired.
	tr.SetWriteDeadline(time.Now().Add(-time.Second))
	msg := []byte("<message><body>after a slow write</body></message>")
	flushed, err := tr.tryWrite(msg)
	if err != nil || !flushed {
		t.Fatalf("tryWrite after a stale deadline: flushed %v, err %v", flushed, err)
	}
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(client, got); err != nil || string(got) != string(msg) {
		t.Fatalf("client read %q, %v; want %q", got, err, msg)
	}
}
