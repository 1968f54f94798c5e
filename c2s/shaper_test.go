package c2s

import (
	"context"
	"testing"

	"github.com/parley-im/parley/xmpp/xml"
)

// BenchmarkThrottle is what the rate limits cost a stanza on the hot
// path when they do not delay it: both limiters on, rates far above
// the input.
func BenchmarkThrottle(b *testing.B) {
	cfg := Config{StanzasPerSecond: 1e9, StanzaBurst: 1 << 20, BytesPerSecond: 1 << 40, ByteBurst: 1 << 30, XMLLimits: xml.DefaultLimits}
	s := &Session{stop: make(chan struct{})}
	s.limiter, s.bytes = newRateLimiters(cfg)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.throttle(ctx, 150); err != nil {
			b.Fatal(err)
		}
	}
}
