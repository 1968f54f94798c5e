package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// ReadResults reads JSON lines as written with Options.JSON; other
// lines are skipped.
func ReadResults(r io.Reader) ([]Result, error) {
	var out []Result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var res Result
		if err := json.Unmarshal([]byte(line), &res); err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, sc.Err()
}

type metric struct {
	name   string
	higher bool // higher is better
	values map[string]float64
}

// Table prints one row per measured figure and one column per server,
// in the order servers are given (the first is the one compared, e.g.
// parley), plus the ratios first/other.
func Table(w io.Writer, results []Result, servers []string) {
	var rows []*metric
	index := map[string]*metric{}
	put := func(name string, higher bool, server string, v float64) {
		m := index[name]
		if m == nil {
			m = &metric{name: name, higher: higher, values: map[string]float64{}}
			index[name] = m
			rows = append(rows, m)
		}
		m.values[server] = v
	}
	best := map[string]Result{}
	bestMUC := map[string]Result{} // by server and room shape
	var shapes []string
	for _, r := range results {
		s := r.Server
		switch r.Scenario {
		case "login":
			put(fmt.Sprintf("login storm, %d users: logins/s", r.Users), true, s, r.LoginsPerSec)
			put(fmt.Sprintf("login storm, %d users: login p99 ms", r.Users), false, s, r.LoginP99ms)
		case "chat":
			// The chat run's login phase is the login storm.
			put(fmt.Sprintf("login storm, %d users: logins/s", r.Users), true, s, r.LoginsPerSec)
			put(fmt.Sprintf("login storm, %d users: login p99 ms", r.Users), false, s, r.LoginP99ms)
			pre := fmt.Sprintf("chat %d users @ %d/s", r.Users, r.Rate)
			put(pre+": delivered/s", true, s, r.DeliveredPS)
			put(pre+": p50 ms", false, s, r.P50ms)
			put(pre+": p99 ms", false, s, r.P99ms)
			put(pre+": lost", false, s, float64(r.Lost))
			put(pre+": server CPU s", false, s, r.ServerCPUs)
			if b, ok := best[s]; !ok || r.DeliveredPS > b.DeliveredPS {
				best[s] = r
			}
		case "presence":
			pre := fmt.Sprintf("presence %d users, %d contacts @ %d/s", r.Users, r.Expected/max(r.Sent, 1), r.Rate)
			put(pre+": deliveries/s", true, s, r.DeliveredPS)
			put(pre+": p50 ms", false, s, r.P50ms)
			put(pre+": p99 ms", false, s, r.P99ms)
			put(pre+": max ms", false, s, r.MaxMs)
			put(pre+": lost", false, s, float64(r.Lost))
		case "muc":
			shape := fmt.Sprintf("muc %d rooms x %d occupants", r.Rooms, r.Occupants)
			pre := fmt.Sprintf("%s @ %d msgs/s", shape, r.Rate)
			put(pre+": deliveries/s", true, s, r.DeliveredPS)
			put(pre+": p50 ms", false, s, r.P50ms)
			put(pre+": p99 ms", false, s, r.P99ms)
			put(pre+": lost", false, s, float64(r.Lost))
			put(pre+": server CPU s", false, s, r.ServerCPUs)
			// A saturated step delivers late, not less: its
			// deliveries/s says little, so the best counts only steps
			// that kept up.
			key := s + "\x00" + shape
			if b, ok := bestMUC[key]; !Saturated(r) && (!ok || r.DeliveredPS > b.DeliveredPS) {
				bestMUC[key] = r
			}
			if !slices.Contains(shapes, shape) {
				shapes = append(shapes, shape)
			}
		case "idle":
			put("idle server RSS MiB", false, s, r.IdleRSSMiB)
			put("idle: authenticated connections held", true, s, float64(r.Logins))
			put("idle: server RSS with them MiB", false, s, r.ServerRSSMiB)
			put("idle: KiB per connection ((held - idle) / N)", false, s, r.RSSPerConnKB)
			put("idle: KiB per connection (slope over the steps)", false, s, r.SlopeKB)
		}
	}
	for _, s := range servers {
		if b, ok := best[s]; ok {
			put("chat: best delivered/s over the steps", true, s, b.DeliveredPS)
			put("chat: p99 ms at that step", false, s, b.P99ms)
		}
	}
	for _, shape := range shapes {
		for _, s := range servers {
			if b, ok := bestMUC[s+"\x00"+shape]; ok {
				put(shape+": best deliveries/s of an unsaturated step", true, s, b.DeliveredPS)
				put(shape+": p99 ms at that step", false, s, b.P99ms)
			}
		}
	}
	fmt.Fprintf(w, "| figure |")
	for _, s := range servers {
		fmt.Fprintf(w, " %s |", s)
	}
	for _, s := range servers[1:] {
		fmt.Fprintf(w, " %s/%s |", servers[0], s)
	}
	fmt.Fprintf(w, "\n|---|")
	for range len(servers)*2 - 1 {
		fmt.Fprintf(w, "---|")
	}
	fmt.Fprintln(w)
	for _, m := range rows {
		dir := "↓"
		if m.higher {
			dir = "↑"
		}
		fmt.Fprintf(w, "| %s %s |", m.name, dir)
		for _, s := range servers {
			if v, ok := m.values[s]; ok {
				fmt.Fprintf(w, " %s |", num(v))
			} else {
				fmt.Fprintf(w, " – |")
			}
		}
		v0, ok0 := m.values[servers[0]]
		for _, s := range servers[1:] {
			v, ok := m.values[s]
			if ok0 && ok && v != 0 {
				fmt.Fprintf(w, " %.2f |", v0/v)
			} else {
				fmt.Fprintf(w, " – |")
			}
		}
		fmt.Fprintln(w)
	}
}

func num(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}
