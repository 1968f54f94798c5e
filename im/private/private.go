// Package private is private XML storage (XEP-0049): an account keeps
// one XML element per namespace on the server, visible to itself only,
// within limits (size per element, namespaces per account). A namespace
// may be served by another module instead of the store: the bookmarks
// of XEP-0048 live in PEP (package bookmarks) and this is their view.
package private

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// View serves one namespace from elsewhere than the store.
type View struct {
	Get func(ctx context.Context, owner string) (*xml.Element, error)
	Set func(ctx context.Context, owner string, el *xml.Element) error
}

// Config wires a Service.
type Config struct {
	Store         store.PrivateXML
	MaxBytes      int
	MaxNamespaces int
	// Views by namespace.
	Views  map[string]View
	Logger *slog.Logger
}

// Service is private XML storage for every local account.
type Service struct {
	cfg Config
	log *slog.Logger
}

// ErrTooLarge is returned for an element over MaxBytes.
var ErrTooLarge = errors.New("private: element too large")

// New returns a Service.
func New(cfg Config) *Service {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Service{cfg: cfg, log: log}
}

// HandleIQ answers jabber:iq:private get and set (XEP-0049 §2).
func (s *Service) HandleIQ(ctx context.Context, sess router.Session, iq *xml.Element) {
	owner := sess.JID().Bare().String()
	if to, err := jid.Parse(iq.Attr("to")); err == nil && !to.IsZero() && to.Bare().String() != owner {
		sess.Deliver(stanza.Error(iq, stanza.Forbidden, "private storage is its owner's only"))
		return
	}
	q := iq.Children[0]
	if len(q.Children) == 0 || (iq.Attr("type") == "get" && len(q.Children) != 1) {
		sess.Deliver(stanza.Error(iq, stanza.BadRequest, "name exactly one element (get) or at least one (set)"))
		return
	}
	for _, el := range q.Children {
		if el.Space == "" || el.Space == ns.Private || el.Space == ns.Client || strings.HasPrefix(el.Space, "jabber:") {
			sess.Deliver(stanza.Error(iq, stanza.NotAcceptable, "the namespace "+el.Space+" cannot be stored"))
			return
		}
	}
	if iq.Attr("type") == "get" {
		el, err := s.Get(ctx, owner, q.Children[0])
		if err != nil {
			s.log.Error("private get", "owner", owner, "err", err)
			sess.Deliver(stanza.Error(iq, stanza.InternalServerError, ""))
			return
		}
		sess.Deliver(stanza.Result(iq, xml.NewElement(ns.Private, "query").AddChild(el)))
		return
	}
	for _, el := range q.Children {
		err := s.Set(ctx, owner, el)
		switch {
		case errors.Is(err, ErrTooLarge):
			sess.Deliver(stanza.Error(iq, stanza.NotAcceptable, "an element may have at most "+strconv.Itoa(s.cfg.MaxBytes)+" bytes"))
			return
		case errors.Is(err, store.ErrQuotaExceeded):
			sess.Deliver(stanza.Error(iq, stanza.ResourceConstraint, "at most "+strconv.Itoa(s.cfg.MaxNamespaces)+" namespaces may be stored"))
			return
		case err != nil:
			s.log.Error("private set", "owner", owner, "err", err)
			sess.Deliver(stanza.Error(iq, stanza.InternalServerError, ""))
			return
		}
	}
	sess.Deliver(stanza.Result(iq))
}

// Get returns owner's element of the namespace of want (want itself,
// empty, when nothing is stored).
func (s *Service) Get(ctx context.Context, owner string, want *xml.Element) (*xml.Element, error) {
	if v, ok := s.cfg.Views[want.Space]; ok {
		return v.Get(ctx, owner)
	}
	raw, err := s.cfg.Store.PrivateXML(ctx, owner, want.Space)
	if errors.Is(err, store.ErrNotFound) {
		return xml.NewElement(want.Space, want.Name), nil
	}
	if err != nil {
		return nil, err
	}
	return xml.ParseElement(raw, want.Space, xml.Limits{MaxStanzaBytes: len(raw) + 1, MaxDepth: 64, MaxAttrs: 256})
}

// Set stores owner's element for its namespace.
func (s *Service) Set(ctx context.Context, owner string, el *xml.Element) error {
	raw := el.Bytes("")
	if len(raw) > s.cfg.MaxBytes {
		return ErrTooLarge
	}
	if v, ok := s.cfg.Views[el.Space]; ok {
		return v.Set(ctx, owner, el)
	}
	return s.cfg.Store.PutPrivateXML(ctx, owner, el.Space, raw, s.cfg.MaxNamespaces)
}
