package metrics

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Snapshot is the current value of the counters the admin console
// charts, read from the same collectors /metrics serves.
type Snapshot struct {
	Connections float64 // open client connections, every listener (parley_c2s_connections)
	Sessions    float64 // bound sessions (parley_c2s_sessions)
	Messages    float64 // message stanzas received from clients (parley_stanzas_received_total{kind="message"})
	Logins      float64 // successful logins, every mechanism (parley_auth_total{result="success"})
}

// Snapshot reads the console's counters.
func (m *Metrics) Snapshot() Snapshot {
	return Snapshot{
		Connections: sum(m.Connections, nil),
		Sessions:    sum(m.Sessions, nil),
		Messages:    sum(m.StanzasIn, map[string]string{"kind": "message"}),
		Logins:      sum(m.AuthTotal, map[string]string{"result": "success"}),
	}
}

// sum adds up the values of a collector's metrics whose labels include
// every pair of match.
func sum(c prometheus.Collector, match map[string]string) float64 {
	ch := make(chan prometheus.Metric, 64)
	go func() {
		c.Collect(ch)
		close(ch)
	}()
	var total float64
	for metric := range ch {
		var d dto.Metric
		if metric.Write(&d) != nil {
			continue
		}
		if !labelsMatch(d.GetLabel(), match) {
			continue
		}
		switch {
		case d.Counter != nil:
			total += d.Counter.GetValue()
		case d.Gauge != nil:
			total += d.Gauge.GetValue()
		}
	}
	return total
}

func labelsMatch(labels []*dto.LabelPair, match map[string]string) bool {
	for k, v := range match {
		found := false
		for _, l := range labels {
			if l.GetName() == k && strings.EqualFold(l.GetValue(), v) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}
