// Package web makes browsers first-class XMPP clients: XMPP over
// WebSocket (RFC 7395) at /xmpp-websocket, BOSH (XEP-0124/XEP-0206) at
// /http-bind, and their discovery (XEP-0156 host-meta). Both transports
// implement c2s.Transport, so a browser's stream runs through the same
// session state machine, limits and authentication as a TCP client.
//
// Locking: each BOSH session's mutex guards its own state; the session
// table's mutex is innermost (taken while holding a session's, never the
// other way round).
package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/parley-im/parley/c2s"
	"github.com/parley-im/parley/xmpp/xml"
)

// Config is what the web transports need from the configuration.
type Config struct {
	WebSocket bool
	BOSH      bool
	// AllowedOrigins are the Origin patterns (path.Match syntax, host
	// part only, e.g. "*.example.com") allowed to open WebSockets and to
	// read BOSH responses (CORS). "*" allows any site: XMPP over HTTP
	// carries no cookies or other ambient credentials, so a foreign page
	// gains nothing it could not get by connecting itself.
	AllowedOrigins []string
	// TrustedProxies are the addresses and prefixes whose
	// X-Forwarded-For and X-Forwarded-Proto headers are believed.
	TrustedProxies []netip.Prefix
	XMLLimits      xml.Limits
	BOSHMaxWait    time.Duration // longest a request is held
	BOSHInactivity time.Duration // longest a client may go without a request
	BOSHMaxPause   time.Duration // longest pause a client may ask for
	// PublicURL is scheme://host[:port] under which clients reach the
	// server (http.public_url); "" derives discovery links from each
	// request.
	PublicURL string
	// Hosts are the served XMPP domains: without PublicURL, discovery
	// links name the request's Host only when it is one of them (or a
	// subdomain of one) or the address the client connected to.
	Hosts []string
}

// Web serves the browser transports.
type Web struct {
	cfg  Config
	c2s  *c2s.Server
	log  *slog.Logger
	ctx  context.Context
	bosh *boshSessions
}

// New returns the web transports of srv. ctx bounds every stream.
func New(ctx context.Context, cfg Config, srv *c2s.Server, log *slog.Logger) *Web {
	w := &Web{cfg: cfg, c2s: srv, log: log.With("component", "web"), ctx: ctx}
	w.bosh = newBOSHSessions(w)
	return w
}

// Register adds the endpoints to mux.
func (w *Web) Register(mux *http.ServeMux) {
	if w.cfg.WebSocket {
		mux.HandleFunc("GET /xmpp-websocket", w.serveWebSocket)
	}
	if w.cfg.BOSH {
		mux.HandleFunc("/http-bind", w.serveBOSH)
	}
	mux.HandleFunc("GET /.well-known/host-meta", w.hostMeta)
	mux.HandleFunc("GET /.well-known/host-meta.json", w.hostMetaJSON)
}

// Stop ends every BOSH session (WebSockets end with their c2s session).
func (w *Web) Stop() { w.bosh.closeAll() }

// client returns the client's IP and whether its channel is secure:
// TLS to us, https to a trusted proxy, or loopback (which browsers also
// treat as a secure context).
func (w *Web) client(r *http.Request) (ip string, secure bool) {
	addr := remoteAddr(r)
	if w.trusted(addr) {
		if fwd := lastForwarded(r.Header.Values("X-Forwarded-For")); fwd.IsValid() {
			addr = fwd.Unmap()
		}
	}
	if !addr.IsValid() {
		return r.RemoteAddr, w.https(r)
	}
	return addr.String(), w.https(r) || addr.IsLoopback()
}

// https reports whether the client reached us over TLS, directly or
// through a trusted proxy.
func (w *Web) https(r *http.Request) bool {
	if w.trusted(remoteAddr(r)) {
		if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
			return strings.EqualFold(p, "https")
		}
	}
	return r.TLS != nil
}

func remoteAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

func (w *Web) trusted(a netip.Addr) bool {
	for _, p := range w.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// lastForwarded is the address the nearest proxy saw: the last entry
// of X-Forwarded-For (earlier ones are whatever the client claimed).
func lastForwarded(values []string) netip.Addr {
	if len(values) == 0 {
		return netip.Addr{}
	}
	parts := strings.Split(values[len(values)-1], ",")
	a, _ := netip.ParseAddr(strings.TrimSpace(parts[len(parts)-1]))
	return a
}

// originAllowed reports whether a page from origin may use BOSH.
func (w *Web) originAllowed(origin string) bool {
	if origin == "" {
		return true // not a cross-origin browser request
	}
	host := origin
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	for _, p := range w.cfg.AllowedOrigins {
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(host)); ok {
			return true
		}
	}
	return false
}

// hostMeta answers XEP-0156 discovery in XRD.
func (w *Web) hostMeta(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Content-Type", "application/xrd+xml")
	rw.Header().Set("Access-Control-Allow-Origin", "*")
	var b strings.Builder
	b.WriteString("<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n")
	for _, l := range w.links(r) {
		b.WriteString("  <Link rel='" + l.Rel + "' href='" + xmlAttrEscape(l.Href) + "'/>\n")
	}
	b.WriteString("</XRD>\n")
	rw.Write([]byte(b.String()))
}

func (w *Web) hostMetaJSON(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Content-Type", "application/json")
	rw.Header().Set("Access-Control-Allow-Origin", "*")
	json.NewEncoder(rw).Encode(map[string]any{"links": w.links(r)})
}

type link struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
}

// links are the endpoint URLs: under http.public_url when it is set,
// otherwise as the client reached us (through a trusted proxy: as the
// proxy was reached), with a host we vouch for (linkHost).
func (w *Web) links(r *http.Request) []link {
	var httpBase, wsBase string
	if u := w.cfg.PublicURL; u != "" {
		httpBase = u
		wsBase = "ws" + strings.TrimPrefix(u, "http") // http:// -> ws://, https:// -> wss://
	} else {
		httpScheme, wsScheme := "http", "ws"
		if w.https(r) {
			httpScheme, wsScheme = "https", "wss"
		}
		host := w.linkHost(r)
		httpBase, wsBase = httpScheme+"://"+host, wsScheme+"://"+host
	}
	var links []link
	if w.cfg.BOSH {
		links = append(links, link{"urn:xmpp:alt-connections:xbosh", httpBase + "/http-bind"})
	}
	if w.cfg.WebSocket {
		links = append(links, link{"urn:xmpp:alt-connections:websocket", wsBase + "/xmpp-websocket"})
	}
	return links
}

// linkHost is the request's Host when it names one of the served
// domains (or a subdomain of one) or the address the client connected
// to; otherwise, since any client can send any Host (and a shared cache
// would hand the answer to others), the first served domain with the
// port the request came in on.
func (w *Web) linkHost(r *http.Request) string {
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	localAP, _ := netip.ParseAddrPort(addrString(local))
	name, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		name, port = r.Host, ""
	}
	if validPort(port) {
		if w.servedName(name) {
			return r.Host
		}
		if a, err := netip.ParseAddr(name); err == nil && localAP.IsValid() && a.Unmap() == localAP.Addr().Unmap() {
			return r.Host
		}
	}
	host := "localhost"
	if len(w.cfg.Hosts) > 0 {
		host = w.cfg.Hosts[0]
	}
	if localAP.IsValid() {
		host = net.JoinHostPort(host, strconv.Itoa(int(localAP.Port())))
	}
	return host
}

// servedName reports whether name is a served domain or a subdomain of
// one.
func (w *Web) servedName(name string) bool {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if name == "" {
		return false
	}
	for _, h := range w.cfg.Hosts {
		if name == h || strings.HasSuffix(name, "."+h) && validHostname(name) {
			return true
		}
	}
	return false
}

// validHostname accepts letters, digits, '-' and '.': nothing that
// could break out of a URL or an attribute.
func validHostname(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func validPort(p string) bool {
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 65536 && strconv.Itoa(n) == p
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

func xmlAttrEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&apos;", "<", "&lt;", ">", "&gt;").Replace(s)
}
