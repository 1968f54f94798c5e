package calendar

import (
	"maps"
	"sync"
)

// stats are the counters the status shows (Prometheus has the same in
// parley_calendar_*).
type stats struct {
	mu          sync.Mutex
	receivedBy  map[string]uint64
	deliveredN  uint64
	discardedBy map[string]uint64
}

func (s *stats) received(source string, m Metrics) {
	s.mu.Lock()
	if s.receivedBy == nil {
		s.receivedBy = map[string]uint64{}
	}
	s.receivedBy[source]++
	s.mu.Unlock()
	if m.Received != nil {
		m.Received(source)
	}
}

func (s *stats) delivered(m Metrics) {
	s.mu.Lock()
	s.deliveredN++
	s.mu.Unlock()
	if m.Delivered != nil {
		m.Delivered()
	}
}

func (s *stats) discarded(reason string, m Metrics) {
	s.mu.Lock()
	if s.discardedBy == nil {
		s.discardedBy = map[string]uint64{}
	}
	s.discardedBy[reason]++
	s.mu.Unlock()
	if m.Discarded != nil {
		m.Discarded(reason)
	}
}

func (s *stats) snapshot() (received map[string]uint64, delivered uint64, discarded map[string]uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.receivedBy), s.deliveredN, maps.Clone(s.discardedBy)
}
