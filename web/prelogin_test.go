package web_test

import (
	"strings"
	"testing"

	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
)

// Issue 19 item 10 on the web transports: before authentication an
// element over limits.max_prelogin_stanza_bytes (16 KiB) ends the
// stream with <policy-violation/>; after it the full limit applies.

func TestWebSocketPreloginStanzaLimit(t *testing.T) {
	s := xmpptest.RunServer(t)
	s.AddUser("alice@localhost", "secret")
	big := strings.Repeat("A", 20<<10)
	ws := mustDialWS(t, s)
	ws.open()
	ws.send("<auth xmlns='" + ns.SASL + "' mechanism='PLAIN'>" + big + "</auth>")
	if e := ws.expect(ns.Stream, "error"); e.Child(ns.Streams, "policy-violation") == nil {
		t.Fatalf("stream error %s, want policy-violation", e)
	}
	ok := mustDialWS(t, s)
	ok.login("alice", "secret", "r")
	ok.send("<message xmlns='jabber:client' to='alice@localhost/r' type='chat'><body>" + big + "</body></message>")
	ok.expect(ns.Client, "message")
}

func TestBOSHPreloginStanzaLimit(t *testing.T) {
	s := xmpptest.RunServer(t)
	s.AddUser("alice@localhost", "secret")
	big := strings.Repeat("A", 20<<10)
	c := newBOSH(t, s)
	c.until(ns.Stream, "features", c.create(2))
	e := c.until(ns.Stream, "error", c.request("", "<auth xmlns='"+ns.SASL+"' mechanism='PLAIN'>"+big+"</auth>"))
	if e.Child(ns.Streams, "policy-violation") == nil {
		t.Fatalf("stream error %s, want policy-violation", e)
	}
	ok := newBOSH(t, s)
	ok.login("alice", "secret", "r")
	ok.until(ns.Client, "message", ok.request("", "<message xmlns='jabber:client' to='alice@localhost/r' type='chat'><body>"+big+"</body></message>"))
}
