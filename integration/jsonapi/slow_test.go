package jsonapi

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSlowBody: a client that sends its body too slowly gets 408 once
// BodyTimeout has passed (measured against a real listener; the client
// only waits, with a deadline, for the answer) and the connection is
// closed.
func TestSlowBody(t *testing.T) {
	srv := newServer(t, Config{BodyTimeout: 100 * time.Millisecond})
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Headers, and 1 byte of a 1000-byte body; the rest never comes.
	_, err = io.WriteString(c, "POST /api/v1/TestService/createSession HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), "not received within") {
		t.Fatalf("stalled body: %d %s", resp.StatusCode, body)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("connection still open after the timeout: %v", err)
	}
}

// TestBodyTimeoutEndsWithTheBody: the body deadline does not outlive
// the body: an operation running longer than BodyTimeout keeps its
// context until its own Timeout (503 "timed out", not a cancelled
// context's 500).
func TestBodyTimeoutEndsWithTheBody(t *testing.T) {
	srv := newServer(t, Config{BodyTimeout: 20 * time.Millisecond, Timeout: 300 * time.Millisecond})
	code, body := do(t, "POST", srv.URL+"/api/v1/TestService/createSession", "application/json", `{"param1": "slow"}`)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "timed out") {
		t.Fatalf("slow operation: %d %s", code, body)
	}
	// The connection serves the next request normally.
	code, body = do(t, "POST", srv.URL+"/api/v1/TestService/createSession", "application/json", `{"param0": "a", "param2": "USER"}`)
	if code != http.StatusOK {
		t.Fatalf("next request: %d %s", code, body)
	}
}
