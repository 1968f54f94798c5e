package c2s

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"testing"

	"github.com/parley-im/parley/metrics"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/xml"
)

// handBackHandler blocks in Unacknowledged until proceed is closed.
type handBackHandler struct {
	Handler
	entered chan struct{}
	proceed chan struct{}
}

func (h *handBackHandler) Unacknowledged(context.Context, router.Session, []*xml.Element) {
	h.entered <- struct{}{}
	<-h.proceed
}

// A stanza delivered after its session ended goes back to the handler
// on another goroutine; until the handler has judged it, HandedOver must
// not report the session gone, or the caller (offline delivery) would
// release a stanza the handler then finds unheld and stores again. With
// the hand-back pending and the caller's context cancelled, HandedOver
// gives the context's error, never ErrGone (tried many times: where
// both are ready, select picks at random).
func TestHandedOverWaitsForLateHandBacks(t *testing.T) {
	h := &handBackHandler{entered: make(chan struct{}), proceed: make(chan struct{})}
	srv := New(Config{NoPolling: true}, nil, h, metrics.New(), slog.New(slog.DiscardHandler))
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	for range 32 {
		client, server := net.Pipe()
		defer client.Close()
		s := newSession(srv, newTCPTransport(server, xml.DefaultLimits), "192.0.2.1", false)
		s.sm = &streamMgmt{ended: true}
		s.goneOnce.Do(func() { close(s.gone) })

		s.Deliver(xml.NewElement("jabber:client", "message"))
		<-h.entered
		if err := s.HandedOver(cancelled); !errors.Is(err, context.Canceled) {
			t.Fatalf("HandedOver with a hand-back pending = %v, want the context's error", err)
		}
		h.proceed <- struct{}{}
		if err := s.HandedOver(t.Context()); !errors.Is(err, ErrGone) {
			t.Fatalf("HandedOver once the hand-back is done = %v, want ErrGone", err)
		}
	}
}
