package soap

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSlowBody: an envelope that arrives too slowly gets a soap:Client
// fault once BodyTimeout has passed (against a real listener; the client
// only waits, with a deadline, for the answer), and the connection is
// closed.
func TestSlowBody(t *testing.T) {
	srv := newTestServer(t, Config{BodyTimeout: 100 * time.Millisecond})
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = io.WriteString(c, "POST /imtapp/ws/TestService HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 1000\r\n\r\n<?xml")
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
	f := readFault(t, resp.StatusCode, string(body))
	if f.Code != "soap:Client" || !strings.Contains(f.String, "not received within") {
		t.Fatalf("stalled body: %+v", f)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("connection still open after the timeout: %v", err)
	}
}

// TestBodyTimeoutEndsWithTheBody: an operation running longer than
// BodyTimeout keeps its context until its own Timeout.
func TestBodyTimeoutEndsWithTheBody(t *testing.T) {
	srv := newTestServer(t, Config{BodyTimeout: 20 * time.Millisecond, Timeout: 300 * time.Millisecond})
	code, body := post(t, srv.URL+"/imtapp/ws/TestService", envelope(`<t:createSession><param1>slow</param1></t:createSession>`))
	f := readFault(t, code, body)
	if f.Code != "soap:Server" || !strings.Contains(f.String, "timed out") {
		t.Fatalf("slow operation: %+v", f)
	}
}
