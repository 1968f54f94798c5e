package web_test

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// wsClient is a raw RFC 7395 client: one element per message.
type wsClient struct {
	t    *testing.T
	c    *websocket.Conn
	ctx  context.Context
	host string
}

func dialWS(t *testing.T, s *xmpptest.Server, header http.Header) (*wsClient, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), xmpptest.Timeout)
	t.Cleanup(cancel)
	c, resp, err := websocket.Dial(ctx, "ws://"+s.Addr("http").String()+"/xmpp-websocket",
		&websocket.DialOptions{Subprotocols: []string{"xmpp"}, HTTPHeader: header})
	if err != nil {
		return nil, resp, err
	}
	t.Cleanup(func() { c.CloseNow() })
	return &wsClient{t: t, c: c, ctx: ctx, host: s.Config.Hosts[0]}, resp, nil
}

func mustDialWS(t *testing.T, s *xmpptest.Server) *wsClient {
	t.Helper()
	c, _, err := dialWS(t, s, nil)
	if err != nil {
		t.Fatalf("websocket dial: %v", err)
	}
	if c.c.Subprotocol() != "xmpp" {
		t.Fatalf("subprotocol %q, want xmpp", c.c.Subprotocol())
	}
	return c
}

func (c *wsClient) send(s string) {
	c.t.Helper()
	if err := c.c.Write(c.ctx, websocket.MessageText, []byte(s)); err != nil {
		c.t.Fatalf("send %q: %v", s, err)
	}
}

// next reads one message and parses it as a standalone element.
func (c *wsClient) next() *xml.Element {
	c.t.Helper()
	typ, data, err := c.c.Read(c.ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	if typ != websocket.MessageText {
		c.t.Fatalf("binary message %q", data)
	}
	el, err := xml.ParseElement(data, "", xml.Limits{MaxStanzaBytes: 1 << 20, MaxDepth: 64, MaxAttrs: 64})
	if err != nil {
		c.t.Fatalf("message %q is not one element: %v", data, err)
	}
	return el
}

func (c *wsClient) expect(space, name string) *xml.Element {
	c.t.Helper()
	el := c.next()
	if el.Space != space || el.Name != name {
		c.t.Fatalf("got %s, want {%s}%s", el, space, name)
	}
	return el
}

func (c *wsClient) open() *xml.Element {
	c.t.Helper()
	c.send("<open xmlns='" + ns.Framing + "' to='" + c.host + "' version='1.0'/>")
	o := c.expect(ns.Framing, "open")
	if o.Attr("from") != c.host || o.Attr("id") == "" || o.Attr("version") != "1.0" {
		c.t.Fatalf("bad open: %s", o)
	}
	return c.expect(ns.Stream, "features")
}

// login authenticates with PLAIN (loopback counts as secure) and binds.
func (c *wsClient) login(user, password, resource string) string {
	c.t.Helper()
	f := c.open()
	if !xmpptest.Contains(f, "PLAIN", "SCRAM-SHA-256") || xmpptest.Contains(f, "starttls") {
		c.t.Fatalf("features before auth: %s", f)
	}
	creds := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	c.send("<auth xmlns='" + ns.SASL + "' mechanism='PLAIN'>" + creds + "</auth>")
	c.expect(ns.SASL, "success")
	c.open()
	c.send("<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='" + ns.Bind + "'><resource>" + resource + "</resource></bind></iq>")
	iq := c.expect(ns.Client, "iq")
	j := iq.Child(ns.Bind, "bind")
	if iq.Attr("type") != "result" || j == nil || j.Child(ns.Bind, "jid") == nil {
		c.t.Fatalf("bind: %s", iq)
	}
	return j.Child(ns.Bind, "jid").Text
}

func TestWebSocketChatWithTCPClient(t *testing.T) {
	s := xmpptest.RunServer(t)
	s.AddUser("alice@localhost", "pw-alice")
	s.AddUser("bob@localhost", "pw-bob")

	ws := mustDialWS(t, s)
	if got := ws.login("alice", "pw-alice", "browser"); got != "alice@localhost/browser" {
		t.Fatalf("bound %q", got)
	}
	tcp := s.Dial()
	tcp.Login("bob", "pw-bob", "desk")

	ws.send("<message xmlns='jabber:client' to='bob@localhost/desk' type='chat' id='m1'><body>hi from the browser</body></message>")
	m := tcp.Expect("message")
	if m.Attr("from") != "alice@localhost/browser" || m.Child(ns.Client, "body").Text != "hi from the browser" {
		t.Fatalf("tcp got %s", m)
	}

	tcp.Send("<message to='alice@localhost/browser' type='chat'><body>hi &amp; welcome</body></message>")
	m = ws.expect(ns.Client, "message")
	if m.Attr("from") != "bob@localhost/desk" || m.Child(ns.Client, "body").Text != "hi & welcome" {
		t.Fatalf("browser got %s", m)
	}

	// Server-initiated IQ (ping) and the client's answer work too.
	ws.send("<iq xmlns='jabber:client' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
	if iq := ws.expect(ns.Client, "iq"); iq.Attr("type") != "result" || iq.Attr("id") != "p1" {
		t.Fatalf("ping: %s", iq)
	}
}

func TestWebSocketCloseHandshake(t *testing.T) {
	s := xmpptest.RunServer(t)
	s.AddUser("alice@localhost", "pw")
	ws := mustDialWS(t, s)
	ws.login("alice", "pw", "r")
	ws.send("<close xmlns='" + ns.Framing + "'/>")
	ws.expect(ns.Framing, "close")
	_, _, err := ws.c.Read(ws.ctx)
	if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("after <close/>: %v, want a normal WebSocket closure", err)
	}
}

func TestWebSocketStreamErrors(t *testing.T) {
	s := xmpptest.RunServer(t)
	for _, tc := range []struct {
		name, send, cond string
	}{
		{"legacy stream header", "<stream:stream xmlns='jabber:client' xmlns:stream='" + ns.Stream + "' to='localhost' version='1.0'>", "invalid-namespace"},
		{"not well-formed", "<open xmlns='" + ns.Framing + "' to='localhost'", "not-well-formed"},
		{"unknown host", "<open xmlns='" + ns.Framing + "' to='elsewhere.example' version='1.0'/>", "host-unknown"},
		{"stanza before open", "<message xmlns='jabber:client' to='a@localhost'/>", "not-authorized"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := mustDialWS(t, s)
			ws.send(tc.send)
			ws.expect(ns.Framing, "open")
			e := ws.expect(ns.Stream, "error")
			if e.Child(ns.Streams, tc.cond) == nil {
				t.Fatalf("stream error %s, want %s", e, tc.cond)
			}
			ws.expect(ns.Framing, "close")
		})
	}
}

func TestWebSocketNeedsXMPPSubprotocol(t *testing.T) {
	s := xmpptest.RunServer(t)
	resp, err := http.Get("http://" + s.Addr("http").String() + "/xmpp-websocket")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("plain GET: status %d, want 400", resp.StatusCode)
	}
}

func TestWebSocketOriginCheck(t *testing.T) {
	s := xmpptest.RunServer(t, func(c *config.Config) { c.HTTP.AllowedOrigins = []string{"chat.example.com"} })
	_, resp, err := dialWS(t, s, http.Header{"Origin": {"https://evil.example.net"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: err %v, resp %v; want 403", err, resp)
	}
	c, _, err := dialWS(t, s, http.Header{"Origin": {"https://chat.example.com"}})
	if err != nil {
		t.Fatalf("allowed origin refused: %v", err)
	}
	c.open()
}

func TestHostMeta(t *testing.T) {
	s := xmpptest.RunServer(t)
	base := "http://" + s.Addr("http").String()
	for path, want := range map[string][]string{
		"/.well-known/host-meta":      {"urn:xmpp:alt-connections:websocket", "ws://" + s.Addr("http").String() + "/xmpp-websocket", "/http-bind"},
		"/.well-known/host-meta.json": {`"rel":"urn:xmpp:alt-connections:xbosh"`, `"href":"http://` + s.Addr("http").String() + `/http-bind"`},
	} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, err)
		}
		for _, w := range want {
			if !strings.Contains(string(body), w) {
				t.Errorf("%s lacks %q:\n%s", path, w, body)
			}
		}
	}
}

// TestHostMetaIgnoresForgedHost: host-meta names the endpoints under a
// host the server vouches for: a served domain, the address the client
// connected to, or http.public_url; a forged Host header is not echoed
// (a shared cache would hand the forged links to everyone).
func TestHostMetaIgnoresForgedHost(t *testing.T) {
	get := func(s *xmpptest.Server, path, host string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+s.Addr("http").String()+path, nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s (Host %s): %s", path, host, resp.Status)
		}
		return string(body)
	}
	s := xmpptest.RunServer(t, func(c *config.Config) { c.Hosts = []string{"example.com", "localhost"} })
	_, port, _ := net.SplitHostPort(s.Addr("http").String())
	for host, want := range map[string]string{
		"evil.example:" + port:      "ws://example.com:" + port + "/xmpp-websocket",
		"evil.example":              "ws://example.com:" + port + "/xmpp-websocket",
		"example.com.evil.example":  "ws://example.com:" + port + "/xmpp-websocket",
		"203.0.113.5:" + port:       "ws://example.com:" + port + "/xmpp-websocket",
		"chat.example.com":          "ws://chat.example.com/xmpp-websocket",
		"localhost:" + port:         "ws://localhost:" + port + "/xmpp-websocket",
		s.Addr("http").String():     "ws://" + s.Addr("http").String() + "/xmpp-websocket",
		"example.com:" + port + "0": "ws://example.com:" + port + "/xmpp-websocket", // not a port
	} {
		for _, path := range []string{"/.well-known/host-meta", "/.well-known/host-meta.json"} {
			body := get(s, path, host)
			if strings.Contains(body, "evil") || strings.Contains(body, "203.0.113.5") || !strings.Contains(body, want) {
				t.Errorf("%s with Host %s: want %s, got\n%s", path, host, want, body)
			}
		}
	}
	s = xmpptest.RunServer(t, func(c *config.Config) { c.HTTP.PublicURL = "https://im.example.com:8443" })
	body := get(s, "/.well-known/host-meta", "evil.example")
	if strings.Contains(body, "evil") || !strings.Contains(body, "wss://im.example.com:8443/xmpp-websocket") ||
		!strings.Contains(body, "https://im.example.com:8443/http-bind") {
		t.Fatalf("with http.public_url: %s", body)
	}
}
