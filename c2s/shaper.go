package c2s

import (
	"context"
	"time"

	"golang.org/x/time/rate"
)

// Rate limits of a bound session's input: stanzas per second and bytes
// per second (a shaper: what a client sends faster than its rate is
// delayed, not dropped). The session's reader waits before handling the
// next stanza, so a client that sends too fast finds its connection
// read more slowly (TCP, and a WebSocket's one-message buffer, push
// back) while every other session goes on. A stream closed meanwhile
// (Close) ends the wait.

// newRateLimiters returns the session's stanza and byte limiters (nil
// when off).
func newRateLimiters(cfg Config) (stanzas, bytes *rate.Limiter) {
	if cfg.StanzasPerSecond > 0 {
		stanzas = rate.NewLimiter(rate.Limit(cfg.StanzasPerSecond), max(cfg.StanzaBurst, 1))
	}
	if cfg.BytesPerSecond > 0 {
		bytes = rate.NewLimiter(rate.Limit(cfg.BytesPerSecond), max(cfg.ByteBurst, cfg.XMLLimits.MaxStanzaBytes))
	}
	return stanzas, bytes
}

// throttle waits until the session may handle a stanza of n bytes (the
// client's input since the previous one, framing included). It fails
// when the stream is closed or ctx ends while waiting.
func (s *Session) throttle(ctx context.Context, n int) error {
	if s.limiter == nil && s.bytes == nil {
		return nil
	}
	var delay time.Duration
	now := time.Now()
	if s.limiter != nil {
		delay = max(delay, s.limiter.ReserveN(now, 1).DelayFrom(now))
	}
	if s.bytes != nil {
		for burst := s.bytes.Burst(); n > 0; n -= burst {
			delay = max(delay, s.bytes.ReserveN(now, min(n, burst)).DelayFrom(now))
		}
	}
	if delay <= 0 {
		return nil
	}
	s.mu.Lock()
	stop := s.stop
	s.mu.Unlock()
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-stop:
		return errStreamEnded
	case <-ctx.Done():
		return ctx.Err()
	}
}
