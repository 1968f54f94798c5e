package server_test

import (
	"bufio"
	"bytes"
	"io"
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
