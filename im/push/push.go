// Package push is the user's-server side of XEP-0357 push
// notifications. A client (typically a phone app) enables push with the
// JID and node of its app server; when a message then waits for that
// client — stored offline, or held for a stream that waits to be resumed
// (XEP-0198) — the service publishes a notification to the app server,
// which wakes the phone through its vendor's push network.
//
// The notification carries the XEP's summary form: message-count, and,
// as configured, last-message-sender and last-message-body (off by
// default: the app server and the push network would see the text).
// App servers are reached as components (XEP-0114) of this server, or
// on their own servers through federation (package s2s); without
// federation, notifications for a remote app server are dropped and
// logged.
package push

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Store is what the service reads and writes.
type Store interface {
	store.Pushes
	CountOffline(ctx context.Context, owner string) (int, error)
}

// Config wires a Service.
type Config struct {
	Store Store
	// Send routes a notification (an iq set from the user's bare JID to
	// the app server) and reports whether it found a route. It is called
	// on the routing path, maybe under a room's lock (a room's message to
	// a user held for resumption), so it must not block nor reach an
	// internal component: only external ones (XEP-0114) and other
	// servers (federation, which queues without blocking).
	Send func(ctx context.Context, iq *xml.Element) bool
	// Local reports whether a domain is served here (a host, or an
	// internal service such as conference rooms): not an app server.
	Local         func(domain string) bool
	IncludeSender bool // last-message-sender in notifications
	IncludeBody   bool // last-message-body in notifications
	// MaxRegistrations bounds one account's registrations (default 10):
	// every one is notified for a stored message, so an account with
	// thousands would flood the app server's component queue.
	MaxRegistrations int
	// Throttle is the least time between two notifications to the same
	// registration (default 1s); the later one carries the newer count.
	Throttle time.Duration
	Logger   *slog.Logger
	Now      func() time.Time // for tests; time.Now if nil
}

// Service handles push registrations and sends notifications.
type Service struct {
	cfg Config
	log *slog.Logger

	mu   sync.Mutex
	sent map[string]time.Time // registration key -> last notification
}

// New returns a Service.
func New(cfg Config) *Service {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.MaxRegistrations <= 0 {
		cfg.MaxRegistrations = 10
	}
	if cfg.Throttle <= 0 {
		cfg.Throttle = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, log: log.With("component", "push"), sent: make(map[string]time.Time)}
}

// HandleIQ answers <enable/> and <disable/> (XEP-0357 §5, §6) sent to
// the user's own account.
func (s *Service) HandleIQ(ctx context.Context, sess router.Session, iq *xml.Element) {
	if iq.Attr("type") != "set" {
		sess.Deliver(stanza.Error(iq, stanza.BadRequest, "push registrations are changed with iq set"))
		return
	}
	owner := sess.JID().Bare().String()
	req := iq.Children[0]
	service, err := jid.Parse(req.Attr("jid"))
	if err != nil || service.IsZero() {
		sess.Deliver(stanza.Error(iq, stanza.BadRequest, "'jid' must be the app server's JID"))
		return
	}
	if req.Name == "enable" && s.cfg.Local != nil && s.cfg.Local(service.Domain()) {
		sess.Deliver(stanza.Error(iq, stanza.NotAcceptable, service.Domain()+" is served here; it is not an app server"))
		return
	}
	node := req.Attr("node")
	switch req.Name {
	case "enable":
		if node == "" {
			sess.Deliver(stanza.Error(iq, stanza.BadRequest, "enable needs the app server's 'node'"))
			return
		}
		reg := store.PushRegistration{Service: service.String(), Node: node, Resource: sess.JID().Resource()}
		if form := req.Child(ns.DataForms, "x"); form != nil {
			if form.Attr("type") != "submit" {
				sess.Deliver(stanza.Error(iq, stanza.BadRequest, "publish options must be a submitted form"))
				return
			}
			reg.Options = form.Bytes(ns.Client)
		}
		if !s.roomFor(ctx, owner, reg) {
			sess.Deliver(stanza.Error(iq, stanza.ResourceConstraint,
				"too many push registrations on this account; disable one first"))
			return
		}
		if err := s.cfg.Store.PutPush(ctx, owner, reg); err != nil {
			s.log.Error("enable push", "user", owner, "err", err)
			sess.Deliver(stanza.Error(iq, stanza.InternalServerError, ""))
			return
		}
		s.log.Info("push enabled", "user", owner, "resource", reg.Resource, "service", reg.Service)
	case "disable":
		n, err := s.cfg.Store.DeletePush(ctx, owner, service.String(), node)
		if err != nil {
			s.log.Error("disable push", "user", owner, "err", err)
			sess.Deliver(stanza.Error(iq, stanza.InternalServerError, ""))
			return
		}
		s.log.Info("push disabled", "user", owner, "service", service.String(), "registrations", n)
	default:
		sess.Deliver(stanza.Error(iq, stanza.FeatureNotImplemented, ""))
		return
	}
	sess.Deliver(stanza.Result(iq))
}

// Offline notifies every app server owner registered with: msg was
// stored for them while no client was connected.
func (s *Service) Offline(ctx context.Context, owner string, msg *xml.Element) {
	if !Notifies(msg) {
		return
	}
	regs := s.registrations(ctx, owner)
	if len(regs) == 0 {
		return
	}
	count, err := s.cfg.Store.CountOffline(ctx, owner)
	if err != nil {
		count = 1
	}
	for _, r := range regs {
		s.notify(ctx, owner, r, msg, count)
	}
}

// Held notifies the app server of the client at to, whose stream waits
// to be resumed: msg is held for it, with pending messages in all.
func (s *Service) Held(ctx context.Context, to jid.JID, msg *xml.Element, pending int) {
	if !Notifies(msg) {
		return
	}
	owner := to.Bare().String()
	for _, r := range s.registrations(ctx, owner) {
		if r.Resource == to.Resource() {
			s.notify(ctx, owner, r, msg, pending)
		}
	}
}

// Notifies reports whether a message is worth waking a phone for: one
// with a body (not a chat state, receipt or error).
func Notifies(msg *xml.Element) bool {
	if msg.Name != stanza.Message {
		return false
	}
	switch stanza.Type(msg) {
	case "error", "groupchat", "headline":
		return false
	}
	return msg.Child(ns.Client, "body") != nil
}

func (s *Service) registrations(ctx context.Context, owner string) []store.PushRegistration {
	regs, err := s.cfg.Store.PushRegistrations(ctx, owner)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("push registrations", "user", owner, "err", err)
	}
	return regs
}

// roomFor reports whether owner may add reg: it replaces one of theirs,
// or they have fewer than MaxRegistrations.
func (s *Service) roomFor(ctx context.Context, owner string, reg store.PushRegistration) bool {
	regs := s.registrations(ctx, owner)
	for _, r := range regs {
		if r.Service == reg.Service && r.Node == reg.Node {
			return true
		}
	}
	return len(regs) < s.cfg.MaxRegistrations
}

// due reports whether a registration may be notified now, and if so
// records it. Old entries are dropped as the map grows.
func (s *Service) due(owner string, r store.PushRegistration) bool {
	key := owner + "\x00" + r.Service + "\x00" + r.Node
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if last, ok := s.sent[key]; ok && now.Sub(last) < s.cfg.Throttle {
		return false
	}
	if len(s.sent) >= 10000 {
		for k, t := range s.sent {
			if now.Sub(t) >= s.cfg.Throttle {
				delete(s.sent, k)
			}
		}
	}
	s.sent[key] = now
	return true
}

// notify publishes one notification (XEP-0357 §7), unless the
// registration was notified within the throttle interval.
func (s *Service) notify(ctx context.Context, owner string, r store.PushRegistration, msg *xml.Element, count int) {
	if !s.due(owner, r) {
		return
	}
	iq := Notification(owner, r, s.summary(msg, count))
	if !s.cfg.Send(ctx, iq) {
		s.log.Warn("push notification not sent: app server unreachable", "user", owner, "service", r.Service)
	}
}

// summary is the urn:xmpp:push:summary form for msg.
func (s *Service) summary(msg *xml.Element, count int) *xml.Element {
	form := xml.NewElement(ns.DataForms, "x", xml.Attr{Name: "type", Value: "submit"})
	form.AddChild(field("FORM_TYPE", ns.PushSummary))
	form.AddChild(field("message-count", strconv.Itoa(max(count, 1))))
	if s.cfg.IncludeSender {
		form.AddChild(field("last-message-sender", msg.Attr("from")))
	}
	if s.cfg.IncludeBody {
		if b := msg.Child(ns.Client, "body"); b != nil {
			form.AddChild(field("last-message-body", b.Text))
		}
	}
	return form
}

// Notification is the pubsub publish of a summary to registration r's
// node, from owner's bare JID, with the client's publish options.
func Notification(owner string, r store.PushRegistration, summary *xml.Element) *xml.Element {
	notification := xml.NewElement(ns.Push, "notification").AddChild(summary)
	publish := xml.NewElement(ns.PubSub, "publish", xml.Attr{Name: "node", Value: r.Node}).
		AddChild(xml.NewElement(ns.PubSub, "item").AddChild(notification))
	pubsub := xml.NewElement(ns.PubSub, "pubsub").AddChild(publish)
	if len(r.Options) > 0 {
		if opts, err := xml.ParseElement(r.Options, ns.Client, xml.DefaultLimits); err == nil {
			pubsub.AddChild(xml.NewElement(ns.PubSub, "publish-options").AddChild(opts))
		}
	}
	return xml.NewElement(ns.Client, stanza.IQ,
		xml.Attr{Name: "type", Value: "set"}, xml.Attr{Name: "from", Value: owner},
		xml.Attr{Name: "to", Value: r.Service}, xml.Attr{Name: "id", Value: "push-" + randomID()}).AddChild(pubsub)
}

func field(name, value string) *xml.Element {
	return xml.NewElement(ns.DataForms, "field", xml.Attr{Name: "var", Value: name}).
		AddChild(xml.NewElement(ns.DataForms, "value").SetText(value))
}

func randomID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
