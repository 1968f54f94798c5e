package console

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/parley-im/parley/metrics"
)

// Stats samples the server's counters (the same collectors as /metrics)
// at a fixed interval and keeps the last hour: open connections, and
// messages and logins per second between two samples.
type Stats struct {
	read     func() metrics.Snapshot
	interval time.Duration
	keep     int

	mu      sync.Mutex
	points  []Point // oldest first, at most keep
	last    metrics.Snapshot
	lastAt  time.Time
	started bool
}

// Point is one sample.
type Point struct {
	At          time.Time `json:"t"`
	Connections float64   `json:"connections"`
	MessagesPS  float64   `json:"messages_per_s"`
	LoginsPS    float64   `json:"logins_per_s"`
}

// Window is how far back the charts look.
const Window = time.Hour

// NewStats samples read every interval (10 s if 0), keeping Window.
func NewStats(read func() metrics.Snapshot, interval time.Duration) *Stats {
	if interval <= 0 {
		interval = 10 * time.Second
	}
	return &Stats{read: read, interval: interval, keep: int(Window / interval)}
}

// Interval is the time between samples.
func (s *Stats) Interval() time.Duration { return s.interval }

// Sample takes one sample at now (Run calls it on its ticker; tests call
// it with their own clock).
func (s *Stats) Sample(now time.Time) {
	snap := s.read()
	s.mu.Lock()
	defer s.mu.Unlock()
	p := Point{At: now.UTC(), Connections: snap.Connections}
	if s.started {
		if dt := now.Sub(s.lastAt).Seconds(); dt > 0 {
			p.MessagesPS = math.Max(0, snap.Messages-s.last.Messages) / dt
			p.LoginsPS = math.Max(0, snap.Logins-s.last.Logins) / dt
		}
		s.points = append(s.points, p)
		if len(s.points) > s.keep {
			s.points = append(s.points[:0], s.points[len(s.points)-s.keep:]...)
		}
	}
	s.last, s.lastAt, s.started = snap, now, true
}

// Points returns the samples of the last hour, oldest first.
func (s *Stats) Points() []Point {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Point(nil), s.points...)
}

// Run samples until ctx ends.
func (s *Stats) Run(ctx context.Context) {
	s.Sample(time.Now())
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.Sample(now)
		}
	}
}

// Chart is one series drawn as an SVG polyline in a 360×100 box.
type Chart struct {
	ID, Title, Unit string
	Now, Max        string // the latest value and the scale's top, as text
	Points          string // the polyline's points
	Summary         string // for screen readers
}

// charts draws the three series.
func charts(points []Point, keep int) []Chart {
	series := []struct {
		id, title, unit string
		get             func(Point) float64
	}{
		{"connections", "Connections", "open", func(p Point) float64 { return p.Connections }},
		{"messages", "Messages", "per second", func(p Point) float64 { return p.MessagesPS }},
		{"logins", "Logins", "per second", func(p Point) float64 { return p.LoginsPS }},
	}
	out := make([]Chart, 0, len(series))
	for _, s := range series {
		c := Chart{ID: s.id, Title: s.title, Unit: s.unit}
		peak := 0.0
		for _, p := range points {
			peak = math.Max(peak, s.get(p))
		}
		top := niceTop(peak)
		var b strings.Builder
		off := keep - len(points) // right-aligned: the newest sample at the right edge
		for i, p := range points {
			x := float64(off+i) * 360 / float64(max(keep-1, 1))
			y := 100 - s.get(p)/top*95
			fmt.Fprintf(&b, "%.1f,%.1f ", x, y)
		}
		c.Points = strings.TrimSpace(b.String())
		last := 0.0
		if len(points) > 0 {
			last = s.get(points[len(points)-1])
		}
		c.Now, c.Max = number(last), number(top)
		c.Summary = fmt.Sprintf("%s %s over the last %d minutes: now %s, highest %s.", s.title, s.unit,
			int(math.Round(float64(len(points))*Window.Minutes()/float64(max(keep, 1)))), number(last), number(peak))
		out = append(out, c)
	}
	return out
}

// niceTop is a round scale top at or above v (1 at least).
func niceTop(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func number(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	if v < 10 {
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
