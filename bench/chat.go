package bench

import (
	"context"
	"math/rand/v2"
	"os"
	"time"
)

// chatSteps sends chat messages between random users at o.Rate (or at
// each of o.Rates in turn, stopping after the first saturated step).
func chatSteps(ctx context.Context, o Options, conns []*conn, base Result) []Result {
	return steps(ctx, o, conns, base, newScanner(chatMarker, false), 0, chat)
}

// stepFunc runs one paced step at rate, recording latencies in h and
// filling r.
type stepFunc func(ctx context.Context, o Options, conns []*conn, rate int, h *histogram, r *Result)

// steps starts sc's readers on conns, waits settle, then runs the
// paced steps (runSteps).
func steps(ctx context.Context, o Options, conns []*conn, base Result, sc *scanner, settle time.Duration, scenario stepFunc) []Result {
	for _, c := range conns {
		go sc.read(c, readerBuf)
	}
	sleepCtx(ctx, settle)
	return runSteps(ctx, o, conns, base, sc, scenario)
}

// readerBuf is the read buffer of a scanning reader.
const readerBuf = 16 << 10

// runSteps runs one paced step of scenario at each of o.Rates (or at
// o.Rate) while sc's readers run, measuring the server's CPU and RSS
// and the generator's CPU around each and reporting each step as it
// ends; it stops after the first saturated step.
func runSteps(ctx context.Context, o Options, conns []*conn, base Result, sc *scanner, scenario stepFunc) []Result {
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
		cpu0, _ := o.serversCPU()
		gen0, _ := serverCPU(os.Getpid())
		h := &histogram{}
		sc.hist.Store(h)
		scenario(ctx, o, conns, rate, h, &r)
		if cpu1, err := o.serversCPU(); err == nil {
			r.ServerCPUs = cpu1 - cpu0
		}
		if gen1, err := serverCPU(os.Getpid()); err == nil {
			r.GeneratorCPUs = gen1 - gen0
		}
		if rss, err := o.serversRSS(); err == nil {
			r.ServerRSSMiB = mib(rss)
		}
		Report(o, r)
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
		lo, hi := share(w, workers, len(conns))
		from := conns[lo+rng.IntN(hi-lo)]
		to := conns[rng.IntN(len(conns))]
		buf = appendTimedMessage(buf[:0], "chat", to.jid)
		_, err := from.Write(buf)
		return buf, err == nil
	})
	drain(ctx, h, uint64(sent))
	r.Rate = rate
	fill(r, h, sent, sent, active)
}

// appendTimedMessage appends a message of type typ to the address to
// whose body is the send time ("t=<unix nanos>", what chatMarker finds).
func appendTimedMessage(buf []byte, typ, to string) []byte {
	buf = append(buf, "<message type='"...)
	buf = append(buf, typ...)
	buf = append(buf, "' to='"...)
	buf = append(buf, to...)
	buf = append(buf, "'><body>t="...)
	buf = appendTimestamp(buf)
	return append(buf, "</body></message>"...)
}
