package c2s

import (
	"bytes"
	"net"
	"testing"

	"github.com/parley-im/parley/xmpp/xml"
)

func TestQueueLimitsAndFinal(t *testing.T) {
	starts := 0
	q := newOutQueue(10, 3, func() { starts++ })
	q.release()
	for _, s := range []string{"aaa", "bbb", "ccc"} {
		if q.push([]byte(s)) != queued {
			t.Fatalf("push %s refused", s)
		}
	}
	if q.push([]byte("d")) != overflow {
		t.Fatal("count limit not enforced")
	}
	if r := q.push([]byte("e")); r != refused {
		t.Fatalf("second push over the limit: %v, want refused (overflow is reported once)", r)
	}
	if starts != 1 {
		t.Fatalf("writer started %d times for one burst, want 1", starts)
	}
	items, closing, ok := q.next(nil)
	if len(items) != 3 || closing || !ok {
		t.Fatalf("next: %d items, closing %v, ok %v", len(items), closing, ok)
	}
	if _, _, ok := q.next(nil); ok {
		t.Fatal("an idle queue keeps its writer")
	}
	q.push([]byte("x"))
	if starts != 2 {
		t.Fatalf("a push after the writer left started %d writers in all, want 2", starts)
	}
	q2 := newOutQueue(4, 0, func() {})
	if q2.push([]byte("12345")) != overflow {
		t.Fatal("byte limit not enforced")
	}
	if !q2.pushFinal([]byte("</stream:stream>")) {
		t.Fatal("final bytes must pass the limits")
	}
	if q2.push([]byte("x")) != refused || q2.pushFinal([]byte("y")) {
		t.Fatal("nothing is accepted after the final bytes")
	}
	if _, closing, _ := q2.next(nil); !closing {
		t.Fatal("closing not reported")
	}
}

func TestTCPWriteIsOneWrite(t *testing.T) {
	server, client := net.Pipe()
	defer server.Close()
	defer client.Close()
	got := make(chan []byte, 1)
	go func() {
		buf := make([]byte, 100)
		n, _ := client.Read(buf)
		got <- buf[:n]
	}()
	if err := newTCPTransport(server, xml.Limits{}).Write([][]byte{[]byte("<a/>"), []byte("<b/>"), []byte("<c/>")}); err != nil {
		t.Fatal(err)
	}
	// net.Pipe delivers each Write as one Read: one read holding all
	// three elements proves they went out in a single Write.
	if b := <-got; !bytes.Equal(b, []byte("<a/><b/><c/>")) {
		t.Fatalf("first read %q", b)
	}
}

// During negotiation the reader writes itself: a held queue starts no
// writer until it is released, then starts one for what waits.
func TestQueueHeldUntilRelease(t *testing.T) {
	starts := 0
	q := newOutQueue(0, 0, func() { starts++ })
	q.push([]byte("<a/>"))
	q.pushFinal([]byte("</stream:stream>"))
	if starts != 0 {
		t.Fatalf("held queue started %d writers", starts)
	}
	q.release()
	if starts != 1 {
		t.Fatalf("release started %d writers, want 1", starts)
	}
	items, closing, ok := q.next(nil)
	if len(items) != 2 || !closing || !ok {
		t.Fatalf("next after release: %q closing %v ok %v", items, closing, ok)
	}
	q.fail()
	if q.push([]byte("x")) != refused || starts != 1 {
		t.Fatal("a failed queue accepted a stanza or started a writer")
	}
}
