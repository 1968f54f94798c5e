package config

import (
	"fmt"
	"net/url"
	"regexp"
	"time"
)

// Cluster makes this server one node of several that share one
// PostgreSQL (storage.driver = "postgres") and one NATS: an external
// NATS cluster (nats.url), or the nodes' embedded NATS servers joined by
// routes (cluster.listen and cluster.routes). docs/cluster.md.
type Cluster struct {
	// Node names this node, unique in the cluster; "" (the default) runs
	// a single server. With a name, the server joins the cluster.
	Node string `toml:"node"`
	// Name names the cluster: nodes with the same name on one NATS form
	// one cluster (it prefixes the cluster's NATS subjects).
	Name string `toml:"name"`
	// Listen is the embedded NATS server's route listener (host:port)
	// that the other nodes' embedded servers connect to; "" for none.
	Listen string `toml:"listen"`
	// Routes are the other nodes' route listeners, as nats-route://
	// URLs (nats-route://node2.example.com:6222); a node may list every
	// node, itself included.
	Routes []string `toml:"routes"`
	// Advertise is host:port where clients can reach this node directly
	// (its own c2s listener); a draining peer sends its clients here in
	// <see-other-host/>. "" (the default): they reconnect to the address
	// they used, the load balancer's.
	Advertise string `toml:"advertise"`
	// Heartbeat is how often a node tells the others it is alive.
	Heartbeat Duration `toml:"heartbeat"`
	// PeerTimeout: a node silent this long is dead; its sessions vanish
	// from the others' tables and its rooms move.
	PeerTimeout Duration `toml:"peer_timeout"`
	// DrainTimeout bounds how long `parley node drain` waits for the
	// node's clients to leave (at most 25s: the control channel answers
	// within 30s).
	DrainTimeout Duration `toml:"drain_timeout"`
}

// maxDrain leaves a drain time to answer `parley node drain` within the
// control channel's 30 seconds.
const maxDrain = 25 * time.Second

func defaultCluster() Cluster {
	return Cluster{Name: "parley", Routes: []string{}, Heartbeat: Duration{time.Second},
		PeerTimeout: Duration{3 * time.Second}, DrainTimeout: Duration{20 * time.Second}}
}

// Enabled reports whether this server is a node of a cluster.
func (c Cluster) Enabled() bool { return c.Node != "" }

// clusterName is what a cluster or node name may be: it goes into NATS
// subjects.
var clusterName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func (c *Config) validateCluster(v *validator) {
	cl := &c.Cluster
	if !clusterName.MatchString(cl.Name) {
		v.add("cluster.name", fmt.Sprintf("%q: 1 to 64 letters, digits, '-' or '_'", cl.Name))
	}
	if cl.Node != "" && !clusterName.MatchString(cl.Node) {
		v.add("cluster.node", fmt.Sprintf("%q: 1 to 64 letters, digits, '-' or '_'", cl.Node))
	}
	v.positiveDuration("cluster.heartbeat", cl.Heartbeat)
	v.positiveDuration("cluster.drain_timeout", cl.DrainTimeout)
	if cl.DrainTimeout.Duration > maxDrain {
		v.add("cluster.drain_timeout", fmt.Sprintf("at most %s (the control channel answers within 30s), got %s", maxDrain, cl.DrainTimeout.Duration))
	}
	if cl.PeerTimeout.Duration < 2*cl.Heartbeat.Duration {
		v.add("cluster.peer_timeout", fmt.Sprintf("must be at least twice cluster.heartbeat (%s), got %s", 2*cl.Heartbeat.Duration, cl.PeerTimeout.Duration))
	}
	v.listener("cluster.listen", cl.Listen)
	if cl.Advertise != "" {
		v.listener("cluster.advertise", cl.Advertise)
	}
	for _, r := range cl.Routes {
		u, err := url.Parse(r)
		if err != nil || u.Host == "" || (u.Scheme != "nats-route" && u.Scheme != "nats") {
			v.add("cluster.routes", fmt.Sprintf("%q is not a route URL (e.g. nats-route://node2.example.com:6222)", r))
		} else if u.User != nil {
			v.add("cluster.routes", "routes use nats.user and nats.password: no credentials in the URL")
		}
	}
	if (cl.Listen != "" || len(cl.Routes) > 0) && !c.NATS.Embedded() {
		v.add("cluster.listen", "routes join embedded NATS servers: set nats.listen and leave nats.url empty (or use an external NATS cluster with nats.url and no routes)")
	}
	if len(cl.Routes) > 0 && cl.Listen == "" {
		v.add("cluster.listen", "required with cluster.routes: the other nodes' servers connect here")
	}
	if cl.Listen != "" && c.NATS.User == "" && !loopbackListener(cl.Listen) {
		v.add("cluster.listen", fmt.Sprintf("%q listens beyond loopback: set nats.user and nats.password (routes authenticate with them)", cl.Listen))
	}
	if !cl.Enabled() {
		return
	}
	if c.Storage.Driver != "postgres" {
		v.add("cluster.node", fmt.Sprintf("the nodes of a cluster share one PostgreSQL: set storage.driver = \"postgres\" (got %q)", c.Storage.Driver))
	}
	if !c.NATS.BusEnabled() {
		v.add("cluster.node", "the nodes of a cluster talk over NATS: set nats.url (an external NATS) or nats.listen (the embedded one, with cluster.routes)")
	}
}
