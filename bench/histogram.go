package bench

import (
	"sync/atomic"
	"time"
)

// histogram records latencies in 10 µs buckets up to 1 s, plus the
// maximum; percentiles are exact to 10 µs below 1 s. Recording is
// lock-free (many reader goroutines record at once).
type histogram struct {
	buckets [100_001]atomic.Uint64
	count   atomic.Uint64
	max     atomic.Int64
}

const bucketWidth = 10 * time.Microsecond

func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.buckets[min(int(d/bucketWidth), len(h.buckets)-1)].Add(1)
	h.count.Add(1)
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			break
		}
	}
}

// percentile returns the latency below which p (0..1) of samples fall.
func (h *histogram) percentile(p float64) time.Duration {
	count := h.count.Load()
	if count == 0 {
		return 0
	}
	target := max(uint64(p*float64(count)+0.5), 1)
	var seen uint64
	for i := range h.buckets {
		n := h.buckets[i].Load()
		seen += n
		if seen >= target && n > 0 {
			if i == len(h.buckets)-1 {
				return h.maximum()
			}
			return time.Duration(i+1) * bucketWidth
		}
	}
	return h.maximum()
}

func (h *histogram) total() uint64 { return h.count.Load() }

func (h *histogram) maximum() time.Duration { return time.Duration(h.max.Load()) }
