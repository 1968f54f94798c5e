package server

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/netlimit"
)

// httpGuard is what every HTTP request passes before its handler, and
// what every HTTP connection passes before net/http sees it:
//
//   - each listener serves at most http.max_connections connections, at
//     most http.max_connections_per_ip of them from one client address
//     (IPv6: one /64); trusted proxies count only against the total;
//   - a request that comes through a trusted proxy counts, while it is
//     served, against the address the proxy forwarded it for, with the
//     same per-address cap;
//   - every request body must arrive within http.body_timeout, on every
//     path: the handlers that read their body (BOSH, SOAP, JSON) get a
//     read error at the deadline, and for those that do not (/healthz,
//     unknown paths) net/http's draining of the unread body fails at it
//     and the connection is closed;
//   - /metrics answers only the addresses of http.metrics_allow.
//
// Without the deadline a client that sends headers with a
// Content-Length and no body held its connection for as long as it
// liked (net/http has no ReadTimeout here: BOSH and WebSocket requests
// legitimately live long), and 10,000 such connections from one address
// took every slot.
type httpGuard struct {
	bodyTimeout  time.Duration
	maxConns     int
	maxPerAddr   int
	proxies      []netip.Prefix
	metricsAllow []netip.Prefix
	forwarded    *netlimit.Counter // requests in flight per forwarded client
}

func newHTTPGuard(c config.HTTP) *httpGuard {
	g := &httpGuard{bodyTimeout: c.BodyTimeout.Duration, maxConns: c.MaxConnections, maxPerAddr: c.MaxConnectionsPerIP,
		proxies: parsePrefixes(c.TrustedProxies), metricsAllow: parsePrefixes(c.MetricsAllow),
		forwarded: netlimit.NewCounter(c.MaxConnectionsPerIP)}
	if g.bodyTimeout <= 0 {
		g.bodyTimeout = 10 * time.Second
	}
	return g
}

// parsePrefixes parses addresses and prefixes validated by config.Load.
func parsePrefixes(list []string) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		if p, err := config.ParsePrefix(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

func contains(list []netip.Prefix, a netip.Addr) bool {
	for _, p := range list {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (g *httpGuard) trusted(a netip.Addr) bool { return contains(g.proxies, a) }

// listener applies the connection caps to an HTTP listener; reject
// answers a connection over a cap.
func (g *httpGuard) listener(l net.Listener, reject func(net.Conn)) net.Listener {
	return netlimit.Listen(l, netlimit.ListenerConfig{Max: g.maxConns, MaxPerAddr: g.maxPerAddr,
		Exempt: g.trusted, Reject: reject})
}

// peer is the address of the request's connection.
func peer(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// forwardedFor is the client address a proxy named: the last
// X-Forwarded-For entry, the one the nearest proxy added (earlier ones
// are whatever the client claimed); invalid if there is none.
func forwardedFor(r *http.Request) netip.Addr {
	v := r.Header.Values("X-Forwarded-For")
	if len(v) == 0 {
		return netip.Addr{}
	}
	parts := strings.Split(v[len(v)-1], ",")
	a, err := netip.ParseAddr(strings.TrimSpace(parts[len(parts)-1]))
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// wrap puts the body deadline and the per-client cap of proxied
// requests in front of h.
func (g *httpGuard) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			// net/http clears the deadline once the body is read to its
			// end (and watches the connection from then on), so a BOSH
			// request held for bosh_max_wait after its body is not cut
			// short. A request without a body gets none: net/http
			// watches its connection from the start, and a deadline
			// would end that watch and cancel the request's context.
			http.NewResponseController(w).SetReadDeadline(time.Now().Add(g.bodyTimeout))
		}
		if g.forwarded != nil && g.trusted(peer(r)) {
			if client := forwardedFor(r); client.IsValid() {
				p := netlimit.Prefix(client)
				if !g.forwarded.Acquire(p) {
					w.Header().Set("Retry-After", "5")
					// Answer at once rather than after draining the body
					// this request may be stalling.
					w.Header().Set("Connection", "close")
					http.Error(w, "too many requests from your address at once, try again later", http.StatusServiceUnavailable)
					return
				}
				defer g.forwarded.Release(p)
				// What the handler left unread is drained (within the
				// deadline) before the slot is given back, as net/http
				// would drain it after us.
				defer io.Copy(io.Discard, io.LimitReader(r.Body, 256<<10))
			}
		}
		h.ServeHTTP(w, r)
	})
}

// metricsAllowed reports whether r may read /metrics: its client is in
// http.metrics_allow. A request forwarded by a proxy is judged by the
// client the proxy names, and only a trusted proxy is believed: a
// forwarded request from an untrusted peer (say, a reverse proxy on
// loopback missing from http.trusted_proxies) is refused, since its
// real client is unknown.
func (g *httpGuard) metricsAllowed(r *http.Request) bool {
	from := peer(r)
	if r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" {
		if !g.trusted(from) {
			return false
		}
		from = forwardedFor(r)
	}
	return from.IsValid() && contains(g.metricsAllow, from)
}

// metrics serves h to the allowed clients and 403 to the others.
func (g *httpGuard) metrics(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.metricsAllowed(r) {
			http.Error(w, "/metrics is not served to your address (http.metrics_allow)", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// reject503 answers a plain HTTP connection over a cap with 503 and
// closes it. It half-closes and drains what the client sent first, so
// that the client reads the answer rather than a reset.
func reject503(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	const msg = "too many connections, try again later\n"
	fmt.Fprintf(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nRetry-After: 5\r\nConnection: close\r\n\r\n%s", len(msg), msg)
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		io.Copy(io.Discard, io.LimitReader(c, 64<<10))
	}
}
