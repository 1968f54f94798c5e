package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/bench"
	"github.com/parley-im/parley/internal/pgtest"
)

// BenchmarkClusterChat is the throughput model of docs/cluster.md: a
// single server, then clusters of two and three nodes (their embedded
// NATS servers joined by routes), each on PostgreSQL with the default
// configuration (archive on), all on this machine, behind a TCP load
// balancer; `parley bench chat` sends chat messages between random
// users through the balancer at rising rates until delivery falls
// behind. It reports the highest rate delivered in full and the CPU the
// nodes spent per delivered message (with n nodes, (n-1)/n of the
// messages cross nodes). Run it alone, once:
//
//	go test -run '^$' -bench ClusterChat -benchtime 1x ./test/e2e/
func BenchmarkClusterChat(b *testing.B) {
	pg := pgtest.Shared(b)
	for _, n := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			for b.Loop() {
				clusterChat(b, pg, n)
			}
		})
	}
}

func clusterChat(b *testing.B, pg *pgtest.Server, n int) {
	nodes := startBenchCluster(b, pg, n)
	env := nodes[0].env
	const users = 200
	if out, err := parleyCmdEnv(b, b.TempDir(), env, "bench", "provision", "--users", strconv.Itoa(users)); err != nil {
		b.Fatalf("provision: %v\n%s", err, out)
	}
	var backends []string
	for _, s := range nodes {
		backends = append(backends, s.c2s)
	}
	lb := startBalancer(b, backends...)

	pids := make([]string, len(nodes))
	for i, s := range nodes {
		pids[i] = strconv.Itoa(s.cmd.Process.Pid)
	}
	args := []string{"bench", "chat", "--addr", lb.addr(), "--users", strconv.Itoa(users),
		"--rates", "1000,2000,3000,4000,6000,8000,12000,16000", "--duration", "5s", "--json", "--server-pid", pids[0]}
	if n > 1 {
		args = append(args, "--cluster-pids", strings.Join(pids[1:], ","))
	}
	cmd := exec.Command(parleyBin, args...)
	cmd.Env = hermeticEnv()
	cmd.Dir = b.TempDir()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		b.Fatalf("parley bench chat: %v\n%s", err, out.String())
	}
	// The best step is the fastest one the nodes kept up with (as the
	// tool judges saturation: delivery rate, loss, p99 latency).
	// The nodes' CPU per step is a fixed cost per second (timers,
	// heartbeats, the runtime: it is most of it at low rates) plus a cost
	// per message: the slope of CPU over messages delivered, fitted over
	// the steps the nodes kept up with, is the cost per message.
	var best bench.Result
	var xs, ys []float64
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var r bench.Result
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.Rate == 0 {
			continue
		}
		if bench.Saturated(r) {
			continue
		}
		if r.DeliveredPS > best.DeliveredPS {
			best = r
		}
		xs, ys = append(xs, float64(r.Delivered)), append(ys, r.ServerCPUs)
	}
	b.Logf("%d node(s):\n%s", n, out.String())
	b.ReportMetric(best.DeliveredPS, "msgs/s")
	b.ReportMetric(best.P50ms, "p50-ms")
	b.ReportMetric(best.P99ms, "p99-ms")
	if slope, intercept, ok := fit(xs, ys); ok {
		b.ReportMetric(slope*1e6, "node-cpu-µs/msg")
		b.ReportMetric(intercept/5*100, "node-fixed-cpu-%") // per 5 s step
	}
}

// fit is the least-squares line y = slope*x + intercept.
func fit(xs, ys []float64) (slope, intercept float64, ok bool) {
	n := float64(len(xs))
	if n < 2 {
		return 0, 0, false
	}
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx, sy, sxx, sxy = sx+xs[i], sy+ys[i], sxx+xs[i]*xs[i], sxy+xs[i]*ys[i]
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0, 0, false
	}
	slope = (n*sxy - sx*sy) / d
	return slope, (sy - slope*sx) / n, true
}

// BenchmarkClusterIdle is what the nodes of an idle cluster (no client)
// cost: heartbeats, NATS routes and pings, timers, the runtime. Run it
// alone: go test -run '^$' -bench ClusterIdle -benchtime 1x ./test/e2e/
func BenchmarkClusterIdle(b *testing.B) {
	pg := pgtest.Shared(b)
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			for b.Loop() {
				nodes := startBenchCluster(b, pg, n)
				before := nodesCPU(b, nodes)
				start := time.Now()
				time.Sleep(10 * time.Second) // the measurement window
				cpu := nodesCPU(b, nodes) - before
				b.ReportMetric(cpu.Seconds()/time.Since(start).Seconds()*100/float64(n), "cpu-%/node")
			}
		})
	}
}

// nodesCPU is the CPU time the nodes' processes used so far.
func nodesCPU(b testing.TB, nodes []*server) time.Duration {
	var total time.Duration
	for _, s := range nodes {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/stat")
		if err != nil {
			b.Fatal(err)
		}
		// After the command name (which may hold spaces): utime is the
		// 14th field, stime the 15th, in clock ticks (100 per second).
		f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+2:]))
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(ut+st) * 10 * time.Millisecond
	}
	return total
}

// startBenchCluster starts n nodes on a fresh schema (a single server
// for 1), their embedded NATS servers joined by routes, and waits until
// they see each other.
func startBenchCluster(b *testing.B, pg *pgtest.Server, n int) []*server {
	dsn := pg.NewSchema(b)
	env := []string{"PARLEY_STORAGE_DRIVER=postgres", "PARLEY_STORAGE_DSN=" + dsn,
		// Every connection comes from the balancer's address.
		"PARLEY_LIMITS_MAX_CONNECTIONS_PER_IP=0", "PARLEY_LIMITS_MAX_PRELOGIN_CONNECTIONS_PER_IP=0"}
	routes, err := freeAddrs(n)
	if err != nil {
		b.Fatal(err)
	}
	var urls []string
	for _, r := range routes {
		urls = append(urls, "nats-route://"+r)
	}
	var nodes []*server
	for i := range n {
		e := env
		if n > 1 {
			e = append([]string{fmt.Sprintf("PARLEY_CLUSTER_NODE=n%d", i+1), "PARLEY_CLUSTER_LISTEN=" + routes[i],
				"PARLEY_CLUSTER_ROUTES=" + strings.Join(urls, ",")}, env...)
		}
		s := startServerEnv(b, fmt.Sprintf("n%d", i+1), "", e, "--allow-plaintext", "--log-level", "warn")
		s.env = env
		nodes = append(nodes, s)
	}
	for _, s := range nodes {
		if n > 1 {
			waitPeers(b, s, n-1)
		}
	}
	return nodes
}
