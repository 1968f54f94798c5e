package bench

import (
	"net"
	"strconv"
	"testing"
	"time"
)

// The scanner finds timestamps cut anywhere by reads and skips the
// presence a user's own session sent.
func TestScannerSplitReads(t *testing.T) {
	ts := strconv.FormatInt(time.Now().UnixNano(), 10)
	stream := ""
	for i := range 50 {
		from := "bench1@localhost/x"
		if i%5 == 0 {
			from = "me@localhost/bench" // our own echo: not counted
		}
		stream += "<presence from='" + from + "' to='me@localhost/bench'><status>t=" + ts + "</status></presence>"
	}
	for _, chunk := range []int{1, 7, 64, 1000} {
		a, b := net.Pipe()
		c := &conn{Conn: a, fromSelf1: []byte("from='me@localhost"), fromSelf2: []byte(`from="me@localhost`)}
		s := newScanner(presenceMarker, true)
		done := make(chan struct{})
		go func() { s.read(c, 512); close(done) }()
		for i := 0; i < len(stream); i += chunk {
			b.Write([]byte(stream[i:min(i+chunk, len(stream))]))
		}
		b.Close()
		<-done
		if got := s.hist.Load().total(); got != 40 {
			t.Fatalf("chunk %d: counted %d, want 40", chunk, got)
		}
	}
}
