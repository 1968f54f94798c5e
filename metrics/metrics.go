// Package metrics defines Parley's Prometheus collectors in one place,
// so every part reports into the registry the HTTP listener serves.
package metrics

import "github.com/prometheus/client_golang/prometheus"

// Metrics holds the server's collectors.
type Metrics struct {
	Registry *prometheus.Registry

	Connections   *prometheus.GaugeVec   // open client connections by listener kind
	Sessions      prometheus.Gauge       // bound client sessions
	StanzasIn     *prometheus.CounterVec // stanzas received from clients by kind
	StanzasOut    prometheus.Counter     // stanzas queued to clients
	StreamErrors  *prometheus.CounterVec // stream errors sent, by condition
	AuthTotal     *prometheus.CounterVec // SASL outcomes by mechanism and result
	Bounced       *prometheus.CounterVec // stanza errors generated while routing, by condition
	OfflineStored prometheus.Counter     // messages stored for offline users
	SlowConsumers prometheus.Counter     // sessions disconnected because their queue overflowed
	ConnRejected  *prometheus.CounterVec // connections refused by limits, by reason
	Hibernating   prometheus.Gauge       // sessions waiting for a resumption (XEP-0198)
	Resumptions   prometheus.Counter     // sessions resumed on a new connection
	QuotaRefused  *prometheus.CounterVec // messages not stored because a user's quota was full, by area

	CalendarReceived  *prometheus.CounterVec // notifications the calendar agent received, by source
	CalendarDelivered prometheus.Counter     // reminders delivered
	CalendarDiscarded *prometheus.CounterVec // reminders and notifications discarded, by reason
	CalendarScheduled prometheus.Counter     // alarms scheduled for later
}

// New creates the collectors and registers them, with the Go and
// process collectors, on a new registry.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry:      r,
		Connections:   prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "parley_c2s_connections", Help: "Open client connections."}, []string{"listener"}),
		Sessions:      prometheus.NewGauge(prometheus.GaugeOpts{Name: "parley_c2s_sessions", Help: "Bound client sessions."}),
		StanzasIn:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_stanzas_received_total", Help: "Stanzas received from clients."}, []string{"kind"}),
		StanzasOut:    prometheus.NewCounter(prometheus.CounterOpts{Name: "parley_stanzas_sent_total", Help: "Stanzas queued for clients."}),
		StreamErrors:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_stream_errors_total", Help: "Stream errors sent."}, []string{"condition"}),
		AuthTotal:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_auth_total", Help: "SASL authentication attempts."}, []string{"mechanism", "result"}),
		Bounced:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_stanza_errors_total", Help: "Stanza errors generated while routing."}, []string{"condition"}),
		OfflineStored: prometheus.NewCounter(prometheus.CounterOpts{Name: "parley_offline_stored_total", Help: "Messages stored for offline users."}),
		SlowConsumers: prometheus.NewCounter(prometheus.CounterOpts{Name: "parley_slow_consumers_total", Help: "Sessions disconnected because they did not read fast enough."}),
		ConnRejected:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_connections_rejected_total", Help: "Connections refused by limits."}, []string{"reason"}),
		Hibernating:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "parley_c2s_hibernating_sessions", Help: "Sessions waiting for a stream resumption (XEP-0198)."}),
		Resumptions:   prometheus.NewCounter(prometheus.CounterOpts{Name: "parley_c2s_resumptions_total", Help: "Sessions resumed on a new connection (XEP-0198)."}),
		QuotaRefused:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_quota_refused_total", Help: "Messages not stored (archive) or refused (offline) because a user's quota was full."}, []string{"area"}),

		CalendarReceived:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_calendar_notifications_received_total", Help: "Notifications the calendar agent received, by source (nats, webhook, caldav)."}, []string{"source"}),
		CalendarDelivered: prometheus.NewCounter(prometheus.CounterOpts{Name: "parley_calendar_reminders_delivered_total", Help: "Calendar reminders delivered to their owners."}),
		CalendarDiscarded: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_calendar_reminders_discarded_total", Help: "Calendar reminders (or whole notifications) discarded, by reason."}, []string{"reason"}),
		CalendarScheduled: prometheus.NewCounter(prometheus.CounterOpts{Name: "parley_calendar_alarms_scheduled_total", Help: "Calendar alarms stored to fire later."}),
	}
	r.MustRegister(
		prometheus.NewGoCollector(),
		prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}),
		m.Connections, m.Sessions, m.StanzasIn, m.StanzasOut, m.StreamErrors,
		m.AuthTotal, m.Bounced, m.OfflineStored, m.SlowConsumers, m.ConnRejected,
		m.Hibernating, m.Resumptions, m.QuotaRefused,
		m.CalendarReceived, m.CalendarDelivered, m.CalendarDiscarded, m.CalendarScheduled,
	)
	return m
}
