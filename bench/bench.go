// Package bench is Parley's load generator (`parley bench`): it logs in
// many users over loopback and drives scenarios against any XMPP server
// that allows plaintext SCRAM-SHA-256 logins (Parley with
// --allow-plaintext, and equally ejabberd or Prosody), reporting
// throughput, loss, latency percentiles and, given the server's pid,
// its CPU time and memory from /proc.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a run.
type Options struct {
	Addr        string // server c2s address
	Domain      string
	Users       int
	UserPrefix  string // accounts are <prefix><i>@<domain>
	Password    string
	Concurrency int           // simultaneous logins
	Rate        int           // chat: messages per second in total
	Duration    time.Duration // chat and idle: how long to run
	ServerPID   int           // 0: no server measurements
	Out         io.Writer     // the table
	JSON        io.Writer     // one JSON line per run, nil to skip
}

// Result is what a run measured.
type Result struct {
	Scenario     string  `json:"scenario"`
	Users        int     `json:"users"`
	Logins       int     `json:"logins"`
	LoginsPerSec float64 `json:"logins_per_sec"`
	LoginP50ms   float64 `json:"login_p50_ms"`
	LoginP99ms   float64 `json:"login_p99_ms"`
	Sent         int64   `json:"sent,omitempty"`
	Delivered    uint64  `json:"delivered,omitempty"`
	Lost         int64   `json:"lost,omitempty"`
	DeliveredPS  float64 `json:"delivered_per_sec,omitempty"`
	P50ms        float64 `json:"p50_ms,omitempty"`
	P99ms        float64 `json:"p99_ms,omitempty"`
	MaxMs        float64 `json:"max_ms,omitempty"`
	ServerCPUs   float64 `json:"server_cpu_seconds,omitempty"`
	ServerRSSMiB float64 `json:"server_rss_mib,omitempty"`
	RSSPerConnKB float64 `json:"server_rss_kib_per_conn,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// login connects every user with bounded concurrency.
func login(ctx context.Context, o Options) ([]*conn, *histogram, time.Duration, error) {
	conns := make([]*conn, o.Users)
	h := &histogram{}
	sem := make(chan struct{}, max(o.Concurrency, 1))
	var wg sync.WaitGroup
	var firstErr atomic.Value
	start := time.Now()
	for i := range o.Users {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t := time.Now()
			c, err := dial(o.Addr, o.Domain, o.UserPrefix+strconv.Itoa(i), o.Password, 30*time.Second)
			if err != nil {
				firstErr.CompareAndSwap(nil, err)
				return
			}
			h.record(time.Since(t))
			conns[i] = c
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err, _ := firstErr.Load().(error); err != nil {
		closeAll(conns)
		return nil, nil, 0, err
	}
	return conns, h, elapsed, nil
}

func closeAll(conns []*conn) {
	for _, c := range conns {
		if c != nil {
			io.WriteString(c, "</stream:stream>")
			c.Close()
		}
	}
}

// Run executes scenario "login", "idle" or "chat".
func Run(ctx context.Context, scenario string, o Options) (Result, error) {
	r := Result{Scenario: scenario, Users: o.Users}
	cpu0, _ := serverCPU(o.ServerPID)
	rss0, _ := serverRSS(o.ServerPID)
	conns, lh, elapsed, err := login(ctx, o)
	if err != nil {
		return r, err
	}
	defer closeAll(conns)
	r.Logins = len(conns)
	r.LoginsPerSec = float64(len(conns)) / elapsed.Seconds()
	r.LoginP50ms, r.LoginP99ms = ms(lh.percentile(0.50)), ms(lh.percentile(0.99))
	switch scenario {
	case "login":
	case "idle":
		select {
		case <-time.After(o.Duration):
		case <-ctx.Done():
		}
		if rss1, err := serverRSS(o.ServerPID); err == nil && o.Users > 0 {
			r.RSSPerConnKB = float64(rss1-rss0) / 1024 / float64(o.Users)
		}
	case "chat":
		chat(ctx, o, conns, &r)
	default:
		return r, fmt.Errorf("unknown scenario %q (login, idle, chat)", scenario)
	}
	if cpu1, err := serverCPU(o.ServerPID); err == nil {
		r.ServerCPUs = cpu1 - cpu0
	}
	if rss, err := serverRSS(o.ServerPID); err == nil {
		r.ServerRSSMiB = float64(rss) / (1 << 20)
	}
	report(o, r)
	return r, nil
}

// chat sends o.Rate messages per second in total, each from a random
// user to another random user, for o.Duration, then waits for stragglers.
func chat(ctx context.Context, o Options, conns []*conn, r *Result) {
	h := &histogram{}
	for _, c := range conns {
		go c.readMessages(h)
	}
	workers := min(len(conns), 8)
	var sent atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(o.Duration)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := conns[w*len(conns)/workers : (w+1)*len(conns)/workers]
			perWorker := float64(o.Rate) / float64(workers)
			var done int64
			buf := make([]byte, 0, 256)
			for now := time.Now(); now.Before(deadline) && ctx.Err() == nil; now = time.Now() {
				due := int64(perWorker * now.Sub(start).Seconds())
				for ; done < due; done++ {
					from := mine[rand.IntN(len(mine))]
					to := conns[rand.IntN(len(conns))]
					buf = append(buf[:0], "<message type='chat' to='"...)
					buf = append(buf, to.jid...)
					buf = append(buf, "'><body>t="...)
					buf = strconv.AppendInt(buf, time.Now().UnixNano(), 10)
					buf = append(buf, "</body></message>"...)
					if _, err := from.Write(buf); err != nil {
						return
					}
					sent.Add(1)
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	wg.Wait()
	active := time.Since(start)
	// Let in-flight messages arrive: stop when the count stops moving.
	for last := uint64(0); ; {
		time.Sleep(500 * time.Millisecond)
		got := h.total()
		if got >= uint64(sent.Load()) || got == last {
			break
		}
		last = got
	}
	r.Sent = sent.Load()
	r.Delivered = h.total()
	r.Lost = r.Sent - int64(r.Delivered)
	r.DeliveredPS = float64(r.Delivered) / active.Seconds()
	r.P50ms, r.P99ms, r.MaxMs = ms(h.percentile(0.50)), ms(h.percentile(0.99)), ms(h.max)
}

func report(o Options, r Result) {
	if o.JSON != nil {
		b, _ := json.Marshal(r)
		fmt.Fprintln(o.JSON, string(b))
	}
	if o.Out == nil {
		return
	}
	fmt.Fprintf(o.Out, "scenario %s, %d users\n", r.Scenario, r.Users)
	fmt.Fprintf(o.Out, "  logins      %d at %.0f/s, p50 %.2f ms, p99 %.2f ms\n", r.Logins, r.LoginsPerSec, r.LoginP50ms, r.LoginP99ms)
	if r.Scenario == "chat" {
		fmt.Fprintf(o.Out, "  messages    sent %d, delivered %d (%.0f/s), lost %d\n", r.Sent, r.Delivered, r.DeliveredPS, r.Lost)
		fmt.Fprintf(o.Out, "  latency     p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", r.P50ms, r.P99ms, r.MaxMs)
	}
	if o.ServerPID != 0 {
		fmt.Fprintf(o.Out, "  server      %.2f CPU s, RSS %.1f MiB", r.ServerCPUs, r.ServerRSSMiB)
		if r.RSSPerConnKB != 0 {
			fmt.Fprintf(o.Out, ", %.1f KiB per connection", r.RSSPerConnKB)
		}
		fmt.Fprintln(o.Out)
	}
}

// serverCPU returns utime+stime of pid in seconds (from /proc).
func serverCPU(pid int) (float64, error) {
	if pid == 0 {
		return 0, fmt.Errorf("no pid")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc stat")
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100, nil // USER_HZ is 100 on Linux
}

// serverRSS returns the resident set size of pid in bytes.
func serverRSS(pid int) (int64, error) {
	if pid == 0 {
		return 0, fmt.Errorf("no pid")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, err := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS")
}
