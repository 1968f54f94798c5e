package bench

import (
	"context"
	"time"
)

// presenceSteps has every user broadcast presence changes (a status
// carrying the send time) in turn at o.Rate broadcasts per second in
// total (or at each of o.Rates, stopping after the first saturated
// step); with rosters provisioned by Provision* each broadcast reaches
// o.Contacts online contacts. Deliveries are counted at the contacts;
// the copy a server sends back to the sender's own session is not.
func presenceSteps(ctx context.Context, o Options, conns []*conn, base Result) []Result {
	// Let the initial presence exchange of the login phase settle first.
	return steps(ctx, o, conns, base, newScanner(presenceMarker, true), time.Second, presence)
}

func presence(ctx context.Context, o Options, conns []*conn, rate int, h *histogram, r *Result) {
	workers := min(len(conns), 4)
	turn := newRotation(len(conns), workers)
	sent, active := pace(ctx, workers, rate, o.Duration, func(w int, buf []byte) ([]byte, bool) {
		c := conns[turn.pick(w)]
		buf = append(buf[:0], "<presence><show>away</show><status>t="...)
		buf = appendTimestamp(buf)
		buf = append(buf, "</status></presence>"...)
		_, err := c.Write(buf)
		return buf, err == nil
	})
	expected := sent * int64(o.Contacts)
	drain(ctx, h, uint64(expected))
	r.Rate = rate
	fill(r, h, sent, expected, active)
}
