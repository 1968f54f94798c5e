package web_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// boshClient is a raw XEP-0206 client.
type boshClient struct {
	t   *testing.T
	url string
	sid string
	rid int64
}

func newBOSH(t *testing.T, s *xmpptest.Server) *boshClient {
	return &boshClient{t: t, url: "http://" + s.Addr("http").String() + "/http-bind", rid: 4000}
}

// post sends one raw body and returns the status and parsed response.
func (c *boshClient) post(body string) (int, *xml.Element) {
	c.t.Helper()
	hc := &http.Client{Timeout: xmpptest.Timeout}
	resp, err := hc.Post(c.url, "text/xml; charset=utf-8", strings.NewReader(body))
	if err != nil {
		c.t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	el, err := xml.ParseElement(data, "", xml.Limits{MaxStanzaBytes: 1 << 20, MaxDepth: 64, MaxAttrs: 64})
	if err != nil || el.Space != ns.HTTPBind || el.Name != "body" {
		c.t.Fatalf("response %q is not a BOSH body (%v)", data, err)
	}
	return resp.StatusCode, el
}

// request sends the next rid with payload and extra body attributes.
func (c *boshClient) request(attrs, payload string) *xml.Element {
	c.t.Helper()
	c.rid++
	_, el := c.post(c.body(c.rid, attrs, payload))
	return el
}

func (c *boshClient) body(rid int64, attrs, payload string) string {
	return "<body xmlns='" + ns.HTTPBind + "' xmlns:xmpp='" + ns.XBOSH + "' rid='" + strconv.FormatInt(rid, 10) +
		"' sid='" + c.sid + "' " + attrs + ">" + payload + "</body>"
}

// create starts a session and returns the creation response.
func (c *boshClient) create(wait int) *xml.Element {
	c.t.Helper()
	c.rid++
	_, el := c.post("<body xmlns='" + ns.HTTPBind + "' xmlns:xmpp='" + ns.XBOSH + "' content='text/xml; charset=utf-8' hold='1' rid='" +
		strconv.FormatInt(c.rid, 10) + "' to='localhost' ver='1.6' wait='" + strconv.Itoa(wait) + "' xml:lang='en' xmpp:version='1.0'/>")
	c.sid = el.Attr("sid")
	if c.sid == "" || el.Attr("requests") != "2" || el.Attr("hold") != "1" || el.Attr("wait") != strconv.Itoa(wait) || el.Attr("from") != "localhost" {
		c.t.Fatalf("creation response: %s", el)
	}
	return el
}

// until polls until an element matching name arrives, returning it.
func (c *boshClient) until(space, name string, first *xml.Element) *xml.Element {
	c.t.Helper()
	deadline := time.Now().Add(xmpptest.Timeout)
	for el := first; ; el = c.request("", "") {
		for _, ch := range el.Children {
			if ch.Space == space && ch.Name == name {
				return ch
			}
		}
		if el.Attr("type") == "terminate" || time.Now().After(deadline) {
			c.t.Fatalf("no {%s}%s before %s", space, name, el)
		}
	}
}

func (c *boshClient) login(user, password, resource string) {
	c.t.Helper()
	f := c.until(ns.Stream, "features", c.create(2))
	if !xmpptest.Contains(f, "PLAIN") {
		c.t.Fatalf("features: %s", f)
	}
	creds := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	c.until(ns.SASL, "success", c.request("", "<auth xmlns='"+ns.SASL+"' mechanism='PLAIN'>"+creds+"</auth>"))
	c.until(ns.Stream, "features", c.request("to='localhost' xmpp:restart='true'", ""))
	iq := c.until(ns.Client, "iq", c.request("", "<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='"+ns.Bind+"'><resource>"+resource+"</resource></bind></iq>"))
	if iq.Attr("type") != "result" {
		c.t.Fatalf("bind: %s", iq)
	}
}

func TestBOSHChatWithTCPClient(t *testing.T) {
	s := xmpptest.RunServer(t)
	s.AddUser("alice@localhost", "pw-alice")
	s.AddUser("bob@localhost", "pw-bob")
	b := newBOSH(t, s)
	b.login("alice", "pw-alice", "web")
	tcp := s.Dial()
	tcp.Login("bob", "pw-bob", "desk")

	b.request("", "<message xmlns='jabber:client' to='bob@localhost/desk' type='chat'><body>from BOSH</body></message>")
	if m := tcp.Expect("message"); m.Attr("from") != "alice@localhost/web" || m.Child(ns.Client, "body").Text != "from BOSH" {
		t.Fatalf("tcp got %s", m)
	}

	// A held request is answered as soon as a stanza arrives.
	got := make(chan *xml.Element, 1)
	go func() { got <- b.until(ns.Client, "message", b.request("", "")) }()
	tcp.Send("<message to='alice@localhost/web' type='chat'><body>to BOSH</body></message>")
	select {
	case m := <-got:
		if m.Attr("from") != "bob@localhost/desk" || m.Child(ns.Client, "body").Text != "to BOSH" {
			t.Fatalf("bosh got %s", m)
		}
	case <-time.After(xmpptest.Timeout):
		t.Fatal("held request not answered with the message")
	}

	// The client terminates: the response says so and the session is gone.
	end := b.request("type='terminate'", "<presence xmlns='jabber:client' type='unavailable'/>")
	for end.Attr("type") != "terminate" {
		end = b.request("", "")
	}
	xmpptest.WaitFor(t, "alice offline", func() bool { return !s.Router().Online(jid.MustParse("alice@localhost").String()) })
	if _, el := b.post(b.body(b.rid+1, "", "")); el.Attr("type") != "terminate" || el.Attr("condition") != "item-not-found" {
		t.Fatalf("request after terminate: %s", el)
	}
}

func TestBOSHReplayAndErrors(t *testing.T) {
	s := xmpptest.RunServer(t)
	s.AddUser("alice@localhost", "pw")
	b := newBOSH(t, s)
	b.login("alice", "pw", "web")

	// The same rid again gets the same answer (the client lost it).
	r := b.request("", "<iq xmlns='jabber:client' type='get' id='v1'><ping xmlns='urn:xmpp:ping'/></iq>")
	_, again := b.post(b.body(b.rid, "", ""))
	if r.String() != again.String() {
		t.Fatalf("replay differs:\n%s\n%s", r, again)
	}

	// Unknown sid.
	if _, el := (&boshClient{t: t, url: b.url, sid: "nope"}).post((&boshClient{sid: "nope"}).body(1, "", "")); el.Attr("condition") != "item-not-found" {
		t.Fatalf("unknown sid: %s", el)
	}
	// Not a body, not XML.
	for _, bad := range []string{"<iq/>", "<body xmlns='" + ns.HTTPBind + "'", "<body xmlns='" + ns.HTTPBind + "' rid='x'/>"} {
		if code, el := b.post(bad); code != http.StatusBadRequest || el.Attr("condition") != "bad-request" {
			t.Fatalf("%q: %d %s", bad, code, el)
		}
	}
	// A rid beyond the window ends the session.
	if _, el := b.post(b.body(b.rid+5, "", "")); el.Attr("type") != "terminate" || el.Attr("condition") != "item-not-found" {
		t.Fatalf("rid beyond the window: %s", el)
	}
	xmpptest.WaitFor(t, "alice offline", func() bool { return !s.Router().Online("alice@localhost") })
}

func TestBOSHInactivityEndsSession(t *testing.T) {
	s := xmpptest.RunServer(t, func(c *config.Config) { c.HTTP.BOSHInactivity = config.Duration{Duration: 300 * time.Millisecond} })
	s.AddUser("alice@localhost", "pw")
	b := newBOSH(t, s)
	b.login("alice", "pw", "web")
	xmpptest.WaitFor(t, "alice offline after inactivity", func() bool { return !s.Router().Online("alice@localhost") })
	if el := b.request("", ""); el.Attr("type") != "terminate" {
		t.Fatalf("request after inactivity: %s", el)
	}
}

func TestBOSHCORS(t *testing.T) {
	s := xmpptest.RunServer(t, func(c *config.Config) { c.HTTP.AllowedOrigins = []string{"*.example.com"} })
	url := "http://" + s.Addr("http").String() + "/http-bind"
	for origin, want := range map[string]int{"https://www.example.com": http.StatusNoContent, "https://evil.example.net": http.StatusForbidden} {
		req, _ := http.NewRequest(http.MethodOptions, url, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("preflight from %s: %d, want %d", origin, resp.StatusCode, want)
		}
		if allowed := resp.Header.Get("Access-Control-Allow-Origin"); (want == http.StatusNoContent) != (allowed == origin) {
			t.Errorf("preflight from %s: Access-Control-Allow-Origin %q", origin, allowed)
		}
	}
	resp, err := http.Post(url, "text/xml", bytes.NewReader(nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("empty POST without Origin: %d, want 400", resp.StatusCode)
	}
}
