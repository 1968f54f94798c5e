package im

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Calls tracks the iq requests the server itself sends to clients (such
// as a disco#info query for entity capabilities) and hands each answer
// to its callback. The dispatcher feeds it every iq result or error a
// client addresses to a served domain.
//
// Bounded: at most max requests wait at once (a further Send fails at
// once), each for at most its timeout. Locking: mu guards pending; no
// callback runs under it.
type Calls struct {
	mu      sync.Mutex
	pending map[string]*call
	max     int
}

type call struct {
	to    string // full JID the request went to: only it may answer
	fn    func(*xml.Element)
	timer *time.Timer
}

// NewCalls returns a tracker for at most max requests at once.
func NewCalls(max int) *Calls {
	return &Calls{pending: make(map[string]*call), max: max}
}

// Send delivers the iq request to the session s, with a fresh id and
// from set to from (a served domain). fn gets the answer, or nil when
// none came within timeout or the request could not be sent; it is
// called once, from the goroutine that delivered the answer or from a
// timer's.
func (c *Calls) Send(s router.Session, from string, iq *xml.Element, timeout time.Duration, fn func(*xml.Element)) {
	var b [12]byte
	rand.Read(b[:])
	id := "parley-" + hex.EncodeToString(b[:])
	to := s.JID().String()
	c.mu.Lock()
	if len(c.pending) >= c.max {
		c.mu.Unlock()
		fn(nil)
		return
	}
	cl := &call{to: to, fn: fn}
	c.pending[id] = cl
	cl.timer = time.AfterFunc(timeout, func() {
		if c.take(id, "") != nil {
			fn(nil)
		}
	})
	c.mu.Unlock()
	req := stanza.WithAddress(iq, from, to)
	req.SetAttr("id", id)
	s.Deliver(req)
}

// take removes and returns the call id if from may answer it ("" for
// the timer).
func (c *Calls) take(id, from string) *call {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.pending[id]
	if !ok || (from != "" && cl.to != from) {
		return nil
	}
	delete(c.pending, id)
	return cl
}

// Resolve hands an iq result or error to the call it answers and
// reports whether it answered one.
func (c *Calls) Resolve(el *xml.Element) bool {
	cl := c.take(el.Attr("id"), el.Attr("from"))
	if cl == nil {
		return false
	}
	cl.timer.Stop()
	cl.fn(el)
	return true
}
