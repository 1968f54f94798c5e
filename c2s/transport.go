package c2s

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"sync"
	"time"

	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// Transport carries one client stream: an XML stream on a TCP
// connection (RFC 6120), one element per WebSocket message (RFC 7395)
// or elements inside BOSH bodies (XEP-0206). The session state machine
// is the same for all three; only the framing differs.
//
// ReadHeader, Next and SetReadDeadline are called by the session's
// reading goroutine; Write by one writer at a time; SetReadDeadline,
// SetWriteDeadline and Close may be called from any goroutine.
type Transport interface {
	// ReadHeader waits for the client to open (or, after SASL, restart)
	// the stream and returns its opening element, whose to, version and
	// xml:lang attributes the session checks. A framing error is
	// returned as a *stream.Error.
	ReadHeader() (*xml.Element, error)
	// Next returns the client's next top-level element. It returns
	// xml.ErrStreamClosed once the client has closed the stream, the
	// xml sentinel errors for bad input, and a net.Error with Timeout()
	// when the read deadline passes; after a timeout Next may be called
	// again.
	Next() (*xml.Element, error)
	SetReadDeadline(t time.Time) error
	// SetMaxStanzaBytes changes the size limit of the elements the
	// client sends from now on (xml.ErrTooLarge past it): the session
	// lowers it until the client has authenticated.
	SetMaxStanzaBytes(n int)
	// BytesIn is how many bytes the client has sent so far, framing
	// included (what the session's byte rate limit charges). Called by
	// the reading goroutine.
	BytesIn() int64

	// Header returns the bytes that open the server's side of the
	// stream (nil when the framing carries it otherwise).
	Header(h stream.Header) []byte
	// Trailer returns the bytes that close the server's side.
	Trailer() []byte
	// ContentNamespace is the namespace stanzas are written in: TCP's
	// stream header declares jabber:client once, WebSocket messages and
	// BOSH bodies need it on every stanza ("").
	ContentNamespace() string
	// Write sends chunks in order; each is a header, a trailer or one
	// complete element.
	Write(chunks [][]byte) error
	SetWriteDeadline(t time.Time) error

	// Close releases the transport; pending reads and writes fail.
	Close() error
}

// tcpTransport is an XML stream on a TCP (or TLS) connection.
type tcpTransport struct {
	mu   sync.Mutex // guards conn, which STARTTLS replaces once
	conn net.Conn
	dec  *xml.Decoder
	in   int64 // bytes read (by the reading goroutine only)
}

func newTCPTransport(conn net.Conn, lim xml.Limits) *tcpTransport {
	t := &tcpTransport{conn: conn}
	t.dec = xml.NewDecoder(t, lim)
	return t
}

// Read makes the transport the decoder's reader, so that STARTTLS can
// swap the connection underneath it.
func (t *tcpTransport) Read(p []byte) (int, error) {
	n, err := t.current().Read(p)
	t.in += int64(n)
	return n, err
}

func (t *tcpTransport) BytesIn() int64 { return t.in }

func (t *tcpTransport) current() net.Conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.conn
}

func (t *tcpTransport) ReadHeader() (*xml.Element, error) {
	h, err := t.dec.ReadHeader()
	if err != nil {
		return nil, err
	}
	switch {
	case h.Space != ns.Stream || h.Name != "stream":
		return nil, stream.Errorf(stream.InvalidNamespace, "expected <stream:stream xmlns:stream='"+ns.Stream+"'>")
	case t.dec.DefaultNamespace() != ns.Client:
		return nil, stream.Errorf(stream.InvalidNamespace, "the content namespace must be jabber:client")
	}
	return h, nil
}

func (t *tcpTransport) Next() (*xml.Element, error) { return t.dec.Next() }

func (t *tcpTransport) SetMaxStanzaBytes(n int) { t.dec.SetMaxStanzaBytes(n) }

func (t *tcpTransport) SetReadDeadline(d time.Time) error { return t.current().SetReadDeadline(d) }

func (t *tcpTransport) SetWriteDeadline(d time.Time) error { return t.current().SetWriteDeadline(d) }

func (t *tcpTransport) Header(h stream.Header) []byte {
	var b bytes.Buffer
	stream.AppendHeader(&b, h)
	return b.Bytes()
}

func (t *tcpTransport) Trailer() []byte          { return []byte(stream.Close) }
func (t *tcpTransport) ContentNamespace() string { return ns.Client }

var writeBufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Write concatenates the chunks into a pooled buffer and writes them
// with one call; the buffer goes back to the pool right after, so an
// idle connection holds no write buffer.
func (t *tcpTransport) Write(chunks [][]byte) error {
	c := t.current()
	switch len(chunks) {
	case 0:
		return nil
	case 1:
		_, err := c.Write(chunks[0])
		return err
	}
	buf := writeBufPool.Get().(*bytes.Buffer)
	for _, b := range chunks {
		buf.Write(b)
	}
	_, err := c.Write(buf.Bytes())
	if buf.Cap() <= 64<<10 {
		buf.Reset()
		writeBufPool.Put(buf)
	}
	return err
}

// CloseWrite half-closes the connection after the stream's end tag.
func (t *tcpTransport) CloseWrite() error {
	if cw, ok := t.current().(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (t *tcpTransport) Close() error { return t.current().Close() }

// StartTLS runs the server side of a TLS handshake on the connection
// and continues the stream over it; the decoder must be reset after.
func (t *tcpTransport) StartTLS(ctx context.Context, cfg *tls.Config, timeout time.Duration) error {
	tc := tls.Server(t.current(), cfg)
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		return err
	}
	t.mu.Lock()
	t.conn = tc
	t.mu.Unlock()
	return nil
}

// Restart starts a new stream on the same connection (after STARTTLS or
// SASL success, RFC 6120 §4.3.3).
func (t *tcpTransport) Restart() { t.dec.Reset(t) }
