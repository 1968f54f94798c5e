// Package xml is Parley's XML layer for the stanza hot path: a streaming
// decoder that cuts an XMPP stream into top-level elements, and a small
// element type that serializes without re-encoding what it received.
//
// It is hand-written rather than built on encoding/xml because XMPP
// needs much less than XML allows and much more control: encoding/xml
// allocates per token, cannot bound what a peer makes it buffer, and
// accepts constructs XMPP forbids (RFC 6120 §11.1: no comments,
// processing instructions, DTDs or entities other than the predefined
// five). Decoding is two-phase: a byte scanner frames one complete
// top-level element (enforcing Limits as bytes arrive, resumable after a
// read timeout), then a parser builds the tree from that slice. An
// element keeps its received inner bytes in Inner (sub-slices of one
// copy of the stanza) unless they depend on a namespace declaration
// that WriteTo would not reproduce (a prefix declared outside it, or a
// prefixed element whose default namespace differs), so a routed stanza
// is written with a new start tag and a single copy of its payload.
package xml

import (
	"bytes"
	"io"
	"sync"
)

// Limits bound what a peer can make us buffer, and the work a stanza
// costs.
type Limits struct {
	MaxStanzaBytes int // bytes of one top-level element, children included
	MaxDepth       int // element nesting depth inside a stanza
	MaxAttrs       int // attributes per element
	// MaxNamespaces caps the prefixed namespace declarations
	// (xmlns:p='...') in scope inside one stanza.
	MaxNamespaces int
}

// DefaultLimits are RFC-friendly defaults: 256 KiB stanzas.
var DefaultLimits = Limits{MaxStanzaBytes: 256 << 10, MaxDepth: 32, MaxAttrs: 64, MaxNamespaces: 64}

func (l Limits) withDefaults() Limits {
	if l.MaxStanzaBytes <= 0 {
		l.MaxStanzaBytes = DefaultLimits.MaxStanzaBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.MaxAttrs <= 0 {
		l.MaxAttrs = DefaultLimits.MaxAttrs
	}
	if l.MaxNamespaces <= 0 {
		l.MaxNamespaces = DefaultLimits.MaxNamespaces
	}
	return l
}

const (
	smallSize = 512     // embedded read buffer: enough for most stanzas, costs no allocation
	readSize  = 4 << 10 // pooled read buffer for larger input
	headerMax = 8 << 10 // stream header and XML declaration
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, readSize); return &b }}

// Decoder reads one XMPP stream: an optional XML declaration, the stream
// header, then top-level elements until the stream's end tag.
type Decoder struct {
	r       io.Reader
	lim     Limits
	buf     []byte           // buf[pos:end] is unread
	pooled  *[]byte          // d.buf's pool entry, when it came from bufPool
	small   *[smallSize]byte // allocated on the first blocking read
	drained bool             // the last Read did not fill the buffer
	// nonBlocking: reads return at once when there is no input (the
	// reader is polled), so no read ever waits holding a buffer: every
	// buffer is pooled and goes back as soon as nothing is pending.
	nonBlocking bool
	pos, end    int
	scan        scanState
	header      []byte // qualified name of the stream header, for the end tag
	defSpace    string
	decls       []nsDecl
	err         error // sticky syntax error
}

// NewDecoder returns a Decoder reading from r.
func NewDecoder(r io.Reader, lim Limits) *Decoder {
	return &Decoder{r: r, lim: lim.withDefaults()}
}

// Reset makes the decoder read a new stream from r, dropping anything
// buffered (stream restart after STARTTLS or SASL).
func (d *Decoder) Reset(r io.Reader) {
	d.release()
	*d = Decoder{r: r, lim: d.lim, small: d.small}
}

// SetMaxStanzaBytes changes the size limit for the elements read from
// now on (0: the default); a stream lowers it until its client has
// authenticated.
func (d *Decoder) SetMaxStanzaBytes(n int) {
	if n <= 0 {
		n = DefaultLimits.MaxStanzaBytes
	}
	d.lim.MaxStanzaBytes = n
}

// SetNonBlocking tells the decoder whether its reader returns at once
// when it has no input (with an error such as a would-block, after
// which Next may be called again). Then the decoder holds no buffer
// while nothing is pending, not even its small embedded one's worth:
// it reads into pooled buffers only.
func (d *Decoder) SetNonBlocking(on bool) {
	d.nonBlocking = on
	if !on {
		return
	}
	if d.pos == d.end && d.scan.off == 0 {
		d.pos, d.end = 0, 0
		d.release()
	}
	if d.small != nil && (d.buf == nil || &d.buf[0] != &d.small[0]) {
		d.small = nil
	}
}

// DefaultNamespace is the stream header's default namespace (the content
// namespace, e.g. jabber:client), "" if none.
func (d *Decoder) DefaultNamespace() string { return d.defSpace }

// ReadHeader reads the optional XML declaration and the stream header
// start tag, returned as an element without children. Its namespace is
// resolved from its prefix; the caller checks it.
func (d *Decoder) ReadHeader() (*Element, error) {
	if d.err != nil {
		return nil, d.err
	}
	for {
		d.skipSpace()
		avail := d.buf[d.pos:d.end]
		if len(avail) > 0 && avail[0] != '<' {
			return nil, d.fail(errorf(ErrNotWellFormed, "expected a stream header"))
		}
		if len(avail) >= 2 {
			switch avail[1] {
			case '!':
				return nil, d.fail(errorf(ErrRestrictedXML, "comments and DTDs are not allowed"))
			case '?':
				if len(avail) >= 6 {
					if !bytes.HasPrefix(avail, []byte("<?xml")) || !isSpace(avail[5]) {
						return nil, d.fail(errorf(ErrRestrictedXML, "processing instructions are not allowed"))
					}
					if i := bytes.Index(avail, []byte("?>")); i >= 0 {
						decl := bytes.ToLower(avail[:i])
						if bytes.Contains(decl, []byte("encoding")) && !bytes.Contains(decl, []byte("utf-8")) {
							return nil, d.fail(errorf(ErrNotWellFormed, "only UTF-8 is supported"))
						}
						d.pos += i + 2
						continue
					}
				}
			default:
				if i := tagEnd(avail); i == tagBroken {
					return nil, d.fail(errorf(ErrNotWellFormed, "'<' inside the stream header"))
				} else if i >= headerMax {
					return nil, d.fail(errorf(ErrTooLarge, "stream header too large"))
				} else if i >= 0 {
					return d.header0(avail[:i+1])
				}
			}
		}
		if d.end-d.pos > headerMax {
			return nil, d.fail(errorf(ErrTooLarge, "stream header too large"))
		}
		if err := d.fill(); err != nil {
			return nil, err
		}
	}
}

func (d *Decoder) header0(tag []byte) (*Element, error) {
	if bytes.HasSuffix(tag, []byte("/>")) {
		return nil, d.fail(errorf(ErrNotWellFormed, "the stream header must stay open"))
	}
	// Parse "<tag ...>" as if it were "<tag .../>".
	raw := make([]byte, 0, len(tag)+1)
	raw = append(append(raw, tag[:len(tag)-1]...), '/', '>')
	p := parser{raw: raw, lim: d.lim}
	el, _, err := p.startTag("", 1)
	if err != nil {
		return nil, d.fail(err)
	}
	d.pos += len(tag)
	d.header = append([]byte(nil), p.frames[0].qname...)
	d.defSpace = p.frames[0].defSpace
	// Keep the header's prefix declarations (stream:) in scope for the
	// stream's elements, at depth 0.
	for _, dl := range p.decls {
		d.decls = append(d.decls, nsDecl{prefix: dl.prefix, uri: dl.uri, depth: 0})
	}
	el.Inner = nil
	return el, nil
}

// Next returns the next top-level element, or ErrStreamClosed at the
// stream's end tag. Whitespace between elements is skipped. After a read
// error (such as a timeout) Next may be called again: buffered input is
// kept.
func (d *Decoder) Next() (*Element, error) {
	if d.err != nil {
		return nil, d.err
	}
	for {
		if d.scan.off == 0 {
			d.skipSpace()
			if d.pos == d.end {
				d.idle()
			}
		}
		if d.end > d.pos {
			if d.buf[d.pos] != '<' {
				return nil, d.fail(errorf(ErrNotWellFormed, "text outside of a stanza"))
			}
			if d.end-d.pos >= 2 && d.buf[d.pos+1] == '/' {
				i := bytes.IndexByte(d.buf[d.pos:d.end], '>')
				if i >= 0 {
					name := bytes.TrimRight(d.buf[d.pos+2:d.pos+i], " \t\r\n")
					if d.header != nil && bytes.Equal(name, d.header) {
						d.pos += i + 1
						d.err = ErrStreamClosed
						return nil, ErrStreamClosed
					}
					return nil, d.fail(errorf(ErrNotWellFormed, "unexpected end tag"))
				}
			} else {
				n, err := d.scan.run(d.buf[d.pos:d.end], d.lim)
				if err != nil {
					return nil, d.fail(err)
				}
				if n > d.lim.MaxStanzaBytes {
					return nil, d.fail(errorf(ErrTooLarge, "%d bytes, limit %d", n, d.lim.MaxStanzaBytes))
				}
				if n > 0 {
					el, err := d.parse(d.buf[d.pos:d.pos+n], d.scan.tags)
					d.pos += n
					d.scan.reset()
					if err != nil {
						return nil, d.fail(err)
					}
					return el, nil
				}
			}
		}
		if d.end-d.pos > d.lim.MaxStanzaBytes {
			return nil, d.fail(errorf(ErrTooLarge, "more than %d bytes", d.lim.MaxStanzaBytes))
		}
		if err := d.fill(); err != nil {
			return nil, err
		}
	}
}

func (d *Decoder) parse(b []byte, tags int) (*Element, error) {
	raw := bytes.Clone(b)
	// The stream-level declarations are never popped, and capping the
	// capacity makes the stanza's own declarations go to a new array.
	p := parser{raw: raw, lim: d.lim, decls: d.decls[:len(d.decls):len(d.decls)], base: len(d.decls), elems: make([]Element, tags)}
	return p.parse(d.defSpace, 0)
}

func (d *Decoder) fail(err error) error {
	d.err = err
	return err
}

func (d *Decoder) skipSpace() {
	for d.pos < d.end && isSpace(d.buf[d.pos]) {
		d.pos++
	}
}

// fill reads more input, compacting or growing the buffer as needed.
func (d *Decoder) fill() error {
	if d.buf == nil {
		if d.nonBlocking {
			d.pooled = bufPool.Get().(*[]byte)
			d.buf = *d.pooled
		} else {
			if d.small == nil {
				d.small = new([smallSize]byte)
			}
			d.buf = d.small[:]
		}
	}
	if d.pos > 0 {
		n := copy(d.buf, d.buf[d.pos:d.end])
		d.pos, d.end = 0, n
	}
	if !d.nonBlocking && d.small != nil && d.drained && len(d.buf) > smallSize && d.end <= smallSize/2 {
		// Only the start of the next stanza is pending (after a large
		// one): wait for input in the embedded buffer, as idle does.
		d.end = copy(d.small[:], d.buf[:d.end])
		d.release()
		d.buf = d.small[:]
	}
	if d.end == len(d.buf) {
		d.grow()
	}
	n, err := d.r.Read(d.buf[d.end:])
	d.end += n
	d.drained = d.end < len(d.buf)
	if n > 0 {
		return nil
	}
	if d.nonBlocking && d.end == 0 {
		d.release() // nothing pending while the reader waits for input
	}
	if err == nil {
		return io.ErrNoProgress
	}
	return err
}

// grow moves the pending bytes to a larger buffer: the small embedded
// one, then a pooled readSize buffer, then doubling allocations bounded
// by the stanza limit.
func (d *Decoder) grow() {
	var next []byte
	var pooled *[]byte
	if len(d.buf) < readSize {
		pooled = bufPool.Get().(*[]byte)
		next = *pooled
	} else {
		// The stream header may be larger than a small MaxStanzaBytes.
		next = make([]byte, min(2*len(d.buf), max(d.lim.MaxStanzaBytes, headerMax)+readSize))
	}
	copy(next, d.buf[:d.end])
	d.release()
	d.buf, d.pooled = next, pooled
}

// idle drops every buffer but the small embedded one when nothing is
// pending and the last read drained the socket: a connection waiting
// for its next stanza holds no heap buffer (the blocked Read fills the
// embedded array), while a busy one keeps reading in large chunks.
func (d *Decoder) idle() {
	d.pos, d.end = 0, 0
	if d.nonBlocking {
		if d.buf != nil && d.drained {
			d.release()
		}
		return
	}
	if d.buf != nil && d.small != nil && len(d.buf) > smallSize && d.drained {
		d.release()
		d.buf = d.small[:]
	}
}

// release returns the pooled buffer, if any; d.buf must be replaced by
// the caller.
func (d *Decoder) release() {
	if d.pooled != nil {
		bufPool.Put(d.pooled)
		d.pooled = nil
	}
	d.buf = nil
}

// tagEnd returns the index of the '>' closing the tag at b[0], honouring
// quotes, or -1 if it is not complete.
func tagEnd(b []byte) int {
	end, _ := tagEndFrom(b, 1, 0)
	return end
}

// tagBroken is tagEndFrom's answer for a '<' inside a tag, which no
// well-formed tag contains (not even in an attribute value).
const tagBroken = -2

// tagEndFrom continues looking for the '>' closing a tag at b[i:], q
// being the quote open at i (0 if none). It returns the index of the
// '>', tagBroken at a '<', or -1 and the quote open at the end of b.
func tagEndFrom(b []byte, i int, q byte) (int, byte) {
	for ; i < len(b); i++ {
		c := b[i]
		if !tagSpecial[c] {
			continue
		}
		switch {
		case c == '<':
			return tagBroken, 0
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '\'' || c == '"':
			q = c
		case c == '>':
			return i, 0
		}
	}
	return -1, q
}

// tagSpecial marks the bytes tagEndFrom must look at; it skips the rest
// with one load and test each.
var tagSpecial = [256]bool{'<': true, '>': true, '\'': true, '"': true}
