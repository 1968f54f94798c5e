package bench

import (
	"context"
	"time"
)

// presence has every user broadcast presence changes (a status carrying
// the send time) in turn at o.Rate broadcasts per second in total; with
// rosters provisioned by Provision* each broadcast reaches o.Contacts
// online contacts. Deliveries are counted at the contacts; the copy a
// server sends back to the sender's own session is not counted.
func presence(ctx context.Context, o Options, conns []*conn, base Result) Result {
	sc := newScanner(presenceMarker, true)
	for _, c := range conns {
		go sc.read(c, 16<<10)
	}
	// Let the initial presence exchange of the login phase settle.
	time.Sleep(time.Second)
	r := base
	h := &histogram{}
	sc.hist.Store(h)
	workers := min(len(conns), 4)
	next := make([]int, workers)
	sent, active := pace(ctx, workers, o.Rate, o.Duration, func(w int, buf []byte) ([]byte, bool) {
		lo, hi := w*len(conns)/workers, (w+1)*len(conns)/workers
		c := conns[lo+next[w]%(hi-lo)]
		next[w]++
		buf = append(buf[:0], "<presence><show>away</show><status>t="...)
		buf = appendTimestamp(buf)
		buf = append(buf, "</status></presence>"...)
		_, err := c.Write(buf)
		return buf, err == nil
	})
	expected := sent * int64(o.Contacts)
	drain(ctx, h, uint64(expected))
	r.Rate = o.Rate
	fill(&r, h, sent, expected, active)
	return r
}
