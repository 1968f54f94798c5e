package c2s

import (
	"context"
	"errors"

	"github.com/parley-im/parley/xmpp/xml"
)

// Flow control for bulk deliveries (router.Drainer) and the durability
// of acknowledgements.

// ErrGone is returned by Drain and HandedOver when the session's
// connection or the session itself ended before the stanzas were
// handed over.
var ErrGone = errors.New("c2s: the session ended before the stanzas were handed over")

// Drain returns once everything delivered to the session before the
// call has been written to its connection (router.Drainer).
func (s *Session) Drain(ctx context.Context) error {
	s.mu.Lock()
	q := s.out
	hibernating := s.sm != nil && s.sm.hibernating
	s.mu.Unlock()
	if hibernating {
		return ErrGone
	}
	q.mu.Lock()
	target := q.pushed
	for q.written < target {
		if q.dead {
			q.mu.Unlock()
			return ErrGone
		}
		wait := q.progress
		q.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		}
		q.mu.Lock()
	}
	q.mu.Unlock()
	return nil
}

// HandedOver returns once everything delivered to the session before
// the call has been written and, with stream management, acknowledged by
// the client (router.Drainer). A hibernating session may still be
// resumed: HandedOver waits for that, or for the session to expire.
func (s *Session) HandedOver(ctx context.Context) error {
	s.mu.Lock()
	if s.sm == nil {
		s.mu.Unlock()
		return s.Drain(ctx)
	}
	// An ended session has taken its unacknowledged stanzas out
	// (takeUnacked) and is handing them back: outbound() no longer counts
	// them, and nothing delivered to it now reaches anyone.
	if s.sm.ended {
		s.mu.Unlock()
		return s.handedBack(ctx)
	}
	target := s.sm.outbound()
	for int32(s.sm.acked-target) < 0 { // h counts modulo 2^32
		if s.sm.expired || s.sm.ended {
			s.mu.Unlock()
			return s.handedBack(ctx)
		}
		acks := s.acks
		s.mu.Unlock()
		select {
		case <-acks:
		case <-s.gone:
			return s.handedBack(ctx)
		case <-ctx.Done():
			return ctx.Err()
		}
		s.mu.Lock()
	}
	s.mu.Unlock()
	return nil
}

// handedBack waits until an ending session has handed its
// unacknowledged stanzas back to the handler (end closes s.gone after
// that), and the stanzas delivered after the end too (handBackLate),
// and returns ErrGone. Returning earlier would let the caller release
// stanzas it still holds in storage before the handler judged them,
// which then stored them a second time.
func (s *Session) handedBack(ctx context.Context) error {
	select {
	case <-s.gone:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.Lock()
	for s.lateHandBacks > 0 {
		wait := s.acks
		s.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		}
		s.mu.Lock()
	}
	s.mu.Unlock()
	return ErrGone
}

// handBackLate gives the handler a stanza delivered after the session
// ended, as its unacknowledged ones went. It runs on its own goroutine,
// not the sender's, which may hold a lock the handler needs (a room's).
func (s *Session) handBackLate(el *xml.Element) {
	s.srv.handler.Unacknowledged(context.Background(), s, []*xml.Element{el})
	s.mu.Lock()
	s.lateHandBacks--
	s.notifyAcksLocked()
	s.mu.Unlock()
}

// notifyAcksLocked wakes HandedOver callers after an acknowledgement or
// a late hand-back (s.mu held).
func (s *Session) notifyAcksLocked() {
	close(s.acks)
	s.acks = make(chan struct{})
}

// durable waits until what this session's stanzas stored is committed,
// before an acknowledgement says so.
func (s *Session) durable(ctx context.Context) error {
	if s.srv.cfg.Durable == nil {
		return nil
	}
	return s.srv.cfg.Durable(ctx)
}
