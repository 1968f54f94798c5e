package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/parley-im/parley/bus"
	"github.com/parley-im/parley/calendar"
	"github.com/parley-im/parley/control"
)

// extensions are the parts beyond the XMPP core that this branch of the
// server wires: the message bus, the local control channel and the
// calendar agent (bus.go, control.go, calendar.go).
type extensions struct {
	bus      *bus.Bus
	control  *control.Server
	calendar *calendar.Agent
}

// startBus starts the embedded NATS server or connects to the external
// NATS, as configured; nothing when neither is.
func (s *Server) startBus(ctx context.Context, serverTLS *tls.Config) error {
	n := s.cfg.NATS
	if !n.BusEnabled() {
		s.log.Info("no message bus (nats.listen and nats.url are empty): the calendar agent is off")
		return nil
	}
	cfg := bus.Config{Listen: n.Listen, URLs: n.URLs(), User: n.User, Password: n.Password, CredsFile: n.CredsFile,
		Name: busName(s.cfg.Cluster.Node), Logger: s.log}
	if n.Embedded() && s.cfg.Cluster.Listen != "" {
		cfg.ClusterListen, cfg.ClusterName, cfg.Routes = s.cfg.Cluster.Listen, s.cfg.Cluster.Name, s.cfg.Cluster.Routes
	}
	switch {
	case n.Embedded() && n.TLS:
		if serverTLS == nil {
			return fmt.Errorf("nats.tls: no TLS certificate")
		}
		cfg.TLS = serverTLS
	case !n.Embedded() && (n.CAFile != "" || strings.Contains(n.URL, "tls://") || strings.Contains(n.URL, "wss://")):
		var pem []byte
		if n.CAFile != "" {
			var err error
			if pem, err = os.ReadFile(n.CAFile); err != nil {
				return fmt.Errorf("nats.ca_file: %w", err)
			}
		}
		c, err := bus.ClientTLS(pem)
		if err != nil {
			return fmt.Errorf("nats.ca_file %s: %w", n.CAFile, err)
		}
		cfg.TLS = c
	}
	b := bus.New(cfg)
	startCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := b.Start(startCtx); err != nil {
		return err
	}
	s.ext.bus = b
	s.metrics.Registry.MustRegister(b.Collector())
	if a := b.Addr(); a != nil {
		s.mu.Lock()
		s.addrs["nats"] = a
		s.mu.Unlock()
	}
	return nil
}

// busName names this node on the bus (its NATS server and connection):
// parley-<node> on a node of a cluster (unique in the NATS cluster),
// else parley-<hostname>.
func busName(node string) string {
	if node != "" {
		return "parley-" + node
	}
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "parley"
	}
	return "parley-" + h
}

func (s *Server) stopBus(ctx context.Context) error {
	if s.ext.bus == nil {
		return nil
	}
	return s.ext.bus.Stop(ctx)
}

// Bus returns the message bus, nil when there is none.
func (s *Server) Bus() *bus.Bus { return s.ext.bus }

// healthz answers /healthz: "ok" and a line per part with a state of
// its own (the bus). A stopped embedded NATS server makes the node
// unhealthy (503); an external NATS that is away does not (the
// connection comes back by itself, and restarting the node would not
// help), but its state shows.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	if !s.ready.Load() {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	status, body := http.StatusOK, "ok\n"
	if b := s.ext.bus; b != nil {
		line, err := b.Health()
		if err != nil && b.Embedded() {
			status, body = http.StatusServiceUnavailable, "unhealthy\n"
		}
		body += "nats: " + line + "\n"
	}
	status, body = s.clusterHealth(status, body)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}
