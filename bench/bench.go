// Package bench is Parley's load generator (`parley bench`): it logs in
// many users over loopback and drives scenarios against any XMPP server
// that allows plaintext logins (Parley with --allow-plaintext, and
// equally ejabberd or Prosody), reporting throughput, loss, latency
// percentiles and, given the server's pid, its CPU time and memory from
// /proc. It also writes the same accounts and rosters for all three
// servers (provision.go) and prints the comparison table (table.go).
//
// Files: conn.go (login), scram.go, reader.go (timestamp scanner),
// pace.go (paced senders), chat.go (and the stepping shared by the
// paced scenarios), presence.go, muc.go, idle.go, proc.go.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"
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
	// Rooms and Occupants shape the muc scenario: Rooms rooms of
	// Occupants users each (Users is set to their product).
	Rooms, Occupants int
	MUCService       string // muc: the rooms' domain (default conference.<Domain>)
	Procs            int    // idle: processes holding the connections (see Idle)
	Label            string // server name written into the results ("parley", ...)
	// ServerPID enables server measurements (CPU time, RSS) from /proc.
	ServerPID int
	// ClusterPIDs are the other nodes of the server's cluster: their CPU
	// time and RSS add to the server's (chat, presence, muc, login).
	ClusterPIDs []int
	Out         io.Writer // the table
	JSON        io.Writer // one JSON line per result, nil to skip

	scramCache *scramCache
}

// Result is what a run (or one step of it) measured.
type Result struct {
	Server       string  `json:"server,omitempty"`
	Scenario     string  `json:"scenario"`
	Users        int     `json:"users"`
	Rooms        int     `json:"rooms,omitempty"`
	Occupants    int     `json:"occupants,omitempty"`
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
	// GeneratorCPUs is this process's CPU time in a paced step: a
	// generator near one core per second of step is the limit, not the server.
	GeneratorCPUs float64 `json:"generator_cpu_seconds,omitempty"`
	IdleRSSMiB    float64 `json:"server_idle_rss_mib,omitempty"`
	RSSPerConnKB  float64 `json:"server_rss_kib_per_conn,omitempty"`
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
	start := time.Now()
	err := parallel(ctx, o.Concurrency, o.Users, func(i int) error {
		t := time.Now()
		n := o.Offset + i
		c, err := d.login(n, o, o.UserPrefix+strconv.Itoa(n), 30*time.Second)
		if err != nil {
			return err
		}
		h.record(time.Since(t))
		conns[i] = c
		return nil
	})
	elapsed := time.Since(start)
	if err != nil {
		closeAll(conns)
		return nil, nil, 0, err
	}
	return conns, h, elapsed, nil
}

// parallel calls f(0) .. f(n-1), at most concurrency at once, and
// returns the first error (or ctx's); after an error it starts no more.
func parallel(ctx context.Context, concurrency, n int, f func(i int) error) error {
	sem := make(chan struct{}, max(concurrency, 1))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	failed := func() bool { mu.Lock(); defer mu.Unlock(); return first != nil }
	for i := range n {
		if ctx.Err() != nil || failed() {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// Run executes scenario "login", "idle", "chat", "presence" or "muc"
// and returns one result per step (the paced ones with Rates have several).
func Run(ctx context.Context, scenario string, o Options) ([]Result, error) {
	o.defaults()
	base := Result{Server: o.Label, Scenario: scenario, Users: o.Users, Mechanism: o.Mechanism}
	if scenario == "muc" {
		if o.Rooms <= 0 || o.Occupants <= 0 {
			return nil, fmt.Errorf("muc needs rooms and occupants (got %d x %d)", o.Rooms, o.Occupants)
		}
		o.Users = o.Rooms * o.Occupants
		base.Users, base.Rooms, base.Occupants = o.Users, o.Rooms, o.Occupants
	}
	if scenario == "idle" {
		r, err := Idle(ctx, o, nil)
		if err == nil {
			Report(o, r)
		}
		return []Result{r}, err
	}
	switch scenario {
	case "login", "chat", "presence", "muc":
	default:
		return nil, fmt.Errorf("unknown scenario %q (login, idle, chat, presence, muc)", scenario)
	}
	cpu0, _ := o.serversCPU()
	conns, lh, elapsed, err := login(ctx, &o)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	base.Logins = len(conns)
	base.LoginsPerSec = float64(len(conns)) / elapsed.Seconds()
	base.LoginP50ms, base.LoginP99ms = ms(lh.percentile(0.50)), ms(lh.percentile(0.99))
	// Paced steps are reported as each ends (runSteps).
	switch scenario {
	case "chat":
		return chatSteps(ctx, o, conns, base), nil
	case "presence":
		return presenceSteps(ctx, o, conns, base), nil
	case "muc":
		return mucSteps(ctx, o, conns, base)
	}
	// A login run: the server's CPU over the whole run.
	if cpu1, err := o.serversCPU(); err == nil {
		base.ServerCPUs = cpu1 - cpu0
	}
	if rss, err := o.serversRSS(); err == nil {
		base.ServerRSSMiB = mib(rss)
	}
	Report(o, base)
	return []Result{base}, nil
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
	if r.Rooms > 0 {
		fmt.Fprintf(o.Out, " (%d rooms x %d occupants)", r.Rooms, r.Occupants)
	}
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
	if r.GeneratorCPUs > 0 {
		fmt.Fprintf(o.Out, "  generator   %.2f CPU s\n", r.GeneratorCPUs)
	}
}
