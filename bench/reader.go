package bench

import (
	"bytes"
	"sync/atomic"
	"time"
)

// scanner finds timestamps ("<marker>t=<unix nanos><") in a byte
// stream and records their latency. It keeps an unfinished tail for
// the next read and allocates nothing per message.
type scanner struct {
	marker   []byte
	skipSelf bool // ignore stanzas the connection's own user sent
	hist     atomic.Pointer[histogram]
}

func newScanner(marker []byte, skipSelf bool) *scanner {
	s := &scanner{marker: marker, skipSelf: skipSelf}
	s.hist.Store(&histogram{})
	return s
}

var (
	chatMarker     = []byte("<body>t=")
	presenceMarker = []byte("<status>t=")
)

// read scans c until the connection ends. bufSize bounds the memory a
// reader holds; stanzas are far smaller.
func (s *scanner) read(c *conn, bufSize int) {
	buf := make([]byte, bufSize)
	// Bytes the login reader already buffered come first.
	n := copy(buf, peekAll(c))
	keep := 0
	for {
		if n > 0 {
			total := keep + n
			keep = s.scan(c, buf[:total])
			copy(buf, buf[total-keep:total])
		}
		var err error
		n, err = c.Conn.Read(buf[keep:])
		if err != nil && n == 0 {
			return
		}
	}
}

func peekAll(c *conn) []byte {
	if c.r == nil {
		return nil
	}
	b, _ := c.r.Peek(c.r.Buffered())
	c.r = nil
	return b
}

// scan records every complete timestamp in data and returns how many
// bytes at its end must be kept for the next read (a marker may be cut).
func (s *scanner) scan(c *conn, data []byte) (keep int) {
	now := time.Now().UnixNano()
	hist := s.hist.Load()
	off := 0
	for {
		i := bytes.Index(data[off:], s.marker)
		if i < 0 {
			break
		}
		i += off
		start := i + len(s.marker)
		j := bytes.IndexByte(data[start:], '<')
		if j < 0 {
			// The timestamp is cut: keep from the marker, with the
			// stanza's start tag before it for the sender check.
			return len(data) - max(off, i-256)
		}
		off = start + j
		if s.skipSelf && s.fromSelf(c, data[:i]) {
			continue
		}
		var ts int64
		for _, d := range data[start : start+j] {
			ts = ts*10 + int64(d-'0')
		}
		hist.record(time.Duration(now - ts))
	}
	// Keep a tail long enough to hold a cut marker and, for the
	// sender check, the stanza's start tag.
	keep = min(len(data)-off, len(s.marker)+256)
	return keep
}

// fromSelf reports whether the stanza holding the marker (whose start
// tag is the last "<presence" in head) was sent by c's own user.
func (s *scanner) fromSelf(c *conn, head []byte) bool {
	k := bytes.LastIndex(head, []byte("<presence"))
	if k < 0 {
		return false
	}
	tag := head[k:]
	if e := bytes.IndexByte(tag, '>'); e >= 0 {
		tag = tag[:e]
	}
	return bytes.Contains(tag, c.fromSelf1) || bytes.Contains(tag, c.fromSelf2)
}
