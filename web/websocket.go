package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// serveWebSocket upgrades an RFC 7395 request and runs its stream.
func (w *Web) serveWebSocket(rw http.ResponseWriter, r *http.Request) {
	if !offersXMPP(r.Header.Values("Sec-WebSocket-Protocol")) {
		http.Error(rw, "XMPP over WebSocket needs the 'xmpp' subprotocol (RFC 7395)", http.StatusBadRequest)
		return
	}
	c, err := websocket.Accept(rw, r, &websocket.AcceptOptions{
		Subprotocols:   []string{"xmpp"},
		OriginPatterns: w.cfg.AllowedOrigins,
	})
	if err != nil {
		w.log.Info("websocket upgrade refused", "remote", r.RemoteAddr, "origin", r.Header.Get("Origin"), "err", err)
		return // Accept has answered the request
	}
	// A frame carries at most one stanza; leave room for the framing.
	c.SetReadLimit(int64(w.cfg.XMLLimits.MaxStanzaBytes) + 1024)
	t := newWSTransport(c, w.cfg.XMLLimits)
	ip, secure := w.client(r)
	go t.readLoop()
	if err := w.c2s.ServeTransport(w.ctx, t, "websocket", ip, secure); err != nil {
		w.log.Warn("websocket stream refused", "remote", ip, "err", err)
		c.Close(websocket.StatusTryAgainLater, "connection limit reached")
	}
}

func offersXMPP(values []string) bool {
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			if strings.TrimSpace(p) == "xmpp" {
				return true
			}
		}
	}
	return false
}

// wsTransport is a c2s.Transport over one WebSocket: every message is
// one complete element, the stream is opened and closed with the
// <open/> and <close/> framing elements.
type wsTransport struct {
	conn      *websocket.Conn
	lim       xml.Limits
	maxStanza atomic.Int64 // SetMaxStanzaBytes; 0: lim's
	bytesIn   atomic.Int64 // bytes of the messages read
	in        *inbox
	ctx       context.Context // cancelled by Close: ends the read loop
	stop      context.CancelFunc
	wmu       sync.Mutex // guards wdl
	wdl       time.Time
	close     sync.Once
}

func newWSTransport(c *websocket.Conn, lim xml.Limits) *wsTransport {
	ctx, stop := context.WithCancel(context.Background())
	return &wsTransport{conn: c, lim: lim, in: newInbox(), ctx: ctx, stop: stop}
}

// readLoop turns messages into inputs until the connection ends. It
// blocks while the session has not taken the previous input, so a
// client cannot make the server buffer more than one message.
func (t *wsTransport) readLoop() {
	for {
		typ, data, err := t.conn.Read(t.ctx)
		t.bytesIn.Add(int64(len(data)))
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusNormalClosure || errors.Is(err, io.EOF) {
				err = io.EOF
			}
			t.in.fail(err)
			return
		}
		in := t.parse(typ, data)
		t.in.push(in)
		if in.err != nil {
			return
		}
		t.in.waitTaken(t.ctx)
	}
}

// parse reads one message: <open/>, <close/> or one stanza (whose
// namespace defaults to jabber:client when the client left it out).
func (t *wsTransport) parse(typ websocket.MessageType, data []byte) input {
	if typ != websocket.MessageText {
		return input{err: stream.Errorf(stream.UnsupportedEncoding, "XMPP frames are UTF-8 text messages")}
	}
	data = bytes.TrimSpace(data)
	if bytes.HasPrefix(data, []byte("<stream:stream")) {
		return input{err: stream.Errorf(stream.InvalidNamespace, "use <open xmlns='"+ns.Framing+"'/> (RFC 7395), not <stream:stream>")}
	}
	if n := t.maxStanza.Load(); n > 0 && int64(len(data)) > n {
		return input{err: fmt.Errorf("%w: %d bytes, limit %d", xml.ErrTooLarge, len(data), n)}
	}
	el, err := xml.ParseElement(data, ns.Client, t.lim)
	if err != nil {
		return input{err: err}
	}
	if el.Space == ns.Framing {
		switch el.Name {
		case "open":
			return input{open: el}
		case "close":
			return input{err: xml.ErrStreamClosed}
		}
	}
	return input{el: el}
}

func (t *wsTransport) SetMaxStanzaBytes(n int) { t.maxStanza.Store(int64(n)) }

func (t *wsTransport) BytesIn() int64 { return t.bytesIn.Load() }

func (t *wsTransport) ReadHeader() (*xml.Element, error) { return t.in.readHeader() }
func (t *wsTransport) Next() (*xml.Element, error)       { return t.in.readElement() }

func (t *wsTransport) SetReadDeadline(d time.Time) error {
	t.in.deadline.set(d)
	return nil
}

func (t *wsTransport) SetWriteDeadline(d time.Time) error {
	t.wmu.Lock()
	t.wdl = d
	t.wmu.Unlock()
	return nil
}

func (t *wsTransport) Header(h stream.Header) []byte {
	el := xml.NewElement(ns.Framing, "open",
		xml.Attr{Name: "from", Value: h.From},
		xml.Attr{Name: "id", Value: h.ID},
		xml.Attr{Name: "version", Value: "1.0"},
		xml.Attr{Name: "xml:lang", Value: h.Lang})
	return el.Bytes("")
}

func (t *wsTransport) Trailer() []byte {
	return xml.NewElement(ns.Framing, "close").Bytes("")
}

func (t *wsTransport) ContentNamespace() string { return "" }

// Write sends each chunk as its own message (RFC 7395 §3.3.3). A write
// that misses its deadline closes the connection, as it would on TCP.
func (t *wsTransport) Write(chunks [][]byte) error {
	t.wmu.Lock()
	dl := t.wdl
	t.wmu.Unlock()
	ctx := t.ctx
	if !dl.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl)
		defer cancel()
	}
	for _, c := range chunks {
		if len(c) == 0 {
			continue
		}
		if err := t.conn.Write(ctx, websocket.MessageText, c); err != nil {
			return err
		}
	}
	return nil
}

// Close ends the WebSocket with a normal closure; the stream's <close/>
// has been sent by then.
func (t *wsTransport) Close() error {
	t.close.Do(func() {
		t.conn.Close(websocket.StatusNormalClosure, "")
		t.stop()
	})
	return nil
}
