// Package bench is Parley's load generator (`parley bench`): it logs in
// many users over loopback and drives scenarios against any XMPP server
// that allows plaintext logins (Parley with --allow-plaintext, and
// equally ejabberd or Prosody), reporting throughput, loss, latency
// percentiles and, given the server's pid, its CPU time and memory from
// /proc. It also writes the same accounts and rosters for all three
// servers (provision.go) and prints the comparison table (table.go).
//
// Files: conn.go (login), scram.go, reader.go (timestamp scanner),
// pace.go (paced senders), chat.go, presence.go, idle.go, proc.go.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a run.
type Options struct {
	Addr        string // server c2s address
	Domain      string
	Users       int
	Offset      int    // first account number: accounts <prefix><Offset>..
	UserPrefix  string // accounts are <prefix><i>@<domain>
	Password    string
	Mechanism   string // MechAuto (default), MechPlain or MechSCRAMSHA256
	TLS         bool   // STARTTLS before authenticating (certificate not checked: loopback)
	Sources     int    // spread connections over 127.0.0.2.. (0: kernel's choice)
	Concurrency int    // simultaneous logins
	Rate        int    // chat, presence: stanzas per second in total
	// Rates, if set, runs chat or presence in steps of Duration at each
	// rate over the same connections, stopping after the first
	// saturated step.
	Rates    []int
	Duration time.Duration // chat, presence and idle: how long to run (per step)
	Contacts int           // presence: roster size of every user (as provisioned)
	Procs    int           // idle: processes holding the connections (see Idle)
	Label    string        // server name written into the results ("parley", ...)
	// ServerPID enables server measurements (CPU time, RSS) from /proc.
	ServerPID int
	Out       io.Writer // the table
	JSON      io.Writer // one JSON line per result, nil to skip

	scramCache *scramCache
}

// Result is what a run (or one step of it) measured.
type Result struct {
	Server       string  `json:"server,omitempty"`
	Scenario     string  `json:"scenario"`
	Users        int     `json:"users"`
	Mechanism    string  `json:"mechanism,omitempty"`
	Logins       int     `json:"logins"`
	LoginsPerSec float64 `json:"logins_per_sec"`
	LoginP50ms   float64 `json:"login_p50_ms"`
	LoginP99ms   float64 `json:"login_p99_ms"`
	Rate         int     `json:"rate,omitempty"` // target stanzas/s
	Sent         int64   `json:"sent,omitempty"`
	Expected     int64   `json:"expected,omitempty"`
	Delivered    uint64  `json:"delivered,omitempty"`
	Lost         int64   `json:"lost,omitempty"`
	DeliveredPS  float64 `json:"delivered_per_sec,omitempty"`
	P50ms        float64 `json:"p50_ms,omitempty"`
	P99ms        float64 `json:"p99_ms,omitempty"`
	MaxMs        float64 `json:"max_ms,omitempty"`
	ServerCPUs   float64 `json:"server_cpu_seconds,omitempty"`
	ServerRSSMiB float64 `json:"server_rss_mib,omitempty"`
	IdleRSSMiB   float64 `json:"server_idle_rss_mib,omitempty"`
	RSSPerConnKB float64 `json:"server_rss_kib_per_conn,omitempty"`
	// SlopeKB is the least-squares slope of RSS over connections held
	// (idle steps): the memory one more connection costs.
	SlopeKB float64       `json:"server_rss_slope_kib_per_conn,omitempty"`
	Points  []MemoryPoint `json:"points,omitempty"`
}

// MemoryPoint is the server's RSS with Conns connections held.
type MemoryPoint struct {
	Conns  int     `json:"conns"`
	RSSMiB float64 `json:"rss_mib"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (o *Options) defaults() {
	if o.scramCache == nil {
		o.scramCache = &scramCache{}
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 50
	}
}

// login connects users Offset..Offset+Users-1 with bounded concurrency.
func login(ctx context.Context, o *Options) ([]*conn, *histogram, time.Duration, error) {
	o.defaults()
	d := &dialer{addr: o.Addr}
	if o.Sources > 0 {
		d.sources = SourceAddrs(o.Sources)
	}
	conns := make([]*conn, o.Users)
	h := &histogram{}
	sem := make(chan struct{}, o.Concurrency)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	start := time.Now()
	for i := range o.Users {
		if ctx.Err() != nil || firstErr.Load() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t := time.Now()
			n := o.Offset + i
			c, err := d.login(n, o, o.UserPrefix+strconv.Itoa(n), 30*time.Second)
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
	if ctx.Err() != nil {
		closeAll(conns)
		return nil, nil, 0, ctx.Err()
	}
	return conns, h, elapsed, nil
}

// Run executes scenario "login", "idle", "chat" or "presence" and
// returns one result per step (chat with Rates has several).
func Run(ctx context.Context, scenario string, o Options) ([]Result, error) {
	o.defaults()
	base := Result{Server: o.Label, Scenario: scenario, Users: o.Users, Mechanism: o.Mechanism}
	if scenario == "idle" {
		r, err := Idle(ctx, o, nil)
		if err == nil {
			Report(o, r)
		}
		return []Result{r}, err
	}
	switch scenario {
	case "login", "chat", "presence":
	default:
		return nil, fmt.Errorf("unknown scenario %q (login, idle, chat, presence)", scenario)
	}
	cpu0, _ := serverCPU(o.ServerPID)
	conns, lh, elapsed, err := login(ctx, &o)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	base.Logins = len(conns)
	base.LoginsPerSec = float64(len(conns)) / elapsed.Seconds()
	base.LoginP50ms, base.LoginP99ms = ms(lh.percentile(0.50)), ms(lh.percentile(0.99))
	var results []Result
	switch scenario {
	case "login":
		results = []Result{base}
	case "chat":
		results = chatSteps(ctx, o, conns, base)
	case "presence":
		results = presenceSteps(ctx, o, conns, base)
	}
	if len(results) == 1 {
		if cpu1, err := serverCPU(o.ServerPID); err == nil {
			results[0].ServerCPUs = cpu1 - cpu0
		}
	}
	for i := range results {
		if rss, err := serverRSS(o.ServerPID); err == nil && results[i].ServerRSSMiB == 0 {
			results[i].ServerRSSMiB = mib(rss)
		}
		Report(o, results[i])
	}
	return results, nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// Report prints r as a table and, with o.JSON, as a JSON line.
func Report(o Options, r Result) {
	if o.JSON != nil {
		b, _ := json.Marshal(r)
		fmt.Fprintln(o.JSON, string(b))
	}
	if o.Out == nil {
		return
	}
	fmt.Fprintf(o.Out, "scenario %s, %d users", r.Scenario, r.Users)
	if r.Server != "" {
		fmt.Fprintf(o.Out, ", server %s", r.Server)
	}
	fmt.Fprintln(o.Out)
	if r.Logins > 0 {
		fmt.Fprintf(o.Out, "  logins      %d at %.0f/s, p50 %.2f ms, p99 %.2f ms\n", r.Logins, r.LoginsPerSec, r.LoginP50ms, r.LoginP99ms)
	}
	if r.Sent > 0 {
		fmt.Fprintf(o.Out, "  stanzas     rate %d/s, sent %d, expected %d, delivered %d (%.0f/s), lost %d\n", r.Rate, r.Sent, r.Expected, r.Delivered, r.DeliveredPS, r.Lost)
		fmt.Fprintf(o.Out, "  latency     p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", r.P50ms, r.P99ms, r.MaxMs)
	}
	for _, p := range r.Points {
		fmt.Fprintf(o.Out, "  held        %6d connections, RSS %.1f MiB\n", p.Conns, p.RSSMiB)
	}
	if o.ServerPID != 0 {
		fmt.Fprintf(o.Out, "  server      %.2f CPU s, RSS %.1f MiB", r.ServerCPUs, r.ServerRSSMiB)
		if r.RSSPerConnKB != 0 {
			fmt.Fprintf(o.Out, ", %.1f KiB per connection (slope %.1f)", r.RSSPerConnKB, r.SlopeKB)
		}
		fmt.Fprintln(o.Out)
	}
}
