// Package vcard is vcard-temp (XEP-0054): each account's vCard, which
// its owner sets and anyone may read (within a size limit), and the
// vCard-based avatars of XEP-0153: the hash of the vCard's photo that
// the server writes into its users' available presence on their behalf
// (XEP-0398 §4), so that clients learn of an avatar without fetching
// the vCard at every login.
//
// The photo hash of each account seen recently is cached in memory
// (bounded), so stamping presence does not read the database; every
// vCard written is told to Config.Changed, and the other nodes of a
// cluster Forget their cached hash.
//
// Locking: mu guards hashes; it is never held while calling out.
package vcard

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/parley-im/parley/im/roster"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Errors of the internal API.
var (
	ErrTooLarge = errors.New("vcard: too large")
	ErrNoPhoto  = errors.New("vcard: no photo")
)

// Config wires a Service.
type Config struct {
	Store    store.VCards
	Router   router.Router
	Roster   *roster.Engine
	MaxBytes int
	// OnSet hears every vCard a client stores (XEP-0398's conversion to
	// a PEP avatar listens here); nil: nobody listens.
	OnSet func(ctx context.Context, owner string, vcard *xml.Element)
	// Changed, when set, is told of every vCard written (by a client or
	// by Set): the other nodes of a cluster Forget its cached hash.
	Changed func(owner string)
	// Local reports whether a session is bound on this node (nil: all
	// are). A photo change re-stamps the presence of local sessions
	// only: each node of a cluster does its own (Refresh).
	Local  func(router.Session) bool
	Logger *slog.Logger
}

// Service is the vCard service of every local account.
type Service struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	hashes map[string]string // bare JID -> photo hash ("" for none)
}

const maxCached = 20000

// New returns a Service.
func New(cfg Config) *Service {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Service{cfg: cfg, log: log, hashes: make(map[string]string)}
}

// HandleIQ answers vCard get (one's own or another account's) and set
// (one's own).
func (s *Service) HandleIQ(ctx context.Context, sess router.Session, iq *xml.Element) {
	owner := sess.JID().Bare().String()
	own := true
	if to, err := jid.Parse(iq.Attr("to")); err == nil && !to.IsZero() && to.Bare().String() != owner {
		owner, own = to.Bare().String(), false
	}
	switch iq.Attr("type") {
	case "get":
		raw, err := s.cfg.Store.VCard(ctx, owner)
		if errors.Is(err, store.ErrNotFound) {
			sess.Deliver(stanza.Result(iq, xml.NewElement(ns.VCard, "vCard")))
			return
		}
		if err != nil {
			s.log.Error("vcard get", "owner", owner, "err", err)
			sess.Deliver(stanza.Error(iq, stanza.InternalServerError, ""))
			return
		}
		v, err := parse(raw)
		if err != nil {
			s.log.Error("vcard: stored vCard does not parse", "owner", owner, "err", err)
			sess.Deliver(stanza.Result(iq, xml.NewElement(ns.VCard, "vCard")))
			return
		}
		sess.Deliver(stanza.Result(iq, v))
	case "set":
		if !own {
			sess.Deliver(stanza.Error(iq, stanza.Forbidden, "only the account's owner sets its vCard"))
			return
		}
		v := iq.Children[0]
		err := s.Set(ctx, owner, v)
		switch {
		case errors.Is(err, ErrTooLarge):
			sess.Deliver(stanza.Error(iq, stanza.NotAcceptable, "a vCard may have at most "+strconv.Itoa(s.cfg.MaxBytes)+" bytes"))
			return
		case err != nil:
			s.log.Error("vcard set", "owner", owner, "err", err)
			sess.Deliver(stanza.Error(iq, stanza.InternalServerError, ""))
			return
		}
		sess.Deliver(stanza.Result(iq))
		if s.cfg.OnSet != nil {
			s.cfg.OnSet(ctx, owner, v)
		}
	}
}

func parse(raw []byte) (*xml.Element, error) {
	return xml.ParseElement(raw, ns.VCard, xml.Limits{MaxStanzaBytes: len(raw) + 1, MaxDepth: 32, MaxAttrs: 64})
}

// Set stores owner's vCard (an empty one deletes it) and, when its
// photo changed, sends owner's presence again with the new hash.
func (s *Service) Set(ctx context.Context, owner string, v *xml.Element) error {
	raw := v.Bytes("")
	if len(raw) > s.cfg.MaxBytes {
		return ErrTooLarge
	}
	if len(v.Children) == 0 && strings.TrimSpace(v.Text) == "" {
		raw = nil
	}
	if err := s.cfg.Store.PutVCard(ctx, owner, raw); err != nil {
		return fmt.Errorf("vcard: store for %s: %w", owner, err)
	}
	if s.cfg.Changed != nil {
		s.cfg.Changed(owner)
	}
	s.photoChanged(ctx, owner, PhotoHash(v))
	return nil
}

// Get returns owner's vCard (ErrNotFound-wrapped store error if none).
func (s *Service) Get(ctx context.Context, owner string) (*xml.Element, error) {
	raw, err := s.cfg.Store.VCard(ctx, owner)
	if err != nil {
		return nil, err
	}
	return parse(raw)
}

// Photo returns the type and bytes of the photo in a vCard.
func Photo(v *xml.Element) (typ string, data []byte, err error) {
	p := v.Child(ns.VCard, "PHOTO")
	if p == nil {
		return "", nil, ErrNoPhoto
	}
	bin := p.Child(ns.VCard, "BINVAL")
	if bin == nil || strings.TrimSpace(bin.Text) == "" {
		return "", nil, ErrNoPhoto
	}
	data, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(bin.Text), ""))
	if err != nil || len(data) == 0 {
		return "", nil, ErrNoPhoto
	}
	if t := p.Child(ns.VCard, "TYPE"); t != nil {
		typ = strings.TrimSpace(t.Text)
	}
	return typ, data, nil
}

// PhotoHash is the XEP-0153 hash of a vCard's photo: the SHA-1 of the
// image, in hex; "" when it has none.
func PhotoHash(v *xml.Element) string {
	_, data, err := Photo(v)
	if err != nil {
		return ""
	}
	sum := sha1.Sum(data)
	return hex.EncodeToString(sum[:])
}

// SetPhoto replaces the photo of owner's vCard (creating one if need
// be), for avatars published over PEP (XEP-0398 §3.1); nil data removes
// it. It does not call OnSet.
func (s *Service) SetPhoto(ctx context.Context, owner, typ string, data []byte) error {
	v, err := s.Get(ctx, owner)
	if errors.Is(err, store.ErrNotFound) {
		v, err = xml.NewElement(ns.VCard, "vCard"), nil
	}
	if err != nil {
		return fmt.Errorf("vcard: read for %s: %w", owner, err)
	}
	v.RemoveChildren(ns.VCard, "PHOTO")
	if data != nil {
		p := xml.NewElement(ns.VCard, "PHOTO")
		if typ != "" {
			p.AddChild(xml.NewElement(ns.VCard, "TYPE").SetText(typ))
		}
		p.AddChild(xml.NewElement(ns.VCard, "BINVAL").SetText(base64.StdEncoding.EncodeToString(data)))
		v.AddChild(p)
	}
	return s.Set(ctx, owner, v)
}

// hash returns owner's photo hash, from the cache or the store; ok is
// false when it could not be read.
func (s *Service) hash(ctx context.Context, owner string) (string, bool) {
	s.mu.Lock()
	h, ok := s.hashes[owner]
	s.mu.Unlock()
	if ok {
		return h, true
	}
	v, err := s.Get(ctx, owner)
	switch {
	case errors.Is(err, store.ErrNotFound):
		h = ""
	case err != nil:
		s.log.Error("vcard: photo hash", "owner", owner, "err", err)
		return "", false
	default:
		h = PhotoHash(v)
	}
	s.remember(owner, h)
	return h, true
}

func (s *Service) remember(owner, h string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.hashes) >= maxCached {
		clear(s.hashes)
	}
	s.hashes[owner] = h
}

// Refresh reads owner's photo hash again, which another node changed,
// and re-stamps the presence of owner's sessions on this node.
func (s *Service) Refresh(ctx context.Context, owner string) {
	s.Forget(owner)
	if h, ok := s.hash(ctx, owner); ok {
		s.restamp(ctx, owner, h)
	}
}

// Forget drops owner's cached hash (when the account is removed).
func (s *Service) Forget(owner string) {
	s.mu.Lock()
	delete(s.hashes, owner)
	s.mu.Unlock()
}

// StampPresence writes owner's photo hash into an available presence
// (XEP-0398 §4, XEP-0153): an update element without a photo, or with
// another hash, gets the current one ("" when there is no avatar: an
// empty photo); an empty photo the client put there is left alone, as
// is everything else. A presence the hash is already in comes back
// unchanged.
func (s *Service) StampPresence(ctx context.Context, owner string, p *xml.Element) *xml.Element {
	h, ok := s.hash(ctx, owner)
	if !ok {
		return p
	}
	return stamp(p, h, false)
}

// stamp writes the hash h into p; force replaces an empty photo too.
func stamp(p *xml.Element, h string, force bool) *xml.Element {
	x := p.Child(ns.VCardUpdate, "x")
	if x != nil {
		if ph := x.Child(ns.VCardUpdate, "photo"); ph != nil && force && strings.TrimSpace(ph.Text) == h {
			return p
		}
	}
	if x != nil && !force {
		if ph := x.Child(ns.VCardUpdate, "photo"); ph != nil && (strings.TrimSpace(ph.Text) == "" || strings.TrimSpace(ph.Text) == h) {
			return p
		}
	}
	c := stanza.WithAddress(p, p.Attr("from"), p.Attr("to"))
	c.Children = make([]*xml.Element, 0, len(p.Children)+1)
	for _, ch := range p.Children {
		if !(ch.Space == ns.VCardUpdate && ch.Name == "x") {
			c.Children = append(c.Children, ch)
		}
	}
	upd := xml.NewElement(ns.VCardUpdate, "x").AddChild(xml.NewElement(ns.VCardUpdate, "photo").SetText(h))
	c.Children = append(c.Children, upd)
	// Serialized once here, so that the broadcast to every contact
	// copies these bytes instead of writing the children again.
	var inner bytes.Buffer
	xml.EscapeText(&inner, p.Text)
	for _, ch := range c.Children {
		ch.WriteTo(&inner, p.Space)
	}
	c.Text, c.Inner = p.Text, inner.Bytes()
	return c
}

// photoChanged records owner's new photo hash and, if it differs from
// the one their presence carries, broadcasts their available resources'
// presence again with it (XEP-0153 §3.2: contacts then fetch the vCard).
func (s *Service) photoChanged(ctx context.Context, owner, h string) {
	s.mu.Lock()
	old, known := s.hashes[owner]
	s.mu.Unlock()
	s.remember(owner, h)
	if known && old == h {
		return
	}
	s.restamp(ctx, owner, h)
}

// restamp writes the hash h into the presence of owner's available
// sessions on this node that lack it, and broadcasts it again.
func (s *Service) restamp(ctx context.Context, owner, h string) {
	for _, res := range s.cfg.Router.Resources(owner) {
		if !res.Available || res.Presence == nil || (s.cfg.Local != nil && !s.cfg.Local(res.Session)) {
			continue
		}
		p := stamp(res.Presence, h, true)
		if p == res.Presence {
			continue
		}
		s.cfg.Router.SetPresence(res.Session, true, res.Priority, p)
		s.cfg.Roster.Broadcast(ctx, res.Session, p)
	}
}
