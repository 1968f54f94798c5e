package c2s

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
)

func v2(cmd, fam byte, body []byte) []byte {
	h := append([]byte{}, proxyV2Sig...)
	h = append(h, 0x20|cmd, fam, 0, 0)
	binary.BigEndian.PutUint16(h[14:], uint16(len(body)))
	return append(h, body...)
}

func TestProxyHeaders(t *testing.T) {
	ipv4 := []byte{192, 0, 2, 7, 10, 0, 0, 1, 0x30, 0x39, 0x14, 0x66}
	ipv6 := append(append([]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}, make([]byte, 16)...), 1, 2, 3, 4)
	for _, tc := range []struct {
		name, in, want string
		named          bool
	}{
		{"v1 TCP4", "PROXY TCP4 192.0.2.7 10.0.0.1 56324 5222\r\n", "192.0.2.7", true},
		{"v1 TCP6", "PROXY TCP6 2001:db8::9 2001:db8::1 56324 5222\r\n", "2001:db8::9", true},
		{"v1 UNKNOWN", "PROXY UNKNOWN\r\n", "", false},
		{"v2 IPv4", string(v2(1, 0x11, ipv4)), "192.0.2.7", true},
		{"v2 IPv6 with a TLV", string(v2(1, 0x21, append(ipv6, 0x04, 0, 1, 'x'))), "2001:db8::9", true},
		{"v2 LOCAL", string(v2(0, 0, nil)), "", false},
	} {
		r := bufio.NewReader(strings.NewReader(tc.in + "<stream>"))
		addr, named, err := readProxyHeader(r)
		if err != nil || named != tc.named || (named && addr.String() != tc.want) {
			t.Errorf("%s: %v %v %v", tc.name, addr, named, err)
			continue
		}
		if rest, _ := io.ReadAll(r); string(rest) != "<stream>" {
			t.Errorf("%s: the client's bytes after the header: %q", tc.name, rest)
		}
	}
	for _, bad := range []string{
		"<?xml version='1.0'?><stream:stream>",      // no header from a balancer
		"PROXY TCP4 192.0.2.7 10.0.0.1 56324\r\n",   // a field missing
		"PROXY TCP4 2001:db8::9 10.0.0.1 1 2\r\n",   // IPv6 in TCP4
		"PROXY TCP4 192.0.2.7 10.0.0.1 99999 1\r\n", // port out of range
		"PROXY UDP4 192.0.2.7 10.0.0.1 1 2\r\n",
		"PROXY TCP4 192.0.2.7 10.0.0.1 1 2\n",
		"PROXY " + strings.Repeat("x", 200) + "\r\n",
		string(v2(1, 0x11, []byte{1, 2, 3})),              // short block
		string(v2(2, 0x11, make([]byte, 12))),             // unknown command
		string(v2(1, 0x31, make([]byte, 216))),            // AF_UNIX
		string(append(v2(1, 0x11, nil)[:14], 0xff, 0xff)), // a huge length
		string(proxyV2Sig[:8]),
	} {
		if _, _, err := readProxyHeader(bufio.NewReader(strings.NewReader(bad))); !errors.Is(err, ErrProxyHeader) {
			t.Errorf("%q: err %v, want ErrProxyHeader", bad, err)
		}
	}
}

func FuzzProxyHeader(f *testing.F) {
	f.Add([]byte("PROXY TCP4 192.0.2.7 10.0.0.1 56324 5222\r\n"))
	f.Add([]byte("PROXY UNKNOWN\r\n"))
	f.Add(v2(1, 0x11, []byte{192, 0, 2, 7, 10, 0, 0, 1, 0, 1, 0, 2}))
	f.Add(v2(1, 0x21, make([]byte, 36)))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReader(bytes.NewReader(data))
		addr, named, err := readProxyHeader(r)
		if err == nil && named && !addr.IsValid() {
			t.Fatal("a named client without a valid address")
		}
	})
}
