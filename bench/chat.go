package bench

import (
	"context"
	"math/rand/v2"
	"time"
)

// chatSteps sends chat messages between random users at o.Rate (or at
// each of o.Rates in turn, stopping after the first saturated step).
func chatSteps(ctx context.Context, o Options, conns []*conn, base Result) []Result {
	return steps(ctx, o, conns, base, newScanner(chatMarker, false), 0, chat)
}

// steps starts sc's readers on conns, waits settle, then runs one paced
// step of scenario at each of o.Rates (or at o.Rate), measuring the
// server's CPU and RSS around each; it stops after the first saturated
// step.
func steps(ctx context.Context, o Options, conns []*conn, base Result, sc *scanner, settle time.Duration,
	scenario func(ctx context.Context, o Options, conns []*conn, rate int, h *histogram, r *Result)) []Result {
	for _, c := range conns {
		go sc.read(c, 16<<10)
	}
	sleepCtx(ctx, settle)
	rates := o.Rates
	if len(rates) == 0 {
		rates = []int{o.Rate}
	}
	var out []Result
	for _, rate := range rates {
		if ctx.Err() != nil {
			break
		}
		r := base
		cpu0, _ := serverCPU(o.ServerPID)
		h := &histogram{}
		sc.hist.Store(h)
		scenario(ctx, o, conns, rate, h, &r)
		if cpu1, err := serverCPU(o.ServerPID); err == nil {
			r.ServerCPUs = cpu1 - cpu0
		}
		if rss, err := serverRSS(o.ServerPID); err == nil {
			r.ServerRSSMiB = mib(rss)
		}
		out = append(out, r)
		if len(rates) > 1 && Saturated(r) {
			break
		}
	}
	return out
}

// Saturated reports whether a paced step did not keep up: less than
// 90 % of the target delivered per second (per stanza sent), more than 1 % lost, or a
// p99 above half a second.
func Saturated(r Result) bool {
	return r.DeliveredPS < 0.9*float64(r.Rate)*float64(r.Expected)/float64(max(r.Sent, 1)) || r.Lost*100 > r.Expected || r.P99ms > 500
}

// chat sends rate messages per second in total, each from a random
// user to another random user, for o.Duration, then waits for stragglers.
func chat(ctx context.Context, o Options, conns []*conn, rate int, h *histogram, r *Result) {
	workers := min(len(conns), 4)
	rngs := make([]*rand.Rand, workers)
	for w := range rngs {
		rngs[w] = rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
	}
	sent, active := pace(ctx, workers, rate, o.Duration, func(w int, buf []byte) ([]byte, bool) {
		rng := rngs[w]
		lo, hi := w*len(conns)/workers, (w+1)*len(conns)/workers
		from := conns[lo+rng.IntN(hi-lo)]
		to := conns[rng.IntN(len(conns))]
		buf = append(buf[:0], "<message type='chat' to='"...)
		buf = append(buf, to.jid...)
		buf = append(buf, "'><body>t="...)
		buf = appendTimestamp(buf)
		buf = append(buf, "</body></message>"...)
		_, err := from.Write(buf)
		return buf, err == nil
	})
	drain(ctx, h, uint64(sent))
	r.Rate = rate
	fill(r, h, sent, sent, active)
}
