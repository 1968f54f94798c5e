package component

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// conn is one component stream. It implements router.Component once
// authenticated.
type conn struct {
	srv    *Server
	nc     net.Conn
	dec    *xml.Decoder
	domain string // set by the handshake

	out     chan []byte   // serialized stanzas for the writer
	last    chan []byte   // the closing bytes (stream error, end tag), at most one
	closing chan struct{} // closed to make the writer write last and stop
	once    sync.Once

	mu         sync.Mutex
	registered bool // past the handshake, the writer runs (guarded by mu)
}

func newConn(s *Server, nc net.Conn) *conn {
	return &conn{srv: s, nc: nc, dec: xml.NewDecoder(nc, s.cfg.XMLLimits),
		out: make(chan []byte, s.cfg.QueueStanzas), last: make(chan []byte, 1), closing: make(chan struct{})}
}

// serve runs the stream: handshake, then stanzas until either side ends
// it.
func (c *conn) serve(ctx context.Context) {
	log := c.srv.log.With("remote", c.nc.RemoteAddr().String())
	defer c.nc.Close()
	c.nc.SetDeadline(time.Now().Add(c.srv.cfg.HandshakeTimeout))
	if err := c.handshake(); err != nil {
		log.Warn("component refused", "domain", c.domain, "err", err)
		var se *stream.Error
		if !errors.As(err, &se) {
			se = stream.Errorf(stream.InternalServerError, "")
		}
		c.nc.Write(closing(se))
		return
	}
	if !c.srv.router.AddComponent(c.domain, c) {
		log.Warn("component refused: domain already connected", "domain", c.domain)
		c.nc.Write(closing(stream.Errorf(stream.Conflict, c.domain+" is already connected")))
		return
	}
	defer c.srv.router.RemoveComponent(c.domain, c)
	if _, err := c.nc.Write([]byte("<handshake/>")); err != nil {
		return
	}
	c.nc.SetDeadline(time.Time{})
	c.mu.Lock()
	c.registered = true
	c.mu.Unlock()
	log = log.With("domain", c.domain)
	log.Info("component connected")
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.write()
	}()
	err := c.read(ctx)
	switch {
	case errors.Is(err, xml.ErrStreamClosed):
		c.closeWith(nil)
	case err != nil:
		var se *stream.Error
		if errors.As(err, &se) {
			log.Warn("component stream error", "condition", se.Condition, "text", se.Text)
			c.closeWith(se)
		} else {
			c.closeWith(nil)
		}
	}
	<-writerDone
	log.Info("component disconnected", "err", err)
}

// handshake reads the stream header and the <handshake/> (XEP-0114 §3).
func (c *conn) handshake() error {
	hdr, err := c.dec.ReadHeader()
	if err != nil {
		return stream.ReadError(err)
	}
	if hdr.Space != ns.Stream || hdr.Name != "stream" || c.dec.DefaultNamespace() != ns.ComponentAccept {
		c.nc.Write(header("", ""))
		return stream.Errorf(stream.InvalidNamespace, "expected a "+ns.ComponentAccept+" stream")
	}
	c.domain = strings.ToLower(hdr.Attr("to"))
	secret, ok := c.srv.cfg.Secrets[c.domain]
	id := randomID()
	if _, err := c.nc.Write(header(c.domain, id)); err != nil {
		return err
	}
	if !ok {
		return stream.Errorf(stream.HostUnknown, "no component is configured for "+c.domain)
	}
	el, err := c.dec.Next()
	if err != nil {
		return stream.ReadError(err)
	}
	if el.Space != ns.ComponentAccept || el.Name != "handshake" {
		return stream.Errorf(stream.NotAuthorized, "expected <handshake/>")
	}
	if !handshakeOK(el.Text, id, secret) {
		return stream.Errorf(stream.NotAuthorized, "wrong handshake")
	}
	return nil
}

// read handles the component's stanzas until the stream ends.
func (c *conn) read(ctx context.Context) error {
	for {
		el, err := c.dec.Next()
		if err != nil {
			return stream.ReadError(err)
		}
		switch el.Name {
		case stanza.Message, stanza.Presence, stanza.IQ:
		default:
			return stream.Errorf(stream.UnsupportedStanzaType, "<"+el.Name+"/> is not a stanza")
		}
		if el.Space != ns.ComponentAccept {
			return stream.Errorf(stream.InvalidNamespace, "stanzas must be in "+ns.ComponentAccept)
		}
		el = mapped(el, ns.ComponentAccept, ns.Client)
		from := c.domain
		if f := el.Attr("from"); f != "" {
			j, err := jid.Parse(f)
			if err != nil || j.Domain() != c.domain {
				return stream.Errorf(stream.InvalidFrom, "from must be an address of "+c.domain)
			}
			from = j.String()
		}
		to, err := jid.Parse(el.Attr("to"))
		if err != nil || to.IsZero() {
			if stanza.CanReplyWithError(el) {
				c.Receive(ctx, stanza.Error(stanza.WithAddress(el, from, el.Attr("to")), stanza.JIDMalformed, "invalid or missing 'to'"))
			}
			continue
		}
		c.srv.deliver(ctx, stanza.WithAddress(el, from, to.String()), func(answer *xml.Element) { c.Receive(ctx, answer) })
	}
}

// Receive implements router.Component: it queues a stanza for the
// component without blocking; a component too slow to keep up is
// disconnected.
func (c *conn) Receive(_ context.Context, el *xml.Element) {
	var b bytes.Buffer
	mapped(el, ns.Client, ns.ComponentAccept).WriteTo(&b, ns.ComponentAccept)
	select {
	case <-c.closing:
	case c.out <- b.Bytes():
	default:
		c.srv.log.Warn("component too slow: disconnected", "domain", c.domain, "queued", len(c.out))
		c.closeWith(stream.Errorf(stream.PolicyViolation, "too many stanzas waiting to be read"))
	}
}

// write sends queued stanzas until closing, then the closing bytes.
func (c *conn) write() {
	for {
		select {
		case b := <-c.out:
			c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
			if _, err := c.nc.Write(b); err != nil {
				c.closeWith(nil)
				c.nc.Close()
				return
			}
		case <-c.closing:
			c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
			c.nc.Write(<-c.last)
			c.nc.Close() // ends read
			return
		}
	}
}

// closeWith ends the stream once: with a stream error if se is not nil,
// then the end tag.
func (c *conn) closeWith(se *stream.Error) {
	c.once.Do(func() {
		if se == nil {
			c.last <- []byte(stream.Close)
		} else {
			c.last <- closing(se)
		}
		close(c.closing)
	})
}

// shutdown ends the stream because the server stops: with
// <system-shutdown/> once the writer runs, by closing the connection
// before (a component stalled in the handshake must not hold up Stop).
func (c *conn) shutdown() {
	c.mu.Lock()
	registered := c.registered
	c.mu.Unlock()
	if !registered {
		c.nc.Close()
		return
	}
	c.closeWith(stream.Errorf(stream.SystemShutdown, ""))
}

func header(from, id string) []byte {
	var b bytes.Buffer
	stream.AppendHeader(&b, stream.Header{From: from, ID: id, Content: ns.ComponentAccept})
	return b.Bytes()
}

func closing(se *stream.Error) []byte {
	var b bytes.Buffer
	stream.AppendElement(&b, se.Element(), ns.ComponentAccept)
	b.WriteString(stream.Close)
	return b.Bytes()
}

// mapped moves a stanza between the component and the client namespace.
func mapped(el *xml.Element, from, to string) *xml.Element { return stanza.MapNamespace(el, from, to) }
