package bench

import (
	"sync"
	"time"
)

// histogram records latencies in 10 µs buckets up to 1 s, plus the
// maximum; percentiles are exact to 10 µs below 1 s.
type histogram struct {
	mu      sync.Mutex
	buckets [100_001]uint64
	count   uint64
	max     time.Duration
}

const bucketWidth = 10 * time.Microsecond

func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	i := min(int(d/bucketWidth), len(h.buckets)-1)
	h.mu.Lock()
	h.buckets[i]++
	h.count++
	h.max = max(h.max, d)
	h.mu.Unlock()
}

// percentile returns the latency below which p (0..1) of samples fall.
func (h *histogram) percentile(p float64) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.count == 0 {
		return 0
	}
	target := uint64(p*float64(h.count) + 0.5)
	var seen uint64
	for i, n := range h.buckets {
		seen += n
		if seen >= target && n > 0 {
			return time.Duration(i+1) * bucketWidth
		}
	}
	return h.max
}

func (h *histogram) total() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.count
}
