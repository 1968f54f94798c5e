package cluster

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// stats counts what the node forwards and receives.
type stats struct {
	forwarded          atomic.Uint64 // stanzas queued to other nodes' sessions
	dropped            atomic.Uint64 // stanzas dropped: a node's queue was full
	delivered          atomic.Uint64 // stanzas from peers delivered to local sessions
	undeliverable      atomic.Uint64 // stanzas from peers whose session was gone
	componentForwarded atomic.Uint64 // stanzas to services another node holds
	componentReceived  atomic.Uint64 // stanzas for services this node holds, from peers
	replays            atomic.Uint64 // room joins replayed after a move
	moves              atomic.Uint64 // keys whose owner went away
	badFrames          atomic.Uint64
	conflicts          atomic.Uint64 // local sessions replaced by a bind on another node
	peersLost          atomic.Uint64 // peers declared dead (no heartbeat)
	snapshotsServed    atomic.Uint64
	snapshotsFetched   atomic.Uint64
	nameClash          atomic.Uint64

	latency prometheus.Histogram // from a batch's first frame queued to its arrival

	mu       sync.Mutex
	window   time.Time // start of the current rate window
	winFwd   uint64    // forwarded at the window's start
	rate     float64   // forwarded stanzas per second over the last window
	latSum   time.Duration
	latN     int
	latMax   time.Duration
	lastAvg  time.Duration // the last window's average latency
	lastMax  time.Duration
	lastSeen time.Time
}

func (s *stats) init() {
	s.latency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "parley_cluster_forward_latency_seconds",
		Help:    "Time from a stanza batch's first frame queued on a node to its arrival here (clocks of both nodes).",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
	})
}

// received records the latency of a batch that arrived now.
func (s *stats) received(now, sent time.Time) {
	d := now.Sub(sent)
	if d < 0 {
		d = 0 // clocks of two machines
	}
	s.latency.Observe(d.Seconds())
	s.mu.Lock()
	s.latSum += d
	s.latN++
	s.latMax = max(s.latMax, d)
	s.mu.Unlock()
}

// tick closes a rate window (every heartbeat).
func (s *stats) tick(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fwd := s.forwarded.Load()
	if !s.window.IsZero() {
		if secs := now.Sub(s.window).Seconds(); secs > 0 {
			s.rate = float64(fwd-s.winFwd) / secs
		}
	}
	s.window, s.winFwd = now, fwd
	if s.latN > 0 {
		s.lastAvg, s.lastMax, s.lastSeen = s.latSum/time.Duration(s.latN), s.latMax, now
	} else if now.Sub(s.lastSeen) > time.Minute {
		s.lastAvg, s.lastMax = 0, 0
	}
	s.latSum, s.latN, s.latMax = 0, 0, 0
}

// Health is the node's cluster state in one paragraph, for /healthz.
func (r *Router) Health() string {
	peers := r.Peers()
	names := make([]string, 0, len(peers))
	for _, p := range peers {
		n := p.Node
		if p.Draining {
			n += " (draining)"
		}
		if !p.Synced {
			n += " (syncing)"
		}
		names = append(names, n)
	}
	r.stats.mu.Lock()
	rate, avg, mx := r.stats.rate, r.stats.lastAvg, r.stats.lastMax
	r.stats.mu.Unlock()
	state := "member"
	if r.draining.Load() {
		state = "draining"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "cluster: %s, node %s, %s; peers %d [%s]\n", r.cfg.Name, r.cfg.Node, state, len(peers), strings.Join(names, ", "))
	fmt.Fprintf(&b, "cluster registry: %d local sessions, %d on peers; %d claimed keys here\n", r.Table.Count(), r.RemoteSessions(), r.claimCount())
	fmt.Fprintf(&b, "cluster forwarding: %.1f stanzas/s out, latency avg %s max %s in, %d dropped\n",
		rate, avg.Round(time.Microsecond), mx.Round(time.Microsecond), r.stats.dropped.Load())
	return b.String()
}

// Draining reports whether this node is draining.
func (r *Router) Draining() bool { return r.draining.Load() }

// Collector exports the node's cluster statistics to Prometheus.
func (r *Router) Collector() prometheus.Collector { return collector{r} }

type collector struct{ r *Router }

var (
	descPeers     = prometheus.NewDesc("parley_cluster_peers", "Live peers this node sees.", nil, nil)
	descDraining  = prometheus.NewDesc("parley_cluster_draining", "1 while this node is draining.", nil, nil)
	descRegistry  = prometheus.NewDesc("parley_cluster_registry_sessions", "Sessions in this node's registry, by where they are bound (local, remote).", []string{"where"}, nil)
	descClaims    = prometheus.NewDesc("parley_cluster_claimed_keys", "Owned-service keys (rooms...) this node holds.", nil, nil)
	descForwarded = prometheus.NewDesc("parley_cluster_forwarded_total", "Stanzas this node forwarded to sessions on other nodes.", nil, nil)
	descFwdRate   = prometheus.NewDesc("parley_cluster_forwarded_per_second", "Stanzas forwarded per second over the last heartbeat interval.", nil, nil)
	descDropped   = prometheus.NewDesc("parley_cluster_dropped_total", "Stanzas dropped because a node's queue was full or a stanza was too large.", nil, nil)
	descDelivered = prometheus.NewDesc("parley_cluster_delivered_total", "Stanzas from other nodes delivered to local sessions.", nil, nil)
	descUndeliv   = prometheus.NewDesc("parley_cluster_undeliverable_total", "Stanzas from other nodes whose session had gone (messages went to offline storage).", nil, nil)
	descCompFwd   = prometheus.NewDesc("parley_cluster_service_forwarded_total", "Stanzas forwarded to the node holding their room or service.", nil, nil)
	descCompRecv  = prometheus.NewDesc("parley_cluster_service_received_total", "Stanzas for rooms or services this node holds, from other nodes.", nil, nil)
	descReplays   = prometheus.NewDesc("parley_cluster_room_rejoins_total", "Room joins of local sessions replayed after the room moved.", nil, nil)
	descMoves     = prometheus.NewDesc("parley_cluster_moves_total", "Rooms or services whose owner node went away or gave them up.", nil, nil)
	descBad       = prometheus.NewDesc("parley_cluster_bad_frames_total", "Malformed messages or stanzas from other nodes.", nil, nil)
	descConflicts = prometheus.NewDesc("parley_cluster_conflicts_total", "Local sessions closed because the same full JID bound on another node.", nil, nil)
	descPeersLost = prometheus.NewDesc("parley_cluster_peers_lost_total", "Peers declared dead after peer_timeout without a heartbeat.", nil, nil)
	descSnapshots = prometheus.NewDesc("parley_cluster_snapshots_total", "Session-table snapshots served to peers and fetched from them.", []string{"direction"}, nil)
	descPublished = prometheus.NewDesc("parley_cluster_messages_published_total", "NATS messages (batches) this node published.", nil, nil)
	descNameClash = prometheus.NewDesc("parley_cluster_name_clashes_total", "Messages from another process using this node's name.", nil, nil)
	clusterDescs  = []*prometheus.Desc{descPeers, descDraining, descRegistry, descClaims, descForwarded, descFwdRate, descDropped, descDelivered, descUndeliv, descCompFwd, descCompRecv, descReplays, descMoves, descBad, descConflicts, descPeersLost, descSnapshots, descPublished, descNameClash}
)

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range clusterDescs {
		ch <- d
	}
	c.r.stats.latency.Describe(ch)
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	r, st := c.r, &c.r.stats
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(descPeers, float64(len(r.Peers())))
	draining := 0.0
	if r.draining.Load() {
		draining = 1
	}
	gauge(descDraining, draining)
	gauge(descRegistry, float64(r.Table.Count()), "local")
	gauge(descRegistry, float64(r.RemoteSessions()), "remote")
	gauge(descClaims, float64(r.claimCount()))
	counter(descForwarded, st.forwarded.Load())
	st.mu.Lock()
	rate := st.rate
	st.mu.Unlock()
	gauge(descFwdRate, rate)
	counter(descDropped, st.dropped.Load())
	counter(descDelivered, st.delivered.Load())
	counter(descUndeliv, st.undeliverable.Load())
	counter(descCompFwd, st.componentForwarded.Load())
	counter(descCompRecv, st.componentReceived.Load())
	counter(descReplays, st.replays.Load())
	counter(descMoves, st.moves.Load())
	counter(descBad, st.badFrames.Load())
	counter(descConflicts, st.conflicts.Load())
	counter(descPeersLost, st.peersLost.Load())
	counter(descSnapshots, st.snapshotsServed.Load(), "served")
	counter(descSnapshots, st.snapshotsFetched.Load(), "fetched")
	_, sent := r.out.counts()
	counter(descPublished, sent)
	counter(descNameClash, st.nameClash.Load())
	st.latency.Collect(ch)
}
