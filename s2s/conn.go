package s2s

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// conn is the transport of one server stream: a TCP connection that
// STARTTLS may switch to TLS under the decoder, and serialized writes.
type conn struct {
	mu        sync.Mutex // guards nc, which STARTTLS replaces once
	nc        net.Conn
	dec       *xml.Decoder
	wmu       sync.Mutex // serializes writes
	wtimeout  time.Duration
	secure    bool                // TLS established
	peerCerts []*x509.Certificate // what the other side presented, leaf first
	lastUse   atomic.Int64        // unix nanoseconds of the last stanza either way
	ip        string
	closeOnce sync.Once
}

func newConn(nc net.Conn, lim xml.Limits, writeTimeout time.Duration) *conn {
	c := &conn{nc: nc, wtimeout: writeTimeout, ip: remoteIP(nc.RemoteAddr())}
	c.dec = xml.NewDecoder(c, lim)
	c.touch()
	return c
}

// Read makes the conn the decoder's reader, so that STARTTLS can swap
// the connection underneath it.
func (c *conn) Read(p []byte) (int, error) { return c.current().Read(p) }

func (c *conn) current() net.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nc
}

func (c *conn) touch() { c.lastUse.Store(time.Now().UnixNano()) }

// idleFor is how long the stream carried no stanza.
func (c *conn) idleFor() time.Duration {
	return time.Since(time.Unix(0, c.lastUse.Load()))
}

var writeBufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// write sends chunks with one Write, within the write timeout.
func (c *conn) write(chunks ...[]byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	nc := c.current()
	nc.SetWriteDeadline(time.Now().Add(c.wtimeout))
	if len(chunks) == 1 {
		_, err := nc.Write(chunks[0])
		return err
	}
	buf := writeBufPool.Get().(*bytes.Buffer)
	for _, b := range chunks {
		buf.Write(b)
	}
	_, err := nc.Write(buf.Bytes())
	if buf.Cap() <= 64<<10 {
		buf.Reset()
		writeBufPool.Put(buf)
	}
	return err
}

func (c *conn) setReadDeadline(t time.Time) { c.current().SetReadDeadline(t) }

// restart begins a new stream on the connection (after STARTTLS or
// SASL success, RFC 6120 §4.3.3).
func (c *conn) restart() { c.dec.Reset(c) }

func (c *conn) close() {
	c.closeOnce.Do(func() { c.current().Close() })
}

// closeWrite half-closes after our end tag, so the peer can answer
// with its own.
func (c *conn) closeWrite() {
	if cw, ok := c.current().(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}

// startTLS runs a TLS handshake on the connection, as server or client,
// and continues the stream over it.
func (c *conn) startTLS(ctx context.Context, cfg *tls.Config, server bool, timeout time.Duration) error {
	var tc *tls.Conn
	if server {
		tc = tls.Server(c.current(), cfg)
	} else {
		tc = tls.Client(c.current(), cfg)
	}
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		return err
	}
	c.mu.Lock()
	c.nc = tc
	c.mu.Unlock()
	c.secure = true
	c.peerCerts = tc.ConnectionState().PeerCertificates
	return nil
}

// readHeader reads the peer's stream header and checks that it opens a
// server stream.
func (c *conn) readHeader() (*xml.Element, error) {
	h, err := c.dec.ReadHeader()
	if err != nil {
		return nil, stream.ReadError(err)
	}
	switch {
	case h.Space != ns.Stream || h.Name != "stream":
		return nil, stream.Errorf(stream.InvalidNamespace, "expected <stream:stream xmlns:stream='"+ns.Stream+"'>")
	case c.dec.DefaultNamespace() != ns.Server:
		return nil, stream.Errorf(stream.InvalidNamespace, "the content namespace must be jabber:server")
	case !strings.HasPrefix(h.Attr("version"), "1."):
		return nil, stream.Errorf(stream.UnsupportedVersion, "XMPP 1.0 is required")
	}
	return h, nil
}

// next reads the next top-level element.
func (c *conn) next() (*xml.Element, error) {
	el, err := c.dec.Next()
	if err != nil {
		return nil, stream.ReadError(err)
	}
	return el, nil
}

// streamError serializes a stream error followed by the end tag.
func streamError(se *stream.Error) []byte {
	var b bytes.Buffer
	stream.AppendElement(&b, se.Element(), ns.Server)
	b.WriteString(stream.Close)
	return b.Bytes()
}

// features serializes <stream:features/>.
func features(children ...*xml.Element) []byte {
	var b bytes.Buffer
	stream.AppendElement(&b, stream.Features(children...), ns.Server)
	return b.Bytes()
}

// dialbackElement writes a db:result or db:verify with the prefix the
// stream header declared, as every server expects (XEP-0220).
func dialbackElement(name, from, to, id, typ, key string) []byte {
	var b bytes.Buffer
	b.WriteString("<db:" + name)
	for _, a := range [][2]string{{"from", from}, {"to", to}, {"id", id}, {"type", typ}} {
		if a[1] != "" {
			b.WriteString(" " + a[0] + "='")
			xml.EscapeAttr(&b, a[1])
			b.WriteString("'")
		}
	}
	if key == "" {
		b.WriteString("/>")
		return b.Bytes()
	}
	b.WriteString(">")
	xml.EscapeText(&b, key)
	b.WriteString("</db:" + name + ">")
	return b.Bytes()
}

// child reports whether el has a child with that namespace and name.
func child(el *xml.Element, space, name string) bool { return el.Child(space, name) != nil }

// mechanisms lists the SASL mechanisms of a features element.
func mechanisms(f *xml.Element) []string {
	m := f.Child(ns.SASL, "mechanisms")
	if m == nil {
		return nil
	}
	var out []string
	for _, c := range m.ChildrenNamed(ns.SASL, "mechanism") {
		out = append(out, strings.TrimSpace(c.Text))
	}
	return out
}

func isTimeout(err error) bool {
	var ne net.Error
	var se *stream.Error
	if errors.As(err, &se) {
		return se.Condition == stream.ConnectionTimeout
	}
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func remoteIP(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

func randomID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
