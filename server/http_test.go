package server_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/integration/configuration"
)

// rawGet sends GET path on c (keep-alive) and reads the answer, waiting
// at most 10 s.
func rawGet(t *testing.T, c net.Conn, br *bufio.Reader, path string) (*http.Response, string, error) {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", path); err != nil {
		return nil, "", err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, "", err
	}
	body, err := io.ReadAll(resp.Body)
	return resp, string(body), err
}

// waitUntil retries cond until it holds, for at most 10 s (waiting for
// the server to notice a closed connection, not for a duration).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestHTTPConnectionCap: with http.max_connections 3, a fourth
// concurrent connection is answered 503 at once; when one of the three
// closes, a new connection is served again.
func TestHTTPConnectionCap(t *testing.T) {
	it := newITest(t, func(c *config.Config) { c.HTTP.MaxConnections = 3 })
	http.DefaultTransport.(*http.Transport).CloseIdleConnections() // the start-up health checks'
	type held struct {
		c  net.Conn
		br *bufio.Reader
	}
	// dial opens a connection and asks for /healthz on it.
	dial := func() (held, int) {
		c, err := net.Dial("tcp", it.srv.Addr("http").String())
		if err != nil {
			t.Fatal(err)
		}
		h := held{c, bufio.NewReader(c)}
		resp, _, err := rawGet(t, c, h.br, "/healthz")
		if err != nil {
			c.Close()
			return h, 0
		}
		return h, resp.StatusCode
	}
	var conns []held
	defer func() {
		for _, h := range conns {
			h.c.Close()
		}
	}()
	waitUntil(t, "three connections served at once", func() bool {
		for len(conns) < 3 {
			h, code := dial()
			if code != http.StatusOK {
				h.c.Close()
				return false // an earlier connection not yet released
			}
			conns = append(conns, h)
		}
		return true
	})
	over, code := dial()
	defer over.c.Close()
	if code != http.StatusServiceUnavailable {
		t.Fatalf("fourth connection: %d, want 503", code)
	}
	// The three still work (keep-alive).
	for _, h := range conns {
		if resp, _, err := rawGet(t, h.c, h.br, "/healthz"); err != nil || resp.StatusCode != 200 {
			t.Fatalf("held connection: %v %v", resp, err)
		}
	}
	conns[0].c.Close()
	conns = conns[1:]
	waitUntil(t, "a slot to be given back", func() bool {
		h, code := dial()
		if code == http.StatusOK {
			conns = append(conns, h)
			return true
		}
		h.c.Close()
		return false
	})
}

// TestHTTPSConnectionCap: the HTTPS listener has its own cap; a
// connection over it is closed before the handshake.
func TestHTTPSConnectionCap(t *testing.T) {
	it := newITest(t, func(c *config.Config) { c.HTTP.MaxConnections = 2 })
	dial := func() (*tls.Conn, error) {
		d := &net.Dialer{Timeout: 10 * time.Second}
		c, err := tls.DialWithDialer(d, "tcp", it.srv.Addr("https").String(), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			return nil, err
		}
		if resp, _, err := rawGet(t, c, bufio.NewReader(c), "/healthz"); err != nil || resp.StatusCode != 200 {
			c.Close()
			return nil, fmt.Errorf("healthz: %v %v", resp, err)
		}
		return c, nil
	}
	var conns []*tls.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 2 {
		c, err := dial()
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	if c, err := dial(); err == nil {
		c.Close()
		t.Fatal("a third HTTPS connection was served with max_connections 2")
	}
	conns[0].Close()
	conns = conns[1:]
	waitUntil(t, "an HTTPS slot to be given back", func() bool {
		c, err := dial()
		if err == nil {
			conns = append(conns, c)
		}
		return err == nil
	})
}

// TestHTTPIdleTimeout: a keep-alive connection idle for
// http.idle_timeout is closed by the server.
func TestHTTPIdleTimeout(t *testing.T) {
	it := newITest(t, func(c *config.Config) { c.HTTP.IdleTimeout = config.Duration{Duration: 100 * time.Millisecond} })
	c, err := net.Dial("tcp", it.srv.Addr("http").String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	if resp, _, err := rawGet(t, c, br, "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("idle connection: %v, want EOF (closed by the server)", err)
	}
}

// TestHTTPSlowBody: a JSON or SOAP call whose body trickles in is
// answered once http.body_timeout passes, on the real server.
func TestHTTPSlowBody(t *testing.T) {
	it := newITest(t, func(c *config.Config) { c.HTTP.BodyTimeout = config.Duration{Duration: 200 * time.Millisecond} })
	for path, want := range map[string]string{
		"/api/v1/AuthenticationService/createSession": "HTTP/1.1 408",
		"/imtapp/ws/AuthenticationService":            "HTTP/1.1 500", // a soap:Client fault
	} {
		c, err := net.Dial("tcp", it.srv.Addr("http").String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"param0\": \"", path)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(c) // the server answers and closes
		c.Close()
		if err != nil || !bytes.HasPrefix(got, []byte(want)) || !bytes.Contains(got, []byte("not received within 200ms")) {
			t.Fatalf("%s with a stalled body: %v %s", path, err, got)
		}
	}
}

// TestHTTPPublicURL: with http.public_url set, the WSDL address, the
// service page, the OpenAPI server and service_home use it, whatever
// Host the client sends.
func TestHTTPPublicURL(t *testing.T) {
	const pub = "https://im.example.com:8443"
	it := newITest(t, func(c *config.Config) { c.HTTP.PublicURL = pub + "/" })
	get := func(path string) string {
		req, _ := http.NewRequest("GET", it.base+path, nil)
		req.Host = "evil.example"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if strings.Contains(string(b), "evil") {
			t.Fatalf("%s follows the Host header: %s", path, b)
		}
		return string(b)
	}
	if w := get("/imtapp/ws/AuthenticationService?WSDL"); !strings.Contains(w, `location="`+pub+`/imtapp/ws/AuthenticationService"`) {
		t.Fatalf("WSDL: %s", w)
	}
	if p := get("/imtapp/ws/AuthenticationService"); !strings.Contains(p, "endpoint: "+pub+"/imtapp/ws/AuthenticationService") {
		t.Fatalf("service page: %s", p)
	}
	var doc struct{ Servers []struct{ URL string } }
	if err := json.Unmarshal([]byte(get("/api/v1/openapi.json")), &doc); err != nil || len(doc.Servers) != 1 || doc.Servers[0].URL != pub+"/api/v1" {
		t.Fatalf("OpenAPI servers: %+v %v", doc.Servers, err)
	}
	siteID, key := it.site("pub")
	var session auth.TokenObject
	if e := it.call(jsonB, "AuthenticationService", "createSession", &session, siteID, key, "SITE"); e != nil {
		t.Fatal(e)
	}
	var resp configuration.GetConfigurationResponse
	if e := it.call(jsonB, "ConfigurationService", "getConfiguration", &resp, configuration.GetConfigurationRequest{EntityID: siteID,
		EntityToken: session.Token, Namespace: "rtc.servicecatalog", Properties: []string{"service_home"}}); e != nil {
		t.Fatal(e)
	}
	if len(resp.Properties) != 1 || resp.Properties[0].Value == nil || *resp.Properties[0].Value != pub+"/imtapp/ws/" {
		t.Fatalf("service_home: %+v", resp)
	}
}

// TestIntegrationFailuresPerAddress: behind a trusted proxy, failed
// authentications are limited per client address (the proxy's last
// X-Forwarded-For entry), whatever the IDs tried: ten times
// integration.auth_failures_per_minute.
func TestIntegrationFailuresPerAddress(t *testing.T) {
	it := newITest(t, func(c *config.Config) {
		c.HTTP.TrustedProxies = []string{"127.0.0.1/32"}
		c.Integration.AuthFailuresPerMinute = 0.5 // burst 1 per ID, 5 per address
	})
	siteID, key := it.site("spray")
	create := func(from, id, secret string) int {
		body := fmt.Sprintf(`{"param0": %q, "param1": %q, "param2": "SITE"}`, id, secret)
		req, _ := http.NewRequest("POST", it.base+"/api/v1/AuthenticationService/createSession", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", "203.0.113.99, "+from) // the first entry is the client's claim
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 5 {
		if code := create("198.51.100.7", fmt.Sprintf("site%d", i), "guess"); code != http.StatusUnauthorized {
			t.Fatalf("wrong key %d: %d", i, code)
		}
	}
	if code := create("198.51.100.7", siteID, key); code != http.StatusUnauthorized {
		t.Fatalf("right key from the spraying address: %d, want 401", code)
	}
	if code := create("198.51.100.8", siteID, key); code != http.StatusOK {
		t.Fatalf("right key from another address: %d", code)
	}
}
