package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// pace calls send(worker, buf) rate times per second in total, spread
// over workers, for d. Each worker wakes every millisecond and sends
// what is due, so the rate holds while the generator keeps up; send
// returns the reused buffer and false to stop the worker.
func pace(ctx context.Context, workers, rate int, d time.Duration, send func(w int, buf []byte) ([]byte, bool)) (sent int64, active time.Duration) {
	var total atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	perWorker := float64(rate) / float64(workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var done int64
			buf := make([]byte, 0, 512)
			ok := true
			for now := time.Now(); ok && now.Before(deadline) && ctx.Err() == nil; now = time.Now() {
				due := int64(perWorker * now.Sub(start).Seconds())
				n := int64(0)
				for ; done < due && ok; done++ {
					buf, ok = send(w, buf)
					n++
				}
				total.Add(n)
				time.Sleep(time.Millisecond)
			}
		}()
	}
	wg.Wait()
	return total.Load(), time.Since(start)
}

// share returns worker w's part [lo, hi) of n connections: each
// connection is written by one worker only.
func share(w, workers, n int) (lo, hi int) { return w * n / workers, (w + 1) * n / workers }

// rotation picks each worker's connections in turn, so that every
// connection sends equally often.
type rotation struct {
	n, workers int
	next       []int
}

func newRotation(n, workers int) *rotation {
	return &rotation{n: n, workers: workers, next: make([]int, workers)}
}

// pick returns the index of worker w's next connection.
func (r *rotation) pick(w int) int {
	lo, hi := share(w, r.workers, r.n)
	i := lo + r.next[w]%(hi-lo)
	r.next[w]++
	return i
}

// drain waits until h has counted want samples or the count stopped
// moving for half a second (the rest is lost), at most 15 s.
func drain(ctx context.Context, h *histogram, want uint64) {
	deadline := time.Now().Add(15 * time.Second)
	last := h.total()
	quiet := time.Now()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		got := h.total()
		if got >= want {
			return
		}
		if got != last {
			last, quiet = got, time.Now()
		} else if time.Since(quiet) > 500*time.Millisecond {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fill completes r from a histogram after a paced run.
func fill(r *Result, h *histogram, sent, expected int64, active time.Duration) {
	r.Sent = sent
	r.Expected = expected
	r.Delivered = h.total()
	r.Lost = max(expected-int64(r.Delivered), 0)
	r.DeliveredPS = float64(r.Delivered) / active.Seconds()
	r.P50ms, r.P99ms, r.MaxMs = ms(h.percentile(0.50)), ms(h.percentile(0.99)), ms(h.maximum())
}

// appendTimestamp appends the current time in unix nanoseconds.
func appendTimestamp(buf []byte) []byte {
	n := time.Now().UnixNano()
	var tmp [20]byte
	i := len(tmp)
	for n > 0 {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
	}
	return append(buf, tmp[i:]...)
}
