package c2s

import (
	"context"
	"strconv"
	"time"

	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// XEP-0198 stream management. Once a bound client enables it, both
// sides count the stanzas they handle; the server keeps every stanza it
// sends until the client acknowledges it. When a resumable session's
// connection is lost the session hibernates: it stays bound (stanzas for
// it are kept) until the client resumes it on a new connection or the
// resume timeout passes. Then it ends, and what the client never
// acknowledged goes back to the handler (offline storage, other
// resources, or an error to the sender): nothing is silently lost.

// streamMgmt is a session's stream management state, guarded by
// Session.mu.
type streamMgmt struct {
	id          string // resumption id; "" when not resumable
	inbound     uint32 // stanzas handled from the client (its h)
	acked       uint32 // the last h the client acknowledged
	unacked     []unackedStanza
	bytes       int  // sizes of unacked, summed
	requested   bool // an <r/> is outstanding
	hibernating bool
	expired     bool
	ended       bool // the session is gone: its unacknowledged stanzas were handed back
	timer       *time.Timer
	parked      chan struct{} // closed once hibernating (for a takeover)
}

// unackedStanza is a stanza sent (or held for a resumption) that the
// client has not acknowledged, with the bytes it is charged.
type unackedStanza struct {
	el   *xml.Element
	size int
}

// outbound is the number of stanzas sent, modulo 2^32 as h is.
func (m *streamMgmt) outbound() uint32 { return m.acked + uint32(len(m.unacked)) }

// keep records el as sent and unacknowledged; it reports true when that
// takes the session past maxCount stanzas or maxBytes bytes (0: no
// limit), which ends it: a client that does not acknowledge is as bad
// as one that does not read, and one waiting for a resumption must not
// hold more than a connected one could.
func (m *streamMgmt) keep(el *xml.Element, size, maxCount, maxBytes int) (over bool) {
	m.unacked = append(m.unacked, unackedStanza{el, size})
	m.bytes += size
	return (maxCount > 0 && len(m.unacked) > maxCount) || (maxBytes > 0 && m.bytes > maxBytes)
}

// ack drops the stanzas the client acknowledged with h; false if h
// acknowledges more than was sent.
func (m *streamMgmt) ack(h uint32) bool {
	n := h - m.acked
	if n > uint32(len(m.unacked)) {
		return false
	}
	for _, u := range m.unacked[:n] {
		m.bytes -= u.size
	}
	clear(m.unacked[:n])
	m.unacked = m.unacked[n:]
	m.acked = h
	return true
}

func smElement(name string, attrs ...xml.Attr) *xml.Element {
	return xml.NewElement(ns.SM, name, attrs...)
}

func smFailed(cond stanza.Condition, h *uint32) *xml.Element {
	f := smElement("failed")
	if h != nil {
		f.SetAttr("h", strconv.FormatUint(uint64(*h), 10))
	}
	return f.AddChild(xml.NewElement(ns.Stanzas, cond.Name))
}

func parseH(el *xml.Element) (uint32, bool) {
	h, err := strconv.ParseUint(el.Attr("h"), 10, 32)
	return uint32(h), err == nil
}

// handled counts a stanza from the client. Called by the reading
// goroutine, which is also the only one that sets s.sm (handleSM): the
// unlocked nil check keeps the lock off the hot path without stream
// management.
func (s *Session) handled() {
	if s.sm == nil {
		return
	}
	s.mu.Lock()
	s.sm.inbound++
	s.mu.Unlock()
}

// resumable reports whether the session may hibernate.
func (s *Session) resumable() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sm != nil && s.sm.id != ""
}

// ackRequest returns an <r/> to send after a batch with unacknowledged
// stanzas, unless one is outstanding (called by the writer).
func (s *Session) ackRequest() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sm == nil || s.sm.requested || len(s.sm.unacked) == 0 || s.sm.hibernating {
		return nil
	}
	s.sm.requested = true
	return smElement("r").Bytes("")
}

// pushLocked queues a non-stanza element; s.mu is held, so it is
// ordered with the stanzas Deliver counts.
func (s *Session) pushLocked(el *xml.Element) {
	s.out.push(el.Bytes(s.content))
}

// handleSM handles a stream management element of a bound session.
func (s *Session) handleSM(el *xml.Element) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case el.Name == "enable" && s.sm == nil:
		s.sm = &streamMgmt{parked: make(chan struct{})}
		enabled := smElement("enabled")
		if v := el.Attr("resume"); (v == "true" || v == "1") && s.srv.cfg.ResumeTimeout > 0 {
			s.sm.id = randomID()
			s.srv.addResumable(s.sm.id, s)
			enabled.SetAttr("id", s.sm.id)
			enabled.SetAttr("resume", "true")
			enabled.SetAttr("max", strconv.Itoa(int(s.srv.cfg.ResumeTimeout/time.Second)))
		}
		s.pushLocked(enabled)
		s.logger().Debug("stream management enabled", "resumable", s.sm.id != "")
	case el.Name == "enable", el.Name == "resume":
		s.pushLocked(smFailed(stanza.UnexpectedRequest, nil))
	case s.sm == nil:
		// <r/> and <a/> before <enable/>: nothing to count against.
		return stream.Errorf(stream.UnsupportedStanzaType, "enable stream management first")
	case el.Name == "r":
		s.pushLocked(smElement("a", xml.Attr{Name: "h", Value: strconv.FormatUint(uint64(s.sm.inbound), 10)}))
	case el.Name == "a":
		h, ok := parseH(el)
		if !ok {
			return stream.Errorf(stream.InvalidXML, "<a/> needs a numeric 'h'")
		}
		if !s.sm.ack(h) {
			return stream.Errorf(stream.UndefinedCondition, "acknowledged more stanzas than were sent (handled-count-too-high)")
		}
		s.sm.requested = false
		s.notifyAcksLocked()
		if len(s.sm.unacked) > 0 && !s.sm.hibernating {
			// Stanzas sent since the <r/> this answers: ask again, or
			// nothing would ever acknowledge the last of them.
			s.sm.requested = true
			s.pushLocked(smElement("r"))
		}
	default:
		return stream.Errorf(stream.UnsupportedStanzaType, "unsupported stream management element <"+el.Name+">")
	}
	return nil
}

// negotiateSM handles stream management elements after authentication
// and before binding: <resume/> continues an older session on this
// connection (s.resumedInto is then set), <enable/> is too early.
func (s *Session) negotiateSM(ctx context.Context, el *xml.Element) error {
	if el.Name != "resume" {
		return s.writeDirect(smFailed(stanza.UnexpectedRequest, nil).Bytes(s.content))
	}
	h, ok := parseH(el)
	if !ok {
		return s.writeDirect(smFailed(stanza.BadRequest, nil).Bytes(s.content))
	}
	old := s.srv.resumableSession(el.Attr("previd"), s.user)
	if old != nil {
		// <resumed h/> acknowledges what the old connection sent: stored first.
		if err := s.durable(ctx); err != nil {
			return err
		}
	}
	if old == nil || !old.park(ctx) {
		s.logger().Info("resumption refused: unknown or expired id", "user", s.user)
		return s.writeDirect(smFailed(stanza.ItemNotFound, nil).Bytes(s.content))
	}
	if err := old.resumeOn(s, h); err != nil {
		return s.writeDirect(smFailed(stanza.UnexpectedRequest, nil).Bytes(s.content))
	}
	s.resumedInto.Store(old)
	return nil
}

// park makes sure the session hibernates: a session whose connection
// the server has not yet seen die (the client noticed first) has that
// connection cut. It reports false if the session ended instead.
func (s *Session) park(ctx context.Context) bool {
	s.mu.Lock()
	if s.sm == nil || s.sm.expired {
		s.mu.Unlock()
		return false
	}
	parked, tr := s.sm.parked, s.tr
	s.mu.Unlock()
	tr.Close()
	select {
	case <-parked:
	case <-time.After(s.srv.cfg.WriteTimeout + closeGrace):
		return false
	case <-ctx.Done():
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sm.hibernating && !s.sm.expired
}

// resumeOn moves the hibernating session s onto the connection of
// next: the client's h acknowledges what it got, <resumed/> tells it
// ours, and everything it did not get is sent again.
func (s *Session) resumeOn(next *Session, h uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.sm.hibernating || s.sm.expired {
		return errNotHibernating
	}
	if !s.sm.ack(h) {
		return errNotHibernating
	}
	s.notifyAcksLocked()
	s.sm.timer.Stop()
	s.sm.hibernating, s.sm.requested = false, false
	s.sm.parked = make(chan struct{})
	s.tr, s.content, s.remote, s.secure = next.tr, next.content, next.remote, next.secure
	// The session now lives on next's connection and its slot.
	s.srv.endWaiting(s)
	s.slot = next.slot
	s.srv.metrics.Hibernating.Dec()
	s.wdone = make(chan struct{})
	s.out = s.newQueue()
	s.closing = false
	s.stop = make(chan struct{})
	s.closed.Store(false)
	s.pushLocked(smElement("resumed",
		xml.Attr{Name: "previd", Value: s.sm.id},
		xml.Attr{Name: "h", Value: strconv.FormatUint(uint64(s.sm.inbound), 10)}))
	for i, u := range s.sm.unacked {
		b := u.el.Bytes(s.content)
		s.sm.bytes += len(b) - u.size // charged as written now
		s.sm.unacked[i].size = len(b)
		s.out.push(b)
	}
	// A new connection starts active (XEP-0352): what was held goes now.
	s.csi.inactive = false
	for _, el := range s.csi.drain() {
		s.deliverLocked(el)
	}
	s.srv.metrics.Resumptions.Inc()
	s.logger().Info("session resumed", "jid", s.jid.String(), "resent", len(s.sm.unacked), "new_conn", next.id, "new_remote", next.remote)
	s.out.release()
	return nil
}

// hibernate parks a resumable session whose connection was lost.
func (s *Session) hibernate(ctx context.Context) {
	s.mu.Lock()
	s.sm.hibernating = true
	s.sm.requested = false
	out := s.out
	// It keeps its connection's slot while it waits (limits.go).
	s.srv.holdWaiting(s, s.slot)
	s.srv.metrics.Hibernating.Inc()
	s.mu.Unlock()
	out.pushFinal() // stops the writer; what it did not write is in unacked
	out.release()
	select {
	case <-s.wdone:
	case <-time.After(s.srv.cfg.WriteTimeout + closeGrace):
	}
	s.tr.Close()
	s.mu.Lock()
	s.sm.timer = time.AfterFunc(s.srv.cfg.ResumeTimeout, func() { s.expire(context.WithoutCancel(ctx)) })
	close(s.sm.parked)
	s.mu.Unlock()
}

// expire ends a hibernating session for good.
func (s *Session) expire(ctx context.Context) {
	s.mu.Lock()
	if s.sm == nil || !s.sm.hibernating || s.sm.expired {
		s.mu.Unlock()
		return
	}
	s.sm.expired = true
	if s.sm.timer != nil {
		s.sm.timer.Stop()
	}
	s.srv.metrics.Hibernating.Dec()
	s.mu.Unlock()
	s.srv.endWaiting(s)
	s.logger().Info("resumption timed out", "jid", s.jid.String())
	s.end(ctx)
}

// takeUnacked returns (and forgets) the stanzas the client never
// acknowledged, and withdraws the resumption id.
func (s *Session) takeUnacked() []*xml.Element {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sm == nil {
		return nil
	}
	if s.sm.id != "" {
		s.srv.removeResumable(s.sm.id, s)
	}
	u := make([]*xml.Element, len(s.sm.unacked))
	for i := range s.sm.unacked {
		u[i] = s.sm.unacked[i].el
	}
	s.sm.unacked, s.sm.bytes = nil, 0
	s.sm.ended = true // a late Deliver hands its stanza back too
	return u
}
