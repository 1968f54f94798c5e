package netlimit_test

import (
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/parley-im/parley/internal/netlimit"
)

func TestPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":          "192.0.2.7/32",
		"::ffff:192.0.2.7":   "192.0.2.7/32",
		"2001:db8:1:2::1":    "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:": "", // not an address
	} {
		a, err := netip.ParseAddr(in)
		if want == "" {
			if err == nil {
				t.Fatalf("%s parsed", in)
			}
			continue
		}
		if got := netlimit.Prefix(a).String(); got != want {
			t.Errorf("Prefix(%s) = %s, want %s", in, got, want)
		}
	}
	if netlimit.Prefix(netip.MustParseAddr("2001:db8:1:2::1")) != netlimit.Prefix(netip.MustParseAddr("2001:db8:1:2:aaaa::9")) {
		t.Error("two addresses of one /64 are counted apart")
	}
}

func TestCounter(t *testing.T) {
	c := netlimit.NewCounter(2)
	a := netlimit.Prefix(netip.MustParseAddr("192.0.2.1"))
	b := netlimit.Prefix(netip.MustParseAddr("192.0.2.2"))
	if !c.Acquire(a) || !c.Acquire(a) || c.Acquire(a) {
		t.Fatal("want exactly 2 for one address")
	}
	if !c.Acquire(b) {
		t.Fatal("another address is refused")
	}
	c.Release(a)
	if !c.Acquire(a) {
		t.Fatal("a released unit was not given back")
	}
	var unlimited *netlimit.Counter = netlimit.NewCounter(0)
	for range 1000 {
		if !unlimited.Acquire(a) {
			t.Fatal("a nil counter refused")
		}
	}
}

// server accepts on l, holding every connection it gets open, and
// reports each on the returned channel.
func server(t *testing.T, l net.Listener) <-chan net.Conn {
	got := make(chan net.Conn, 100)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			got <- c
		}
	}()
	return got
}

// dialFrom connects to addr from the loopback address src (Linux
// routes all of 127.0.0.0/8 to lo).
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// refused reports whether the listener closed c without serving it
// (the reject hook writes "no" first).
func refused(t *testing.T, c net.Conn) bool {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading a refused connection: %v", err)
	}
	return string(b) == "no"
}

func accepted(t *testing.T, got <-chan net.Conn) net.Conn {
	t.Helper()
	select {
	case c := <-got:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("connection not accepted")
		return nil
	}
}

// TestListenerPerAddress: one address gets MaxPerAddr connections, the
// next is rejected, others are still served, an exempt address counts
// only against the total, and a closed connection gives its slot back.
func TestListenerPerAddress(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	l := netlimit.Listen(raw, netlimit.ListenerConfig{Max: 6, MaxPerAddr: 2,
		Exempt: func(a netip.Addr) bool { return a == netip.MustParseAddr("127.0.0.9") },
		Reject: func(c net.Conn) { c.Write([]byte("no")); c.Close() }})
	got := server(t, l)
	addr := raw.Addr().String()

	var held []net.Conn
	for range 2 {
		dialFrom(t, "127.0.0.2", addr)
		held = append(held, accepted(t, got))
	}
	if !refused(t, dialFrom(t, "127.0.0.2", addr)) {
		t.Fatal("a third connection from one address was not refused")
	}
	dialFrom(t, "127.0.0.3", addr)
	accepted(t, got)
	// The exempt address takes the rest of the total, beyond 2.
	for range 3 {
		dialFrom(t, "127.0.0.9", addr)
		accepted(t, got)
	}
	if !refused(t, dialFrom(t, "127.0.0.4", addr)) {
		t.Fatal("a connection over the total was not refused")
	}
	held[0].Close()
	dialFrom(t, "127.0.0.2", addr)
	accepted(t, got)
}
