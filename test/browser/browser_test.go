package browser

import (
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	// driverTimeout is driver.mjs's own hard timeout; the Go side kills it
	// a little later.
	driverTimeout = 90 * time.Second
	// peerTimeout is the slixmpp script's hard timeout (its --timeout).
	peerTimeout = 90 * time.Second

	browserBody = "hello from the browser"
	peerReply   = "hello from slixmpp"
	peerStatus  = "back soon"
)

// TestWebSocket: a browser client logs in over XMPP over WebSocket (RFC
// 7395) from a page of another origin, and chats with slixmpp on TCP.
func TestWebSocket(t *testing.T) {
	t.Run("xmppjs", func(t *testing.T) {
		srv := startServer(t, "alice", "bob")
		chat(t, srv, "xmppjs.html", url.Values{"url": {srv.wsURL()}})
	})
	t.Run("strophe", func(t *testing.T) {
		srv := startServer(t, "alice", "bob")
		chat(t, srv, "strophe.html", url.Values{"url": {srv.wsURL()}})
	})
	t.Run("parley", func(t *testing.T) {
		requireParley(t)
		srv := startServer(t, "alice", "bob")
		b := chat(t, srv, "parley.html", url.Values{"url": {srv.wsURL()}, "module": {srv.origin()}})
		if e := find(b.snapshot(), is("transport")); e == nil || e.get("transport") != "websocket" {
			t.Fatalf("parley xmpp.js logged in over %v, want websocket", e)
		}
	})
}

// TestBOSH: strophe.js logs in over BOSH (XEP-0206) from a page of another
// origin (so CORS applies), and chats with slixmpp on TCP.
func TestBOSH(t *testing.T) {
	srv := startServer(t, "alice", "bob")
	chat(t, srv, "strophe.html", url.Values{"url": {srv.boshURL()}})
}

// TestParleyModule: Parley's own browser module (/assets/js/xmpp.js of
// web/pages, imported by a page of another origin) over BOSH, and falling
// back to BOSH when the WebSocket endpoint is not there (404), logs in
// with SCRAM and holds the same conversation with slixmpp.
func TestParleyModule(t *testing.T) {
	requireParley(t)
	t.Run("bosh", func(t *testing.T) {
		srv := startServer(t, "alice", "bob")
		b := chat(t, srv, "parley.html", url.Values{"url": {srv.boshURL()}, "module": {srv.origin()}})
		if e := find(b.snapshot(), is("transport")); e == nil || e.get("transport") != "bosh" {
			t.Fatalf("logged in over %v, want bosh", e)
		}
	})
	t.Run("fallback", func(t *testing.T) {
		srv := startServer(t, "alice", "bob")
		b := chat(t, srv, "parley.html", url.Values{"url": {srv.boshURL()}, "module": {srv.origin()},
			"transports": {"websocket,bosh"}, "ws": {"ws://" + srv.http + "/no-websocket-here"}})
		if e := find(b.snapshot(), is("transport")); e == nil || e.get("transport") != "bosh" {
			t.Fatalf("logged in over %v, want bosh after the WebSocket failed", e)
		}
	})
}

// requireParley skips a test of Parley's own pages against another target.
func requireParley(t *testing.T) {
	t.Helper()
	if target != "parley" {
		t.Skip("Parley's own browser module is served by Parley")
	}
}

// TestReverseProxy: the page and the XMPP endpoints share one origin, a
// reverse proxy (Go's httputil.ReverseProxy, which passes WebSocket
// upgrades) in front of the server, as in a typical deployment.
func TestReverseProxy(t *testing.T) {
	t.Run("websocket", func(t *testing.T) {
		srv := startServer(t, "alice", "bob")
		pages := servePages(t, srv)
		chatVia(t, srv, pages, "xmppjs.html", url.Values{"url": {"ws://" + strings.TrimPrefix(pages.URL, "http://") + envOr(wsPathEnv, "/xmpp-websocket")}})
	})
	t.Run("bosh", func(t *testing.T) {
		srv := startServer(t, "alice", "bob")
		pages := servePages(t, srv)
		chatVia(t, srv, pages, "strophe.html", url.Values{"url": {pages.URL + envOr(boshPathEnv, "/http-bind")}})
	})
}

// TestTLS: the same over Parley's HTTPS listener, wss:// and https://, with
// the server's self-signed certificate (the browser is told to accept it).
func TestTLS(t *testing.T) {
	if target == "prosody" {
		t.Skip("the Prosody configuration has no certificate; this test is for Parley")
	}
	if !hasHTTPTLSListen {
		t.Fatal("parley serve has no --http-tls-listen: no HTTPS listener for wss:// and https://")
	}
	t.Run("websocket", func(t *testing.T) {
		srv := startServer(t, "alice", "bob")
		chat(t, srv, "xmppjs.html", url.Values{"url": {"wss://" + srv.https + envOr(wsPathEnv, "/xmpp-websocket")}})
	})
	t.Run("bosh", func(t *testing.T) {
		// Parley's HTTPS listener speaks HTTP/1.1 only: over HTTP/2,
		// Chromium's first BOSH POSTs failed about 1 run in 3.
		srv := startServer(t, "alice", "bob")
		chat(t, srv, "strophe.html", url.Values{"url": {"https://" + srv.https + envOr(boshPathEnv, "/http-bind")}})
	})
}

// TestDiscovery: XEP-0156 host-meta names both endpoints, and a browser
// client finds the WebSocket endpoint from host-meta.json by itself.
func TestDiscovery(t *testing.T) {
	if target == "prosody" {
		t.Skip("Prosody 0.12 has no built-in XEP-0156 module (mod_http_altconnect is a community module); this test is for Parley")
	}
	t.Run("host-meta", func(t *testing.T) {
		srv := startServer(t)
		hostMeta(t, srv)
	})
	t.Run("browser", func(t *testing.T) {
		srv := startServer(t, "alice", "bob")
		chat(t, srv, "xmppjs.html", url.Values{"discover": {srv.origin()}})
	})
}

// chat runs the chat scenario with the page served from its own origin.
func chat(t *testing.T, srv *server, page string, q url.Values) *proc {
	t.Helper()
	return chatVia(t, srv, servePages(t, srv), page, q)
}

// chatVia runs the chat scenario: the page (alice, in Chromium) and
// clients/peer.py (bob, slixmpp on TCP) subscribe to each other, see each
// other's presence and exchange messages; then the browser logs out and
// bob sees it go. Both sides' events are checked here, in order.
func chatVia(t *testing.T, srv *server, pages *httptest.Server, page string, q url.Values) *proc {
	t.Helper()
	alice, bob := "alice@"+domain, "bob@"+domain
	q.Set("jid", alice)
	q.Set("password", password)
	q.Set("peer", bob)
	q.Set("body", browserBody)
	if u := q.Get("url"); u != "" {
		endpointExists(t, u)
	}
	b := startBrowser(t, pages.URL+"/"+page+"?"+q.Encode())
	online := b.expect("online", "jid", alice+"/*")
	full := online.get("jid")
	t.Logf("browser online as %s (%s)", full, b.expect("config").get("client"))

	p := startPeer(t, srv, alice)
	bobFull := p.expect("session_start").get("jid")

	b.expect("presence", "from", bob, "type", "subscribe")
	b.expect("approved", "jid", bob)
	p.expect("presence", "frm", alice, "type", "subscribed")
	p.expect("presence", "frm", full, "type", "available")
	b.expect("presence", "from", bob, "type", "subscribed")
	b.expect("presence", "from", bobFull, "type", "available")

	b.expect("sent", "to", bob, "body", browserBody)
	p.expect("message", "frm", full, "body", browserBody, "type", "chat")
	b.expect("message", "from", bobFull, "body", peerReply, "type", "chat")
	b.expect("presence", "from", bobFull, "type", "available", "show", "away", "status", peerStatus)

	b.send(map[string]string{"cmd": "close"})
	b.expect("closed")
	p.expect("presence", "frm", full, "type", "unavailable")
	p.wait()
	if e := find(b.snapshot(), is("fail")); e != nil {
		t.Errorf("browser: %s", e)
	}
	return b
}

// endpointExists fails the test at once, and clearly, when the server
// answers 404 on the transport URL: it does not serve that endpoint (yet).
// Any other answer to a plain GET (200, 400, 405, 426, ...) is left for the
// browser to judge.
func endpointExists(t *testing.T, endpoint string) {
	t.Helper()
	probe := strings.Replace(endpoint, "ws", "http", 1) // ws:// → http://, wss:// → https://
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // the server's self-signed certificate
	}}
	resp, err := hc.Get(probe)
	if err != nil {
		t.Fatalf("GET %s: %v", probe, err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		t.Fatalf("%s answers GET %s with 404 Not Found: it does not serve this endpoint (yet)", target, probe)
	}
}

// startBrowser runs driver.mjs on pageURL. On a failure of the test it
// first saves a screenshot and the page's DOM into the test's artifacts.
func startBrowser(t *testing.T, pageURL string) *proc {
	t.Helper()
	dir := artifactDir(t)
	fatal := func(e event) bool {
		switch e.get("event") {
		case "fail", "pageerror", "disconnected":
			return true
		}
		return false
	}
	p := startProc(t, "browser", pkgDir, driverTimeout+10*time.Second, fatal,
		"node", "driver.mjs", "--page", pageURL, "--chromium", chromiumPath,
		"--timeout", strconv.Itoa(int(driverTimeout/time.Second)), "--artifacts", dir,
		"--chromium-args="+os.Getenv(chromiumArgsEnv))
	t.Cleanup(func() {
		if !t.Failed() {
			p.send(map[string]string{"cmd": "quit"})
			select {
			case <-p.done:
			case <-time.After(10 * time.Second):
				t.Errorf("browser driver did not quit within 10s")
			}
			return
		}
		select {
		case <-p.done:
			t.Logf("browser artifacts (driver already gone): %s", dir)
			return
		default:
		}
		shot := filepath.Join(dir, "failure.png")
		p.send(map[string]string{"cmd": "screenshot", "path": shot})
		deadline := time.NewTimer(15 * time.Second)
		defer deadline.Stop()
		for {
			if find(p.snapshot(), is("screenshot")) != nil {
				t.Logf("screenshot of the failure: %s (DOM: %s.html); artifacts: %s", shot, shot, dir)
				return
			}
			p.mu.Lock()
			changed := p.changed
			p.mu.Unlock()
			select {
			case <-changed:
			case <-p.done:
				t.Logf("browser driver exited before the screenshot; artifacts: %s", dir)
				return
			case <-deadline.C:
				t.Logf("no screenshot within 15s; artifacts: %s", dir)
				return
			}
		}
	})
	p.expect("browser")
	return p
}

// startPeer runs clients/peer.py as bob on the server's c2s listener.
func startPeer(t *testing.T, srv *server, alice string) *proc {
	t.Helper()
	return startProc(t, "slixmpp", pkgDir, peerTimeout+10*time.Second, is("fail"),
		python, filepath.Join("clients", "peer.py"), "--host", "127.0.0.1", "--port", port(srv.c2s),
		"--transport", srv.transport, "--domain", domain, "--password", password,
		"--timeout", strconv.Itoa(int(peerTimeout/time.Second)),
		"--peer", alice, "--expect-body", browserBody, "--reply", peerReply, "--status", peerStatus)
}

// servePages serves pages/ and the npm packages' browser bundles (/lib/)
// on a loopback port of its own (so another origin than the server), and
// proxies the server's WebSocket and BOSH paths, for TestReverseProxy.
func servePages(t *testing.T, srv *server) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir(filepath.Join(pkgDir, "pages"))))
	for name, path := range bundles {
		file := filepath.Join(pkgDir, path)
		mux.HandleFunc("/lib/"+name, func(w http.ResponseWriter, r *http.Request) {
			http.ServeFile(w, r, file)
		})
	}
	backend, _ := url.Parse(srv.origin())
	proxy := httputil.NewSingleHostReverseProxy(backend)
	proxy.FlushInterval = -1 // BOSH long polls and WebSocket frames pass at once
	mux.Handle(envOr(wsPathEnv, "/xmpp-websocket"), proxy)
	mux.Handle(envOr(boshPathEnv, "/http-bind"), proxy)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

// hostMeta checks XEP-0156 discovery: /.well-known/host-meta (XRD) and
// /.well-known/host-meta.json name the WebSocket and BOSH endpoints, and
// may be read by pages of other origins (CORS).
func hostMeta(t *testing.T, srv *server) {
	t.Helper()
	want := map[string]string{
		"urn:xmpp:alt-connections:websocket": envOr(wsPathEnv, "/xmpp-websocket"),
		"urn:xmpp:alt-connections:xbosh":     envOr(boshPathEnv, "/http-bind"),
	}
	check := func(doc string, links map[string]string) {
		for rel, path := range want {
			href, ok := links[rel]
			if !ok {
				t.Errorf("%s: no link rel=%q; links %v", doc, rel, links)
				continue
			}
			u, err := url.Parse(href)
			if err != nil || !u.IsAbs() || u.Path != path {
				t.Errorf("%s: %s href %q, want an absolute URL with path %s", doc, rel, href, path)
			}
		}
	}
	get := func(path string) []byte {
		req, _ := http.NewRequest("GET", srv.origin()+path, nil)
		req.Header.Set("Origin", "http://127.0.0.1:1") // some other page
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s\n%s", path, resp.Status, body)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got == "" {
			t.Errorf("GET %s: no Access-Control-Allow-Origin header: web clients on other origins cannot read it (XEP-0156 §3.3)", path)
		}
		return body
	}

	var xrd struct {
		Links []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"Link"`
	}
	body := get("/.well-known/host-meta")
	if err := xml.Unmarshal(body, &xrd); err != nil {
		t.Fatalf("host-meta is not XRD: %v\n%s", err, body)
	}
	links := map[string]string{}
	for _, l := range xrd.Links {
		links[l.Rel] = l.Href
	}
	check("host-meta", links)

	var jrd struct {
		Links []struct {
			Rel  string `json:"rel"`
			Href string `json:"href"`
		} `json:"links"`
	}
	body = get("/.well-known/host-meta.json")
	if err := json.Unmarshal(body, &jrd); err != nil {
		t.Fatalf("host-meta.json is not JSON: %v\n%s", err, body)
	}
	links = map[string]string{}
	for _, l := range jrd.Links {
		links[l.Rel] = l.Href
	}
	check("host-meta.json", links)
}

func find(events []event, match func(event) bool) event {
	for _, e := range events {
		if match(e) {
			return e
		}
	}
	return nil
}
