// Package offline stores messages for users who are not online and
// delivers them when the user next sends available presence with a
// non-negative priority (XEP-0160).
//
// Delivery reads the mailbox a page at a time (at most pageMessages
// messages and pageBytes bytes) and deletes a page only once it has been
// handed over: written to the session's connection and, with stream
// management (XEP-0198), acknowledged by the client. Until then the page
// stays stored, so a login that fails half-way -- a lost connection, a
// client that does not read -- loses nothing, and however large the
// mailbox, the session's outbound queue holds one page of it at a time
// (a mailbox larger than the queue used to disconnect its owner as a
// slow consumer at every login, for good).
//
// Locking: Service.mu guards the running deliveries and the set of
// messages in flight; it is never held while calling a session or the
// store.
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

// A delivery page: at most this many messages, and no more once they
// reach this many bytes (but at least one message).
const (
	pageMessages = 100
	pageBytes    = 512 << 10
)

// Service stores and delivers offline messages.
type Service struct {
	store  store.Offline
	limits store.OfflineLimits
	log    *slog.Logger
	now    func() time.Time

	mu sync.Mutex
	// running: the owners with a delivery under way, and the session
	// that asked last (it takes over if the running one fails).
	running map[string]*delivery
	// inFlight: messages read from storage and delivered, whose page is
	// neither deleted nor given up yet (see Holds).
	inFlight map[*xml.Element]struct{}
}

// delivery is one owner's running delivery.
type delivery struct {
	next router.Session // a session that asked meanwhile, or nil
}

// New returns a Service keeping at most limits per user (zero fields:
// no cap).
func New(st store.Offline, limits store.OfflineLimits, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: st, limits: limits, log: log, now: time.Now,
		running: make(map[string]*delivery), inFlight: make(map[*xml.Element]struct{})}
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

// Store keeps a message for owner, stamped with an XEP-0203 delay. It
// returns once the message is committed to storage; ErrFull when it
// would take owner's storage past a limit.
func (s *Service) Store(ctx context.Context, owner string, el *xml.Element) error {
	c := el.Copy()
	c.AddChild(xml.NewElement(ns.Delay, "delay",
		xml.Attr{Name: "from", Value: domainOf(owner)},
		xml.Attr{Name: "stamp", Value: s.now().UTC().Format("2006-01-02T15:04:05.000Z")}))
	err := s.store.StoreOffline(ctx, owner, c.Bytes(ns.Client), s.limits)
	if errors.Is(err, store.ErrQuotaExceeded) {
		return ErrFull
	}
	if err != nil {
		return fmt.Errorf("offline: store for %s: %w", owner, err)
	}
	return nil
}

// Deliver starts delivering owner's stored messages to sess, in the
// background (it never blocks); if a delivery to that owner is under
// way it re-reads storage when done (a message stored meanwhile), and
// sess takes over should that delivery fail.
func (s *Service) Deliver(ctx context.Context, sess router.Session) {
	owner := sess.JID().Bare().String()
	s.mu.Lock()
	if d, ok := s.running[owner]; ok {
		d.next = sess
		s.mu.Unlock()
		return
	}
	s.running[owner] = &delivery{}
	s.mu.Unlock()
	go s.run(ctx, owner, sess)
}

// Holds reports whether el is a stored message being delivered: it stays
// in storage until handed over, so a session that ends without
// acknowledging it must not store it again.
func (s *Service) Holds(el *xml.Element) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.inFlight[el]
	return ok
}

// run delivers owner's mailbox to sess, then to any session that asked
// meanwhile, until storage is empty or no session takes it.
func (s *Service) run(ctx context.Context, owner string, sess router.Session) {
	for sess != nil {
		err := s.deliver(ctx, owner, sess)
		if err != nil {
			s.log.Debug("offline delivery stopped; the rest stays stored", "user", owner, "err", err)
		}
		s.mu.Lock()
		d := s.running[owner]
		sess, d.next = d.next, nil
		if sess == nil {
			delete(s.running, owner)
		}
		s.mu.Unlock()
	}
}

// deliver hands owner's stored messages to sess page by page, deleting
// each page once handed over.
func (s *Service) deliver(ctx context.Context, owner string, sess router.Session) error {
	drainer, paced := sess.(router.Drainer)
	to := sess.JID().String()
	var after int64
	for {
		msgs, err := s.store.OfflinePage(ctx, owner, after, pageMessages, pageBytes)
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			return nil
		}
		ids := make([]int64, 0, len(msgs))
		els := make([]*xml.Element, 0, len(msgs))
		for _, m := range msgs {
			ids = append(ids, m.ID)
			el, err := xml.ParseElement(m.Stanza, ns.Client, xml.Limits{MaxStanzaBytes: len(m.Stanza) + 1024, MaxDepth: 64, MaxAttrs: 256})
			if err != nil {
				s.log.Error("offline message unreadable, dropped", "user", owner, "id", m.ID, "err", err)
				continue
			}
			el.SetAttr("to", to)
			els = append(els, el)
		}
		after = ids[len(ids)-1]
		s.hold(els, true)
		for _, el := range els {
			sess.Deliver(el)
		}
		if paced {
			err = drainer.HandedOver(ctx)
		}
		if err == nil {
			err = s.store.DeleteOffline(ctx, owner, ids)
		}
		s.hold(els, false)
		if err != nil {
			return err
		}
	}
}

// hold marks els as in flight, or no longer.
func (s *Service) hold(els []*xml.Element, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, el := range els {
		if on {
			s.inFlight[el] = struct{}{}
		} else {
			delete(s.inFlight, el)
		}
	}
}

func domainOf(bare string) string {
	for i := len(bare) - 1; i >= 0; i-- {
		if bare[i] == '@' {
			return bare[i+1:]
		}
	}
	return bare
}
