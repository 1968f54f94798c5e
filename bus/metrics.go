package bus

import (
	"github.com/prometheus/client_golang/prometheus"

	natsserver "github.com/nats-io/nats-server/v2/server"
)

// Collector exports the bus's statistics to Prometheus: the embedded
// server's (connections, subscriptions, messages and bytes in and out,
// slow consumers), read from its monitoring data at each scrape, and
// Parley's own connection's (messages, bytes, reconnects, whether it is
// connected), for an external NATS too.
func (b *Bus) Collector() prometheus.Collector { return collector{b} }

type collector struct{ b *Bus }

var (
	descUp          = prometheus.NewDesc("parley_nats_up", "1 when the bus is healthy (embedded server running, connection up).", nil, nil)
	descConnections = prometheus.NewDesc("parley_nats_server_connections", "Client connections to the embedded NATS server.", nil, nil)
	descTotalConns  = prometheus.NewDesc("parley_nats_server_connections_total", "Client connections the embedded NATS server accepted.", nil, nil)
	descSubs        = prometheus.NewDesc("parley_nats_server_subscriptions", "Subscriptions on the embedded NATS server.", nil, nil)
	descSrvMsgs     = prometheus.NewDesc("parley_nats_server_messages_total", "Messages the embedded NATS server received (in) and sent (out).", []string{"direction"}, nil)
	descSrvBytes    = prometheus.NewDesc("parley_nats_server_bytes_total", "Payload bytes the embedded NATS server received (in) and sent (out).", []string{"direction"}, nil)
	descSlow        = prometheus.NewDesc("parley_nats_server_slow_consumers_total", "Clients the embedded NATS server disconnected as slow consumers.", nil, nil)
	descRoutes      = prometheus.NewDesc("parley_nats_server_routes", "Cluster routes of the embedded NATS server.", nil, nil)
	descClientMsgs  = prometheus.NewDesc("parley_nats_client_messages_total", "Messages Parley's bus connection received (in) and published (out).", []string{"direction"}, nil)
	descClientBytes = prometheus.NewDesc("parley_nats_client_bytes_total", "Payload bytes Parley's bus connection received (in) and published (out).", []string{"direction"}, nil)
	descReconnects  = prometheus.NewDesc("parley_nats_client_reconnects_total", "Times Parley's bus connection reconnected.", nil, nil)
)

func (collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descConnections, descTotalConns, descSubs, descSrvMsgs, descSrvBytes,
		descSlow, descRoutes, descClientMsgs, descClientBytes, descReconnects} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	up := 0.0
	if _, err := c.b.Health(); err == nil {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up)
	if srv := c.b.Server(); srv != nil {
		if v, err := srv.Varz(&natsserver.VarzOptions{}); err == nil {
			ch <- prometheus.MustNewConstMetric(descConnections, prometheus.GaugeValue, float64(v.Connections))
			ch <- prometheus.MustNewConstMetric(descTotalConns, prometheus.CounterValue, float64(v.TotalConnections))
			ch <- prometheus.MustNewConstMetric(descSubs, prometheus.GaugeValue, float64(v.Subscriptions))
			ch <- prometheus.MustNewConstMetric(descSrvMsgs, prometheus.CounterValue, float64(v.InMsgs), "in")
			ch <- prometheus.MustNewConstMetric(descSrvMsgs, prometheus.CounterValue, float64(v.OutMsgs), "out")
			ch <- prometheus.MustNewConstMetric(descSrvBytes, prometheus.CounterValue, float64(v.InBytes), "in")
			ch <- prometheus.MustNewConstMetric(descSrvBytes, prometheus.CounterValue, float64(v.OutBytes), "out")
			ch <- prometheus.MustNewConstMetric(descSlow, prometheus.CounterValue, float64(v.SlowConsumers))
			ch <- prometheus.MustNewConstMetric(descRoutes, prometheus.GaugeValue, float64(v.Routes))
		}
	}
	if conn := c.b.Conn(); conn != nil {
		st := conn.Stats()
		ch <- prometheus.MustNewConstMetric(descClientMsgs, prometheus.CounterValue, float64(st.InMsgs), "in")
		ch <- prometheus.MustNewConstMetric(descClientMsgs, prometheus.CounterValue, float64(st.OutMsgs), "out")
		ch <- prometheus.MustNewConstMetric(descClientBytes, prometheus.CounterValue, float64(st.InBytes), "in")
		ch <- prometheus.MustNewConstMetric(descClientBytes, prometheus.CounterValue, float64(st.OutBytes), "out")
		ch <- prometheus.MustNewConstMetric(descReconnects, prometheus.CounterValue, float64(st.Reconnects))
	}
}
