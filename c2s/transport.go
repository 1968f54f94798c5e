package c2s

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parley-im/parley/internal/netpoll"

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
//
// Until the session is bound a goroutine reads it with blocking reads.
// Then, if the server has a poller (poll.go), the transport polls: its
// reads never block (netpoll.ErrWouldBlock once the socket is drained,
// and the session returns the connection to the poller), and a flusher
// writes it without blocking (tryWrite), leaving what the socket does
// not take to a writer goroutine (finishWrite).
type tcpTransport struct {
	mu   sync.Mutex // guards conn, which STARTTLS replaces once
	conn net.Conn   // sock, or a *tls.Conn over it
	sock *pollConn  // the TCP connection underneath
	dec  *xml.Decoder
	in   int64 // bytes read (by the reading goroutine only)

	polling atomic.Bool // startPolling has run: sock reads and flushes without blocking
	// writeDeadline: a write deadline is set on the connection (by a
	// writer goroutine). tryWrite clears it: a non-blocking write through
	// the socket's RawConn still fails once a stale deadline has passed.
	writeDeadline atomic.Bool
	wake          func() // set before polling: makes the session look at its state (Close, deadlines)
}

func newTCPTransport(conn net.Conn, lim xml.Limits) *tcpTransport {
	pc := &pollConn{Conn: conn}
	t := &tcpTransport{conn: pc, sock: pc}
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

// SetReadDeadline sets the connection's read deadline; a polling
// session is woken to look at it (no read of its is blocked to be
// interrupted).
func (t *tcpTransport) SetReadDeadline(d time.Time) error {
	err := t.current().SetReadDeadline(d)
	if t.polling.Load() {
		t.wake()
	}
	return err
}

func (t *tcpTransport) SetWriteDeadline(d time.Time) error {
	t.writeDeadline.Store(!d.IsZero())
	return t.current().SetWriteDeadline(d)
}

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

// startPolling switches a bound session's transport to non-blocking
// reads and registers its connection with p, which calls ready when
// input arrives; wake is what Close and deadline changes call. It
// fails (and the transport keeps blocking) when the connection is not
// a socket.
func (t *tcpTransport) startPolling(p *netpoll.Poller, ready func(hangup bool), wake func()) (*netpoll.Handle, error) {
	sc, ok := t.sock.Conn.(syscall.Conn)
	if !ok {
		return nil, errNotSocket
	}
	sock, err := netpoll.NewSocket(sc)
	if err != nil {
		return nil, err
	}
	// The deadlines of negotiation do not apply any more; the session
	// keeps its own (keepalive pings, the grace of a closing stream).
	t.sock.Conn.SetReadDeadline(time.Time{})
	t.sock.sock = sock
	t.dec.SetNonBlocking(true)
	t.wake = wake
	h, err := p.Add(sc, ready)
	if err != nil {
		t.sock.sock = nil
		t.dec.SetNonBlocking(false)
		return nil, err
	}
	t.polling.Store(true)
	return h, nil
}

// rearm is called by the reader before it reads after a ready call:
// the socket has (or had) input again.
func (t *tcpTransport) rearm() { t.sock.drained = false }

// tryWrite writes b without blocking. flushed is false when the socket
// did not take all of it: the rest (ciphertext, with TLS) is pending
// for finishWrite.
func (t *tcpTransport) tryWrite(b []byte) (flushed bool, err error) {
	c := t.current()
	if t.writeDeadline.Load() {
		// Left by a writer goroutine that waited for a slow client (one
		// writer at a time: it has finished).
		c.SetWriteDeadline(time.Time{})
		t.writeDeadline.Store(false)
	}
	t.sock.nonblock.Store(true)
	_, err = c.Write(b)
	t.sock.nonblock.Store(false)
	return !t.sock.hasPending(), err
}

// finishWrite writes what tryWrite left pending, blocking (bounded by
// the write deadline).
func (t *tcpTransport) finishWrite() error { return t.sock.flushPending() }

// pollConn is the TCP connection under a transport. It reads and
// writes as the connection does until polling starts. Then reads never
// block: once a read returns less than it asked for, the socket is
// drained, and the next read says so (netpoll.ErrWouldBlock) without a
// system call, until rearm; unless the peer has closed, when reads go
// on to the end of the stream. Writes made with nonblock set (tryWrite)
// never block either: what the socket does not take is kept pending, in
// order, for flushPending.
type pollConn struct {
	net.Conn
	sock    *netpoll.Socket // set by startPolling
	drained bool            // reader only
	hangup  atomic.Bool     // the peer closed (or the connection failed): read to the end

	nonblock atomic.Bool
	pmu      sync.Mutex
	pending  []byte
}

func (c *pollConn) Read(p []byte) (int, error) {
	if c.sock == nil {
		return c.Conn.Read(p)
	}
	if c.drained && !c.hangup.Load() {
		return 0, netpoll.ErrWouldBlock
	}
	n, err := c.sock.Read(p)
	c.drained = n < len(p)
	return n, err
}

func (c *pollConn) Write(p []byte) (int, error) {
	c.pmu.Lock()
	if len(c.pending) > 0 {
		// Behind what is pending: the writer draining it writes this too.
		c.pending = append(c.pending, p...)
		c.pmu.Unlock()
		return len(p), nil
	}
	if !c.nonblock.Load() {
		c.pmu.Unlock()
		return c.Conn.Write(p)
	}
	defer c.pmu.Unlock()
	n, err := c.sock.Write(p)
	if err != nil && !errors.Is(err, netpoll.ErrWouldBlock) {
		return n, err
	}
	if n < len(p) {
		c.pending = append(c.pending, p[n:]...)
	}
	return len(p), nil
}

func (c *pollConn) hasPending() bool {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	return len(c.pending) > 0
}

// flushPending writes what is pending, blocking, until nothing is.
func (c *pollConn) flushPending() error {
	for {
		c.pmu.Lock()
		p := c.pending
		c.pending = nil
		c.pmu.Unlock()
		if len(p) == 0 {
			return nil
		}
		if _, err := c.Conn.Write(p); err != nil {
			return err
		}
	}
}

// CloseWrite half-closes the TCP connection.
func (c *pollConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// CloseWrite half-closes the connection after the stream's end tag.
func (t *tcpTransport) CloseWrite() error {
	if cw, ok := t.current().(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Close closes the connection; a polling session is woken to notice
// (its connection leaves the poller with it).
func (t *tcpTransport) Close() error {
	err := t.current().Close()
	if t.polling.Load() {
		t.wake()
	}
	return err
}

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
