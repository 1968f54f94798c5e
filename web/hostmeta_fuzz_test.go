package web

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

// FuzzLinkHost: whatever Host a request carries, the host discovery
// links are built with is the request's own only when it names a served
// domain (or a subdomain) or the address connected to, and never holds
// a character that could leave the URL or the XRD attribute.
func FuzzLinkHost(f *testing.F) {
	for _, h := range []string{"localhost:5280", "example.com", "chat.example.com:443", "evil.example", "[::1]:5280",
		"127.0.0.1:5280", "example.com.evil", "a'b", "x/y", "example.com:99999", "EXAMPLE.COM", ""} {
		f.Add(h)
	}
	w := &Web{cfg: Config{Hosts: []string{"example.com", "localhost"}}}
	local := &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 5280}
	f.Fuzz(func(t *testing.T, host string) {
		r, _ := http.NewRequestWithContext(context.WithValue(context.Background(), http.LocalAddrContextKey, net.Addr(local)), "GET", "/", nil)
		r.Host = host
		got := w.linkHost(r)
		if strings.ContainsAny(got, "'\"<>&/\\?#@ \t\r\n") {
			t.Fatalf("Host %q gave link host %q", host, got)
		}
		if got == host {
			name, _, err := net.SplitHostPort(host)
			if err != nil {
				name = host
			}
			a, aerr := netip.ParseAddr(name)
			if !w.servedName(name) && !(aerr == nil && a.Unmap() == netip.MustParseAddr("127.0.0.1")) {
				t.Fatalf("Host %q echoed though it is neither served nor the local address", host)
			}
		} else if got != "example.com:5280" {
			t.Fatalf("Host %q gave %q, want the fallback example.com:5280", host, got)
		}
	})
}
