package console

import (
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/metrics"
)

// TestStats: the samples are rates between samples, and only the last
// hour is kept.
func TestStats(t *testing.T) {
	snap := metrics.Snapshot{}
	s := NewStats(func() metrics.Snapshot { return snap }, 10*time.Second)
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Sample(t0) // the baseline: no point yet
	if len(s.Points()) != 0 {
		t.Fatal("a point from the baseline")
	}
	snap = metrics.Snapshot{Connections: 3, Messages: 50, Logins: 2}
	s.Sample(t0.Add(10 * time.Second))
	p := s.Points()
	if len(p) != 1 || p[0].Connections != 3 || p[0].MessagesPS != 5 || p[0].LoginsPS != 0.2 {
		t.Fatalf("points: %+v", p)
	}
	for i := 2; i <= 400; i++ {
		snap.Messages += 10
		s.Sample(t0.Add(time.Duration(i) * 10 * time.Second))
	}
	p = s.Points()
	if len(p) != 360 || p[len(p)-1].MessagesPS != 1 || !p[0].At.Equal(t0.Add(41*10*time.Second)) {
		t.Fatalf("%d points, last %+v, first %+v", len(p), p[len(p)-1], p[0])
	}
	c := charts(p, 360)
	if len(c) != 3 || c[1].ID != "messages" || c[1].Now != "1" || c[1].Max != "1" || len(strings.Fields(c[1].Points)) != 360 {
		t.Fatalf("charts: %+v", c[1])
	}
	if !strings.HasPrefix(c[1].Points, "0.0,5.0 ") || !strings.HasSuffix(c[1].Points, " 360.0,5.0") {
		t.Fatalf("messages points: %.40s ... %s", c[1].Points, c[1].Points[len(c[1].Points)-20:])
	}
}

func TestNiceTop(t *testing.T) {
	for v, want := range map[float64]float64{0: 1, 0.3: 1, 1.5: 2, 3: 5, 7: 10, 12: 20, 480: 500, 1001: 2000} {
		if got := niceTop(v); got != want {
			t.Errorf("niceTop(%v) = %v, want %v", v, got, want)
		}
	}
}
