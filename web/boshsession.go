package web

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// terminateMarker is what Trailer returns: Write sees it and ends the
// session with a terminate body. No serialized element looks like it.
var terminateMarker = []byte("<!--terminate-->")

// boshSession is one BOSH session and the c2s.Transport of its stream.
// Requests carry the client's elements in rid order into the inbox;
// the session's output collects in out until a held request takes it.
type boshSession struct {
	w    *Web
	sid  string
	in   *inbox
	wait time.Duration
	hold int

	mu         sync.Mutex
	lastRID    int64                  // highest rid processed, in order
	early      map[int64]*boshRequest // arrived ahead of a missing rid
	held       []*boshRequest         // waiting for output, oldest first
	replies    map[int64][]byte       // recent responses, for replays
	out        [][]byte               // output not yet in a response
	outBytes   int
	drained    chan struct{} // capacity 1: out was taken
	from       string        // stream header: our domain and stream id
	authid     string
	created    bool   // the creation response (with the session attributes) is out
	ending     bool   // the stream is closing: the next response terminates
	condition  string // terminate condition, "" for a normal end
	ended      bool
	inactivity time.Duration // current allowance (a pause may raise it)
	idle       *time.Timer   // runs while no request is held
	wdl        time.Time     // write deadline
	maxStanza  atomic.Int64  // SetMaxStanzaBytes; 0: the body limit only
	bytesIn    atomic.Int64  // bytes of the elements taken in (about: their size as parsed)
}

type boshRequest struct {
	rid   int64
	body  *xml.Element
	reply chan []byte // capacity 1
}

func newBOSHSession(w *Web, rid int64, body *xml.Element) *boshSession {
	wait := w.cfg.BOSHMaxWait
	if v, err := strconv.Atoi(body.Attr("wait")); err == nil && v >= 0 && time.Duration(v)*time.Second < wait {
		wait = time.Duration(v) * time.Second
	}
	hold := boshMaxHold
	if v, err := strconv.Atoi(body.Attr("hold")); err == nil && v >= 0 && v < hold {
		hold = v
	}
	s := &boshSession{
		w: w, sid: randomSID(), in: newInbox(), wait: wait, hold: hold,
		lastRID: rid - 1, early: make(map[int64]*boshRequest), replies: make(map[int64][]byte),
		drained: make(chan struct{}, 1), from: body.Attr("to"), inactivity: w.cfg.BOSHInactivity,
	}
	s.idle = time.AfterFunc(s.inactivity, s.inactive)
	return s
}

// requests is how many requests the client may have open at once.
func (s *boshSession) requests() int { return s.hold + 1 }

// handle processes one request and answers it once output is there, its
// wait is over, or a newer request takes its place.
func (s *boshSession) handle(rw http.ResponseWriter, r *http.Request, rid int64, body *xml.Element) {
	s.mu.Lock()
	if s.ended && s.lastRID < rid {
		s.mu.Unlock()
		writeBody(rw, http.StatusOK, terminate("item-not-found"))
		return
	}
	switch {
	case rid <= s.lastRID:
		// A retry of a request whose answer the client missed.
		b, ok := s.replies[rid]
		s.mu.Unlock()
		if !ok {
			b = terminate("item-not-found")
		}
		writeBody(rw, http.StatusOK, b)
		return
	case rid > s.lastRID+int64(s.requests()), s.early[rid] != nil:
		s.mu.Unlock()
		s.end("item-not-found")
		writeBody(rw, http.StatusOK, terminate("item-not-found"))
		return
	case len(s.held)+len(s.early) >= s.requests():
		s.mu.Unlock()
		s.end("policy-violation")
		writeBody(rw, http.StatusOK, terminate("policy-violation"))
		return
	}
	req := &boshRequest{rid: rid, body: body, reply: make(chan []byte, 1)}
	s.early[rid] = req
	for next := s.early[s.lastRID+1]; next != nil; next = s.early[s.lastRID+1] {
		delete(s.early, next.rid)
		s.lastRID = next.rid
		s.process(next)
	}
	for len(s.held) > s.hold {
		s.respond(s.held[0])
	}
	s.flush()
	s.armIdle()
	s.mu.Unlock()

	timer := time.NewTimer(s.wait)
	defer timer.Stop()
	select {
	case b := <-req.reply:
		writeBody(rw, http.StatusOK, b)
	case <-timer.C:
		s.mu.Lock()
		s.respondIfHeld(req)
		s.mu.Unlock()
		writeBody(rw, http.StatusOK, <-req.reply)
	case <-r.Context().Done():
		// The client is gone. A reply it misses stays in the replay
		// window; a request still held is dropped unanswered.
		s.mu.Lock()
		s.dropHeld(req)
		s.mu.Unlock()
	}
}

// process takes in a request's payload (in rid order) and holds it.
func (s *boshSession) process(req *boshRequest) {
	b := req.body
	if b.Attr("sid") == "" || xboshAttr(b, "restart") == "true" {
		s.in.push(input{open: openElement(b)}) // creation or restart
	}
	for _, c := range b.Children {
		if n := s.maxStanza.Load(); n > 0 && int64(c.Size()) > n {
			s.in.push(input{err: fmt.Errorf("%w: about %d bytes, limit %d", xml.ErrTooLarge, c.Size(), n)})
			break
		}
		s.bytesIn.Add(int64(c.Size()))
		s.in.push(input{el: c})
	}
	if b.Attr("type") == "terminate" {
		s.in.fail(xml.ErrStreamClosed)
	}
	s.held = append(s.held, req)
	if p, err := strconv.Atoi(b.Attr("pause")); err == nil && p > 0 {
		// XEP-0124 §10: answer everything now, then allow the pause.
		s.inactivity = min(time.Duration(p)*time.Second, s.w.cfg.BOSHMaxPause)
		for len(s.held) > 0 {
			s.respond(s.held[0])
		}
	}
}

// xboshAttr returns the urn:xmpp:xbosh attribute local of a body,
// whatever prefix the client bound to that namespace.
func xboshAttr(b *xml.Element, local string) string {
	for _, a := range b.Attrs {
		if a.Value == ns.XBOSH && strings.HasPrefix(a.Name, "xmlns:") {
			return b.Attr(a.Name[len("xmlns:"):] + ":" + local)
		}
	}
	return b.Attr("xmpp:" + local)
}

// openElement turns a creation or restart request into the stream open
// the c2s session checks.
func openElement(b *xml.Element) *xml.Element {
	version := xboshAttr(b, "version")
	if version == "" {
		version = "1.0" // XEP-0206 makes it required; old clients omit it
	}
	return xml.NewElement(ns.Framing, "open",
		xml.Attr{Name: "to", Value: b.Attr("to")},
		xml.Attr{Name: "version", Value: version},
		xml.Attr{Name: "xml:lang", Value: b.Attr("xml:lang")})
}

// flush answers the oldest held request if there is output or the
// stream is ending.
func (s *boshSession) flush() {
	if s.ending {
		for rid, r := range s.early { // no longer waiting for anything
			delete(s.early, rid)
			s.held = append(s.held, r)
		}
	}
	if len(s.held) == 0 || (len(s.out) == 0 && !s.ending) {
		return
	}
	s.respond(s.held[0])
	for s.ending && len(s.held) > 0 {
		s.respond(s.held[0])
	}
}

func (s *boshSession) respondIfHeld(req *boshRequest) {
	for _, h := range s.held {
		if h == req {
			s.respond(req)
			return
		}
	}
}

func (s *boshSession) dropHeld(req *boshRequest) {
	for i, h := range s.held {
		if h == req {
			s.held = append(s.held[:i], s.held[i+1:]...)
			s.armIdle()
			return
		}
	}
}

// respond answers a held request with everything queued (the held list
// is answered oldest first).
func (s *boshSession) respond(req *boshRequest) {
	var b bytes.Buffer
	b.WriteString("<body xmlns='" + ns.HTTPBind + "'")
	if !s.created {
		s.created = true
		attr(&b, "sid", s.sid)
		attr(&b, "wait", strconv.Itoa(int(s.wait/time.Second)))
		attr(&b, "requests", strconv.Itoa(s.requests()))
		attr(&b, "hold", strconv.Itoa(s.hold))
		attr(&b, "inactivity", strconv.Itoa(int(s.w.cfg.BOSHInactivity/time.Second)))
		attr(&b, "maxpause", strconv.Itoa(int(s.w.cfg.BOSHMaxPause/time.Second)))
		attr(&b, "polling", strconv.Itoa(boshPolling))
		attr(&b, "ver", boshVersion)
		attr(&b, "from", s.from)
		attr(&b, "authid", s.authid)
		attr(&b, "secure", "true")
		b.WriteString(" xmlns:xmpp='" + ns.XBOSH + "' xmpp:version='1.0' xmpp:restartlogic='true'")
		b.WriteString(" xmlns:stream='" + ns.Stream + "'")
	}
	terminating := s.ending
	if terminating {
		attr(&b, "type", "terminate")
		if s.condition != "" {
			attr(&b, "condition", s.condition)
		}
	}
	b.WriteByte('>')
	for _, c := range s.out {
		b.Write(c)
	}
	b.WriteString("</body>")
	clear(s.out)
	s.out, s.outBytes = s.out[:0], 0
	select {
	case s.drained <- struct{}{}:
	default:
	}
	reply := b.Bytes()
	s.replies[req.rid] = reply
	delete(s.replies, req.rid-int64(s.requests()))
	s.dropHeld(req)
	req.reply <- reply
	if terminating {
		s.ended = true
		s.idle.Stop()
		s.w.bosh.remove(s)
	}
}

// armIdle runs the inactivity timer while no request is held.
func (s *boshSession) armIdle() {
	if len(s.held) == 0 && !s.ended {
		s.idle.Reset(s.inactivity)
	} else {
		s.idle.Stop()
	}
}

// inactive ends a session whose client stopped making requests; a
// session already ending is dropped with whatever it could not deliver.
func (s *boshSession) inactive() {
	s.mu.Lock()
	idle := len(s.held) == 0 && !s.ended
	if idle && s.ending {
		s.ended = true
		s.w.bosh.remove(s)
	}
	s.mu.Unlock()
	if idle {
		s.in.fail(stream.Errorf(stream.ConnectionTimeout, "no BOSH request within the inactivity period"))
	}
}

// end terminates the session with condition: the next response (a held
// request, or the client's next one) carries the terminate.
func (s *boshSession) end(condition string) {
	s.mu.Lock()
	if !s.ending {
		s.ending, s.condition = true, condition
	}
	s.flush()
	s.armIdle() // with no request held, the terminate waits one inactivity period
	s.mu.Unlock()
	s.in.fail(net.ErrClosed)
}

// c2s.Transport.

func (s *boshSession) SetMaxStanzaBytes(n int) { s.maxStanza.Store(int64(n)) }

func (s *boshSession) BytesIn() int64 { return s.bytesIn.Load() }

func (s *boshSession) ReadHeader() (*xml.Element, error) { return s.in.readHeader() }
func (s *boshSession) Next() (*xml.Element, error)       { return s.in.readElement() }

func (s *boshSession) SetReadDeadline(t time.Time) error {
	s.in.deadline.set(t)
	return nil
}

func (s *boshSession) SetWriteDeadline(t time.Time) error {
	s.mu.Lock()
	s.wdl = t
	s.mu.Unlock()
	return nil
}

// Header records the stream's identity for the creation response;
// BOSH has no stream header of its own.
func (s *boshSession) Header(h stream.Header) []byte {
	s.mu.Lock()
	s.from, s.authid = h.From, h.ID
	s.mu.Unlock()
	return nil
}

func (s *boshSession) Trailer() []byte          { return terminateMarker }
func (s *boshSession) ContentNamespace() string { return "" }

// Write queues chunks for the next response. Output beyond
// boshMaxBytes waits for the client to fetch it, until the write
// deadline: a client that stops polling becomes a slow consumer.
func (s *boshSession) Write(chunks [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range chunks {
		switch {
		case bytes.Equal(c, terminateMarker):
			s.ending = true
		case bytes.HasPrefix(c, []byte("<stream:error")):
			s.condition = "remote-stream-error"
			fallthrough
		case len(c) > 0:
			s.out = append(s.out, c)
			s.outBytes += len(c)
		}
	}
	s.flush()
	for s.outBytes > boshMaxBytes && !s.ended {
		dl := s.wdl
		s.mu.Unlock()
		var expired <-chan time.Time
		if !dl.IsZero() {
			t := time.NewTimer(time.Until(dl))
			defer t.Stop()
			expired = t.C
		}
		select {
		case <-s.drained:
		case <-expired:
			s.mu.Lock()
			return os.ErrDeadlineExceeded
		}
		s.mu.Lock()
	}
	return nil
}

// Close ends the session: held requests are answered with what is left
// and a terminate body.
func (s *boshSession) Close() error {
	s.end("")
	return nil
}

func attr(b *bytes.Buffer, name, value string) {
	b.WriteString(" " + name + "='")
	xml.EscapeAttr(b, value)
	b.WriteByte('\'')
}
