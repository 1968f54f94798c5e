// Package offline stores messages for users who are not online and
// delivers them when the user next sends available presence with a
// non-negative priority (XEP-0160).
package offline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// ErrFull is returned when a user's offline storage is full.
var ErrFull = errors.New("offline: storage full")

// Service stores and delivers offline messages.
type Service struct {
	store store.Offline
	max   int
	log   *slog.Logger
	now   func() time.Time
	// deliveries serializes Deliver per user (striped by a hash of the
	// JID): two deliveries racing (initial presence, and a message
	// stored just as the user came online) must not both send a message.
	deliveries [64]sync.Mutex
}

// New returns a Service keeping at most max messages per user (0: no cap).
func New(st store.Offline, max int, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: st, max: max, log: log, now: time.Now}
}

// Storable reports whether a message is worth storing: a chat or normal
// message with some content besides chat states and thread markers.
// Standalone chat-state notifications are never stored (XEP-0085 §5.6).
func Storable(el *xml.Element) bool {
	switch el.Attr("type") {
	case "", "normal", "chat":
	default:
		return false
	}
	if el.Inner == nil && len(el.Children) == 0 {
		return false
	}
	for _, c := range el.Children {
		if c.Space == ns.ChatStates || c.Name == "thread" {
			continue
		}
		return true
	}
	return false
}

// Store keeps a message for owner, stamped with an XEP-0203 delay.
func (s *Service) Store(ctx context.Context, owner string, el *xml.Element) error {
	c := el.Copy()
	c.AddChild(xml.NewElement(ns.Delay, "delay",
		xml.Attr{Name: "from", Value: domainOf(owner)},
		xml.Attr{Name: "stamp", Value: s.now().UTC().Format("2006-01-02T15:04:05.000Z")}))
	err := s.store.StoreOffline(ctx, owner, c.Bytes(ns.Client), s.max)
	if errors.Is(err, store.ErrQuotaExceeded) {
		return ErrFull
	}
	if err != nil {
		return fmt.Errorf("offline: store for %s: %w", owner, err)
	}
	return nil
}

// Deliver sends every stored message to the session and deletes what
// was handed to it.
func (s *Service) Deliver(ctx context.Context, sess router.Session) {
	owner := sess.JID().Bare().String()
	mu := &s.deliveries[stripe(owner)]
	mu.Lock()
	defer mu.Unlock()
	msgs, err := s.store.OfflineMessages(ctx, owner)
	if err != nil {
		s.log.Error("offline messages", "user", owner, "err", err)
		return
	}
	if len(msgs) == 0 {
		return
	}
	ids := make([]int64, 0, len(msgs))
	to := sess.JID().String()
	for _, m := range msgs {
		ids = append(ids, m.ID)
		el, err := xml.ParseElement(m.Stanza, ns.Client, xml.Limits{MaxStanzaBytes: len(m.Stanza) + 1024, MaxDepth: 64, MaxAttrs: 256})
		if err != nil {
			s.log.Error("offline message unreadable, dropped", "user", owner, "id", m.ID, "err", err)
			continue
		}
		el.SetAttr("to", to)
		sess.Deliver(el)
	}
	if err := s.store.DeleteOffline(ctx, owner, ids); err != nil {
		s.log.Error("delete offline messages", "user", owner, "err", err)
	}
}

func stripe(owner string) int {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(owner); i++ {
		h = (h ^ uint32(owner[i])) * 16777619
	}
	return int(h % 64)
}

func domainOf(bare string) string {
	for i := len(bare) - 1; i >= 0; i-- {
		if bare[i] == '@' {
			return bare[i+1:]
		}
	}
	return bare
}
