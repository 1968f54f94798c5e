// Package xmpptest runs an in-process Parley server on loopback ports
// and speaks raw XMPP to it, for black-box protocol tests in the style
// of nats-server's test package: send some XML, expect some XML.
package xmpptest

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xdg-go/scram"

	"github.com/parley-im/parley/account"
	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/server"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// Timeout bounds every wait for an expected element.
const Timeout = 5 * time.Second

// Options adjust the test server's configuration.
type Options func(*config.Config)

// Server is a running test server.
type Server struct {
	*server.Server
	Config config.Config
	t      testing.TB
}

// RunServer starts a server on 127.0.0.1 ports chosen by the kernel,
// with a memory store (unless opts choose another; PARLEY_TEST_STORAGE=
// postgres puts every server on PostgreSQL, see StorageEnv), plaintext
// allowed, domain "localhost" and no rate limits (stanzas, bytes, failed
// logins: tests of those set them), and stops it when the test ends.
func RunServer(t testing.TB, opts ...Options) *Server {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Storage.Driver = "memory"
	cfg.C2S.Listen = "127.0.0.1:0"
	cfg.C2S.TLSListen = "127.0.0.1:0"
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.HTTP.TLSListen = "127.0.0.1:0"
	cfg.S2S.Listen = "127.0.0.1:0"
	cfg.S2S.TLSListen = "127.0.0.1:0"
	cfg.C2S.AllowPlaintext = true
	// Many test servers run at once: never the default NATS port.
	cfg.NATS.Listen = "127.0.0.1:0"
	cfg.Limits.StanzasPerSecond = 0
	cfg.Limits.BytesPerSecond = 0
	cfg.Limits.AuthFailuresPerMinute = 0
	for _, o := range opts {
		o(&cfg)
	}
	useTestStorage(t, &cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	level := slog.LevelError
	if os.Getenv("PARLEY_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	srv := server.New(cfg, log)
	if err := srv.Start(context.Background()); err != nil {
		t.Fatalf("start server: %v", err)
	}
	s := &Server{Server: srv, Config: cfg, t: t}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Stop(ctx); err != nil {
			t.Errorf("stop server: %v", err)
		}
	})
	s.waitHealthy()
	return s
}

func (s *Server) waitHealthy() {
	s.t.Helper()
	if s.Addr("http") == nil {
		return
	}
	url := "http://" + s.Addr("http").String() + "/healthz"
	deadline := time.Now().Add(Timeout)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.t.Fatalf("server not healthy within %v", Timeout)
}

// WaitFor polls cond until it holds, failing the test after Timeout.
// For state with no event to wait on (a session table, a gauge).
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// AddUser creates an account.
func (s *Server) AddUser(address, password string) {
	s.t.Helper()
	m := &account.Manager{Users: s.Store(), IsLocal: s.Config.HasHost, Iterations: 4096}
	if err := m.Add(context.Background(), address, password); err != nil {
		s.t.Fatalf("add user %s: %v", address, err)
	}
}

// Conn is a raw client connection.
type Conn struct {
	t      testing.TB
	srv    *Server
	conn   net.Conn
	dec    *xml.Decoder
	Domain string
	JID    string       // full JID once bound
	Header *xml.Element // the server's latest stream header (Open)
}

// Dial opens a plain TCP connection to the STARTTLS listener.
func (s *Server) Dial() *Conn {
	s.t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr("c2s").String(), Timeout)
	if err != nil {
		s.t.Fatalf("dial: %v", err)
	}
	s.t.Cleanup(func() { c.Close() })
	return &Conn{t: s.t, srv: s, conn: c, Domain: s.Config.Hosts[0],
		dec: xml.NewDecoder(c, xml.Limits{MaxStanzaBytes: 1 << 20, MaxDepth: 64, MaxAttrs: 128})}
}

// DialFrom opens a plain TCP connection to the STARTTLS listener from
// the loopback address ip (any of 127.0.0.0/8 on Linux), for tests of
// per-address limits: the test's other connections come from 127.0.0.1.
func (s *Server) DialFrom(ip string) *Conn {
	s.t.Helper()
	d := net.Dialer{Timeout: Timeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c, err := d.Dial("tcp", s.Addr("c2s").String())
	if err != nil {
		s.t.Fatalf("dial from %s: %v", ip, err)
	}
	s.t.Cleanup(func() { c.Close() })
	return &Conn{t: s.t, srv: s, conn: c, Domain: s.Config.Hosts[0],
		dec: xml.NewDecoder(c, xml.Limits{MaxStanzaBytes: 1 << 20, MaxDepth: 64, MaxAttrs: 128})}
}

// Refused reports whether the server closed the connection without
// opening a stream (a connection limit): it sends a stream header and
// expects the connection to end instead of a header arriving.
func (c *Conn) Refused() bool {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(Timeout))
	io.WriteString(c.conn, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='"+c.Domain+"' version='1.0'>")
	c.conn.SetReadDeadline(time.Now().Add(Timeout))
	_, err := c.dec.ReadHeader()
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		c.t.Fatalf("neither a stream header nor the end of the connection within %v", Timeout)
	}
	return err != nil
}

// Drop ends the connection without closing the stream, as a network
// failure or a killed client would (for stream management tests).
func (c *Conn) Drop() {
	if tc, ok := c.conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // a reset, not an orderly close
	}
	c.conn.Close()
}

// WaitClosed reads and discards until the server closes the
// connection, failing the test if it stays open for Timeout.
func (c *Conn) WaitClosed() {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(Timeout))
	if _, err := io.Copy(io.Discard, c.conn); err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			c.t.Fatalf("the server did not close the connection within %v", Timeout)
		}
	}
}

// DialTLS opens a direct TLS connection (XEP-0368 listener).
func (s *Server) DialTLS() *Conn {
	s.t.Helper()
	return s.DialTLSFrom("")
}

// DialTLSFrom opens a direct TLS connection from the loopback address ip
// ("" for the kernel's choice), as DialFrom.
func (s *Server) DialTLSFrom(ip string) *Conn {
	s.t.Helper()
	d := &net.Dialer{Timeout: Timeout}
	if ip != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(ip)}
	}
	c, err := tls.DialWithDialer(d, "tcp", s.Addr("c2s_tls").String(), &tls.Config{InsecureSkipVerify: true, ServerName: s.Config.Hosts[0]})
	if err != nil {
		s.t.Fatalf("dial tls: %v", err)
	}
	s.t.Cleanup(func() { c.Close() })
	return &Conn{t: s.t, srv: s, conn: c, Domain: s.Config.Hosts[0],
		dec: xml.NewDecoder(c, xml.Limits{MaxStanzaBytes: 1 << 20, MaxDepth: 64, MaxAttrs: 128})}
}

// Net returns the underlying connection.
func (c *Conn) Net() net.Conn { return c.conn }

// Send writes raw XML (fmt.Sprintf with args when given).
func (c *Conn) Send(format string, args ...any) {
	c.t.Helper()
	s := format
	if len(args) > 0 {
		s = fmt.Sprintf(format, args...)
	}
	c.conn.SetWriteDeadline(time.Now().Add(Timeout))
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatalf("send %q: %v", s, err)
	}
}

// Open sends a stream header and reads the server's header and features.
func (c *Conn) Open() *xml.Element {
	c.t.Helper()
	c.Send("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='%s' version='1.0'>", c.Domain)
	c.dec.Reset(c.conn)
	c.conn.SetReadDeadline(time.Now().Add(Timeout))
	h, err := c.dec.ReadHeader()
	if err != nil {
		c.t.Fatalf("read stream header: %v", err)
	}
	if h.Attr("from") != c.Domain {
		c.t.Fatalf("stream header from %q, want %q", h.Attr("from"), c.Domain)
	}
	c.Header = h
	return c.Expect("features")
}

// StartTLS upgrades the stream with STARTTLS (after Open offered it);
// the caller opens the new stream.
func (c *Conn) StartTLS() {
	c.t.Helper()
	c.Send("<starttls xmlns='%s'/>", ns.TLS)
	c.Expect("proceed")
	tc := tls.Client(c.conn, &tls.Config{InsecureSkipVerify: true, ServerName: c.Domain})
	tc.SetDeadline(time.Now().Add(Timeout))
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("TLS handshake: %v", err)
	}
	tc.SetDeadline(time.Time{})
	c.conn = tc
}

// ReadHeaderErr reads the server's stream header (after a raw Send of
// the client's header) and returns any error.
func (c *Conn) ReadHeaderErr() (*xml.Element, error) {
	c.conn.SetReadDeadline(time.Now().Add(Timeout))
	return c.dec.ReadHeader()
}

// Next reads the next top-level element, failing the test on timeout.
func (c *Conn) Next() *xml.Element {
	c.t.Helper()
	el, err := c.NextErr(Timeout)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return el
}

// NextErr reads the next top-level element or returns the error.
func (c *Conn) NextErr(timeout time.Duration) (*xml.Element, error) {
	c.conn.SetReadDeadline(time.Now().Add(timeout))
	return c.dec.Next()
}

// Expect reads the next element and fails unless its name is name.
func (c *Conn) Expect(name string) *xml.Element {
	c.t.Helper()
	el := c.Next()
	if el.Name != name {
		c.t.Fatalf("got %s, want <%s/>", el.String(), name)
	}
	return el
}

// ExpectMatch reads elements until one satisfies match, skipping others
// that skip accepts; it fails on anything else or on timeout.
func (c *Conn) ExpectMatch(desc string, match, skip func(*xml.Element) bool) *xml.Element {
	c.t.Helper()
	deadline := time.Now().Add(Timeout)
	for {
		el, err := c.NextErr(time.Until(deadline))
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", desc, err)
		}
		if match(el) {
			return el
		}
		if skip == nil || !skip(el) {
			c.t.Fatalf("waiting for %s: got %s", desc, el.String())
		}
	}
}

// ExpectStreamError reads until a stream error and checks its condition,
// then expects the stream to end.
func (c *Conn) ExpectStreamError(cond string) {
	c.t.Helper()
	el := c.Next()
	if el.Space != ns.Stream || el.Name != "error" {
		c.t.Fatalf("got %s, want stream error %s", el.String(), cond)
	}
	if el.Child(ns.Streams, cond) == nil {
		c.t.Fatalf("got stream error %s, want %s", el.String(), cond)
	}
	if _, err := c.NextErr(Timeout); err == nil {
		c.t.Fatalf("stream continues after a stream error")
	}
}

// ExpectSilence fails if any element arrives within d.
func (c *Conn) ExpectSilence(d time.Duration) {
	c.t.Helper()
	el, err := c.NextErr(d)
	if err == nil {
		c.t.Fatalf("unexpected %s", el.String())
	}
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		c.t.Fatalf("connection error while expecting silence: %v", err)
	}
	// The decoder survived a timeout only if it was between elements;
	// reset it on the live connection to be safe.
}

// ExpectSilenceOf fails if an element matching bad arrives within d;
// other elements are ignored.
func (c *Conn) ExpectSilenceOf(t testing.TB, desc string, bad func(*xml.Element) bool, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		el, err := c.NextErr(time.Until(deadline))
		if err != nil {
			return
		}
		if bad(el) {
			t.Fatalf("unexpected %s: %s", desc, el.String())
		}
	}
}

// Login authenticates with SCRAM-SHA-256 and binds resource ("" lets
// the server choose). It returns the features of the bound stream.
func (c *Conn) Login(user, password, resource string) {
	c.t.Helper()
	c.Open()
	c.Authenticate(user, password)
	c.Open()
	c.Bind(resource)
}

// Authenticate runs a SCRAM-SHA-256 exchange and expects success.
func (c *Conn) Authenticate(user, password string) {
	c.t.Helper()
	if err := c.TryAuthenticate(user, password); err != nil {
		c.t.Fatal(err)
	}
}

// TryAuthenticate runs a SCRAM-SHA-256 exchange and reports failure
// (with the SASL condition) as an error.
func (c *Conn) TryAuthenticate(user, password string) error {
	c.t.Helper()
	client, err := scram.SHA256.NewClient(user, password, "")
	if err != nil {
		return err
	}
	conv := client.NewConversation()
	first, err := conv.Step("")
	if err != nil {
		return err
	}
	c.Send("<auth xmlns='%s' mechanism='SCRAM-SHA-256'>%s</auth>", ns.SASL, b64(first))
	for {
		el := c.Next()
		switch el.Name {
		case "challenge":
			data, _ := base64.StdEncoding.DecodeString(el.Text)
			resp, err := conv.Step(string(data))
			if err != nil {
				return fmt.Errorf("scram client: %w", err)
			}
			c.Send("<response xmlns='%s'>%s</response>", ns.SASL, b64(resp))
		case "success":
			data, _ := base64.StdEncoding.DecodeString(el.Text)
			if _, err := conv.Step(string(data)); err != nil {
				return fmt.Errorf("server signature: %w", err)
			}
			if !conv.Valid() {
				return fmt.Errorf("server signature not valid")
			}
			return nil
		case "failure":
			cond := ""
			if len(el.Children) > 0 {
				cond = el.Children[0].Name
			}
			return fmt.Errorf("sasl failure: %s", cond)
		default:
			return fmt.Errorf("unexpected %s during SASL", el.String())
		}
	}
}

// Bind binds a resource and records the full JID.
func (c *Conn) Bind(resource string) {
	c.t.Helper()
	r := ""
	if resource != "" {
		r = "<resource>" + resource + "</resource>"
	}
	c.Send("<iq type='set' id='bind'><bind xmlns='%s'>%s</bind></iq>", ns.Bind, r)
	el := c.Expect("iq")
	if el.Attr("type") != "result" {
		c.t.Fatalf("bind failed: %s", el.String())
	}
	j := el.Child(ns.Bind, "bind").Child(ns.Bind, "jid")
	if j == nil {
		c.t.Fatalf("bind result without jid: %s", el.String())
	}
	c.JID = j.Text
}

// Close sends the stream end tag and closes the connection.
func (c *Conn) Close() {
	io.WriteString(c.conn, "</stream:stream>")
	c.conn.Close()
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// Contains reports whether the serialized element contains all parts;
// a terse matcher for tests.
func Contains(el *xml.Element, parts ...string) bool {
	s := el.String()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
