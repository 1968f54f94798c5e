package c2s

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// The PROXY protocol (HAProxy's, versions 1 and 2) lets a TCP load
// balancer in front of a cluster's nodes tell them each client's
// address: the balancer sends a header before the client's bytes. Only
// connections from the balancers listed in Config.ProxyProtocol are
// read this way (anyone else could claim any address); they must send a
// header. Without it every client would seem to come from the balancer,
// and the per-address limits would lump them all together.

// ErrProxyHeader: a balancer's connection did not start with a valid
// PROXY protocol header.
var ErrProxyHeader = errors.New("c2s: bad PROXY protocol header")

// proxyV2Sig starts a version 2 header.
var proxyV2Sig = []byte("\r\n\r\n\x00\r\nQUIT\n")

const (
	proxyV1Max    = 107 // the longest version 1 line, CRLF included
	proxyV2MaxLen = 512 // the longest version 2 address block accepted (TLVs included)
	proxyTimeout  = 5 * time.Second
)

// readProxyHeader reads one PROXY protocol header (v1 or v2) from r and
// returns the client's address; ok is false for a header that names no
// client (v1 UNKNOWN, v2 LOCAL: the balancer's own health checks), when
// the connection's own address stands.
func readProxyHeader(r *bufio.Reader) (addr netip.Addr, ok bool, err error) {
	first, err := r.Peek(1)
	if err != nil {
		return netip.Addr{}, false, fmt.Errorf("%w: %v", ErrProxyHeader, err)
	}
	if first[0] == proxyV2Sig[0] {
		return readProxyV2(r)
	}
	return readProxyV1(r)
}

func readProxyV1(r *bufio.Reader) (netip.Addr, bool, error) {
	line := make([]byte, 0, proxyV1Max)
	for {
		b, err := r.ReadByte()
		if err != nil {
			return netip.Addr{}, false, fmt.Errorf("%w: %v", ErrProxyHeader, err)
		}
		line = append(line, b)
		if b == '\n' {
			break
		}
		if len(line) >= proxyV1Max {
			return netip.Addr{}, false, fmt.Errorf("%w: version 1 line too long", ErrProxyHeader)
		}
	}
	s, found := strings.CutSuffix(string(line), "\r\n")
	if !found {
		return netip.Addr{}, false, fmt.Errorf("%w: version 1 line without CRLF", ErrProxyHeader)
	}
	f := strings.Split(s, " ")
	if f[0] != "PROXY" || len(f) < 2 {
		return netip.Addr{}, false, fmt.Errorf("%w: not a PROXY line", ErrProxyHeader)
	}
	switch f[1] {
	case "UNKNOWN":
		return netip.Addr{}, false, nil
	case "TCP4", "TCP6":
	default:
		return netip.Addr{}, false, fmt.Errorf("%w: protocol %q", ErrProxyHeader, f[1])
	}
	if len(f) != 6 {
		return netip.Addr{}, false, fmt.Errorf("%w: version 1 line has %d fields", ErrProxyHeader, len(f))
	}
	src, err1 := netip.ParseAddr(f[2])
	dst, err2 := netip.ParseAddr(f[3])
	_, err3 := strconv.ParseUint(f[4], 10, 16)
	_, err4 := strconv.ParseUint(f[5], 10, 16)
	if err := errors.Join(err1, err2, err3, err4); err != nil || src.Is4() != (f[1] == "TCP4") || dst.Is4() != src.Is4() || src.Zone() != "" {
		return netip.Addr{}, false, fmt.Errorf("%w: bad addresses or ports", ErrProxyHeader)
	}
	return src, true, nil
}

func readProxyV2(r *bufio.Reader) (netip.Addr, bool, error) {
	var h [16]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return netip.Addr{}, false, fmt.Errorf("%w: %v", ErrProxyHeader, err)
	}
	if !bytes.Equal(h[:12], proxyV2Sig) {
		return netip.Addr{}, false, fmt.Errorf("%w: bad version 2 signature", ErrProxyHeader)
	}
	if h[12]>>4 != 2 {
		return netip.Addr{}, false, fmt.Errorf("%w: version %d", ErrProxyHeader, h[12]>>4)
	}
	cmd, fam := h[12]&0x0f, h[13]
	n := int(binary.BigEndian.Uint16(h[14:]))
	if n > proxyV2MaxLen {
		return netip.Addr{}, false, fmt.Errorf("%w: address block of %d bytes", ErrProxyHeader, n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return netip.Addr{}, false, fmt.Errorf("%w: %v", ErrProxyHeader, err)
	}
	switch cmd {
	case 0: // LOCAL: the balancer itself (a health check)
		return netip.Addr{}, false, nil
	case 1: // PROXY
	default:
		return netip.Addr{}, false, fmt.Errorf("%w: command %d", ErrProxyHeader, cmd)
	}
	switch fam {
	case 0x11: // TCP over IPv4
		if n < 12 {
			return netip.Addr{}, false, fmt.Errorf("%w: short IPv4 block", ErrProxyHeader)
		}
		return netip.AddrFrom4([4]byte(body[:4])), true, nil
	case 0x21: // TCP over IPv6
		if n < 36 {
			return netip.Addr{}, false, fmt.Errorf("%w: short IPv6 block", ErrProxyHeader)
		}
		return netip.AddrFrom16([16]byte(body[:16])).Unmap(), true, nil
	case 0x00: // UNSPEC
		return netip.Addr{}, false, nil
	}
	return netip.Addr{}, false, fmt.Errorf("%w: address family %#x", ErrProxyHeader, fam)
}

// proxied is a connection whose first bytes (the PROXY header) were
// read through a buffer: reads continue from the buffer.
type proxied struct {
	net.Conn
	r *bufio.Reader
}

func (c proxied) Read(p []byte) (int, error) { return c.r.Read(p) }

// fromBalancer reports whether a connection comes from a balancer that
// sends PROXY headers.
func (srv *Server) fromBalancer(a net.Addr) bool {
	if len(srv.cfg.ProxyProtocol) == 0 {
		return false
	}
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return false
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return false
	}
	ip = ip.Unmap()
	for _, p := range srv.cfg.ProxyProtocol {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// unwrapProxy reads the balancer's header and returns the connection to
// serve and the client's address.
func (srv *Server) unwrapProxy(conn net.Conn) (net.Conn, string, error) {
	conn.SetReadDeadline(time.Now().Add(proxyTimeout))
	r := bufio.NewReaderSize(conn, 256)
	addr, ok, err := readProxyHeader(r)
	conn.SetReadDeadline(time.Time{})
	if err != nil {
		return nil, "", err
	}
	remote := remoteIP(conn.RemoteAddr())
	if ok {
		remote = addr.String()
	}
	if r.Buffered() == 0 {
		return conn, remote, nil // nothing read beyond the header
	}
	return proxied{Conn: conn, r: r}, remote, nil
}
