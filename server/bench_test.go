package server_test

import (
	"bufio"
	"bytes"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
)

// BenchmarkC2SMessages measures the whole path over loopback TCP with
// the default configuration (message archive on): a client writes chat
// messages, the server parses, routes, archives and queues them, and a
// second client reads them. One op is one delivered message.
func BenchmarkC2SMessages(b *testing.B) { benchC2SMessages(b, true) }

// BenchmarkC2SMessagesNoArchive is BenchmarkC2SMessages with
// mam.enabled = false: what the archive costs per message.
func BenchmarkC2SMessagesNoArchive(b *testing.B) { benchC2SMessages(b, false) }

func benchC2SMessages(b *testing.B, archive bool) {
	srv := xmpptest.RunServer(b, func(c *config.Config) {
		c.Limits.OutboundQueueStanzas = 1 << 20
		c.Limits.OutboundQueueBytes = 1 << 30
		c.MAM.Enabled = archive
		c.Storage.Driver = "sqlite" // the default (xmpptest uses memory)
	})
	srv.AddUser("alice@localhost", "secret")
	srv.AddUser("bob@localhost", "secret")
	a := srv.Dial()
	a.Login("alice", "secret", "a")
	bob := srv.Dial()
	bob.Login("bob", "secret", "b")
	c2sMessages(b, a, bob)
}

// c2sMessages sends b.N chat messages from a to bob's full JID and
// waits until bob's connection carried them all.
func c2sMessages(b *testing.B, a, bob *xmpptest.Conn) {
	// Login's reads and writes left deadlines; a long run must not hit them.
	bob.Net().SetReadDeadline(time.Time{})
	a.Net().SetWriteDeadline(time.Time{})
	msg := []byte("<message to='bob@localhost/b' type='chat' id='m'><body>Hello, how are you doing today?</body></message>")
	marker := []byte("</message>")
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	done := make(chan error, 1)
	go func() {
		// Count end tags on the raw stream: the reader must not be the
		// bottleneck of the measurement.
		r := bufio.NewReaderSize(bob.Net(), 64<<10)
		buf := make([]byte, 64<<10)
		seen, carry := 0, 0
		for seen < b.N {
			n, err := r.Read(buf[carry:])
			if err != nil {
				done <- err
				return
			}
			data := buf[:carry+n]
			seen += bytes.Count(data, marker)
			carry = copy(buf, data[max(0, len(data)-len(marker)+1):])
			if len(data) < len(marker) {
				carry = len(data)
			}
		}
		done <- nil
	}()
	// With the archive on, the server stops reading while routing waits
	// for the archive writer's bounded queue: the sender waits as long
	// as that takes (the connection's test deadline would cut it short).
	a.Net().SetWriteDeadline(time.Time{})
	bob.Net().SetReadDeadline(time.Time{})
	const batch = 64
	chunk := bytes.Repeat(msg, batch)
	for sent := 0; sent < b.N; sent += batch {
		n := min(batch, b.N-sent)
		if _, err := a.Net().Write(chunk[:n*len(msg)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil && err != io.EOF {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkC2SMessagesCluster is BenchmarkC2SMessages on a cluster of two
// nodes (PostgreSQL, one NATS): bob on the sender's node (same-node), or
// on the other one (cross-node: forwarded over NATS). The difference of
// the two is what a message crossing nodes costs; cpu-µs/msg is the
// process's CPU time (both nodes, the NATS server and the clients) per
// message.
func BenchmarkC2SMessagesCluster(b *testing.B) {
	nodes := runCluster(b, 2, func(c *config.Config) {
		c.Limits.OutboundQueueStanzas, c.Limits.OutboundQueueBytes = 1<<20, 1<<30
		c.MAM.Enabled = false // the archive costs the same either way; it would dominate
	})
	nodes[0].AddUser("alice@localhost", "secret")
	nodes[0].AddUser("bob@localhost", "secret")
	a := nodes[0].Dial()
	a.Login("alice", "secret", "a")
	for i, name := range []string{"same-node", "cross-node"} {
		b.Run(name, func(b *testing.B) {
			bob := nodes[i].Dial()
			bob.Login("bob", "secret", "b")
			xmpptest.WaitFor(b, "bob seen from alice's node", func() bool { return nodes[0].Router().Online("bob@localhost") })
			var before, after syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &before)
			c2sMessages(b, a, bob)
			syscall.Getrusage(syscall.RUSAGE_SELF, &after)
			cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) / time.Duration(b.N)
			b.ReportMetric(float64(cpu.Nanoseconds())/1000, "cpu-µs/msg")
			bob.Close()
			xmpptest.WaitFor(b, "bob gone", func() bool { return !nodes[0].Router().Online("bob@localhost") })
		})
	}
}
