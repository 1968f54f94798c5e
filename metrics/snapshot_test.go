package metrics

import "testing"

func TestSnapshot(t *testing.T) {
	m := New()
	m.Connections.WithLabelValues("starttls").Add(3)
	m.Connections.WithLabelValues("websocket").Add(2)
	m.Sessions.Set(4)
	m.StanzasIn.WithLabelValues("message").Add(7)
	m.StanzasIn.WithLabelValues("presence").Add(100)
	m.AuthTotal.WithLabelValues("SCRAM-SHA-256", "success").Add(5)
	m.AuthTotal.WithLabelValues("WEB", "success").Inc()
	m.AuthTotal.WithLabelValues("PLAIN", "not-authorized").Add(9)
	got := m.Snapshot()
	want := Snapshot{Connections: 5, Sessions: 4, Messages: 7, Logins: 6}
	if got != want {
		t.Fatalf("Snapshot() = %+v, want %+v", got, want)
	}
}
