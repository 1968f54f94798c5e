// Package mam implements XEP-0313 message archive management for
// one-to-one chat (urn:xmpp:mam:2 and #extended): every local user has
// an archive of the messages they sent and received, which their
// clients page through with XEP-0059 result set management; archiving
// follows the user's preferences (always, never, roster) and a
// server-wide retention period.
//
// A message is archived when it is routed: once in the sender's archive
// (if local) and once in the recipient's, whether it is delivered at
// once or stored offline, so a message delivered later from offline
// storage is not archived again. The recipient's copy carries the
// archive id as an XEP-0359 <stanza-id/>, which clients match with
// their archive queries.
package mam

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Errors of archiving a message.
var (
	ErrQuota   = errors.New("mam: the user's archive quota is full")
	ErrStopped = errors.New("mam: the archive writer has stopped")
)

// Archiving modes (the <prefs/> default attribute).
const (
	Always = "always"
	Never  = "never"
	Roster = "roster"
)

// Config configures the service.
type Config struct {
	Store store.Archive
	// InRoster reports whether contact is in owner's roster (for the
	// "roster" mode).
	InRoster    func(ctx context.Context, owner, contact string) bool
	DefaultMode string        // for users who set no preference; Always if ""
	Retention   time.Duration // messages older than this are pruned; 0 keeps them
	// MaxBytes is each user's archive quota: a message that would take
	// an archive past it is delivered but not archived for that user. 0:
	// no quota.
	MaxBytes int64
	// PageBytes bounds the stanza bytes of one query's page (a shorter
	// page, not an error; paging goes on from it). 0: DefaultPageBytes.
	PageBytes int
	Logger    *slog.Logger
	Now       func() time.Time // the clock; time.Now if nil
	// QuotaRefused, if set, counts messages not archived for an owner
	// whose quota was full.
	QuotaRefused func()
	// NodeSlot is this node's slot in archive IDs (ids.go): 0 for a
	// single server, the node's store.Nodes slot in a cluster.
	NodeSlot int
}

// Service archives messages and answers archive queries.
type Service struct {
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	writer *writer

	mu    sync.Mutex
	prefs map[string]store.ArchivePrefs // cache by owner
}

// New returns the service.
func New(cfg Config) *Service {
	if cfg.DefaultMode == "" {
		cfg.DefaultMode = Always
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	if cfg.PageBytes <= 0 {
		cfg.PageBytes = DefaultPageBytes
	}
	log = log.With("module", "mam")
	return &Service{cfg: cfg, log: log, now: now, writer: newWriter(cfg.Store, log, now, cfg.MaxBytes, cfg.NodeSlot),
		prefs: make(map[string]store.ArchivePrefs)}
}

// Archivable reports whether a message goes into archives: chat and
// normal messages with a body (or an XEP-0334 <store/> hint), unless
// hinted no-store or no-permanent-store.
func Archivable(el *xml.Element) bool {
	switch stanza.Type(el) {
	case "chat", "normal":
	default:
		return false
	}
	if el.Child(ns.Hints, "no-store") != nil || el.Child(ns.Hints, "no-permanent-store") != nil {
		return false
	}
	return el.Child(ns.Client, "body") != nil || el.Child(ns.Hints, "store") != nil
}

// ArchiveSent keeps a message a local user sent in their archive.
func (s *Service) ArchiveSent(ctx context.Context, el *xml.Element, from, to jid.JID) {
	if !Archivable(el) {
		return
	}
	s.archive(ctx, from.Bare().String(), to.Bare().String(), el)
}

// ArchiveReceived keeps a message for a local recipient and returns the
// message to deliver: a copy carrying the archive id as <stanza-id/>
// (and without any stanza-id a sender tried to forge), or el itself
// when it is not archived.
func (s *Service) ArchiveReceived(ctx context.Context, el *xml.Element, to jid.JID) *xml.Element {
	owner := to.Bare().String()
	if el.Child(ns.StanzaID, "stanza-id") != nil {
		// XEP-0359 §5: stanza-ids claiming to be by us are not the sender's to set.
		c := *el
		c.Children = slices.DeleteFunc(slices.Clone(el.Children), func(c *xml.Element) bool {
			return c.Space == ns.StanzaID && c.Name == "stanza-id" && c.Attr("by") == owner
		})
		c.Inner = nil
		el = &c
	}
	if !Archivable(el) {
		return el
	}
	from, err := jid.Parse(el.Attr("from"))
	if err != nil {
		return el
	}
	id := s.archive(ctx, owner, from.Bare().String(), el)
	if id == "" {
		return el
	}
	// A shallow copy: children are shared, never modified once routed.
	c := *el
	c.Children = append(slices.Clip(el.Children), xml.NewElement(ns.StanzaID, "stanza-id",
		xml.Attr{Name: "by", Value: owner}, xml.Attr{Name: "id", Value: id}))
	c.Inner = nil
	return &c
}

// archive appends el to owner's archive if owner's preferences want
// messages with that party, and returns the archive id.
func (s *Service) archive(ctx context.Context, owner, with string, el *xml.Element) string {
	if !s.wants(ctx, owner, with) {
		return ""
	}
	id, err := s.writer.append(ctx, owner, store.ArchivedMessage{With: with, Stanza: el.Bytes("")})
	if errors.Is(err, ErrQuota) && s.cfg.QuotaRefused != nil {
		s.cfg.QuotaRefused()
	}
	return id
}

// Sync returns once every message archived before the call is stored
// (committed: it survives a crash of the server), or with ctx's error.
// The server calls it before it acknowledges a client's stanzas
// (XEP-0198): an acknowledged message is in the archives it belongs to.
func (s *Service) Sync(ctx context.Context) error {
	return s.writer.sync(ctx)
}

// wants applies owner's preferences (XEP-0313 §6) to a party.
func (s *Service) wants(ctx context.Context, owner, with string) bool {
	p, err := s.preferences(ctx, owner)
	if err != nil {
		s.log.Error("archive preferences", "owner", owner, "err", err)
		p = store.ArchivePrefs{Default: s.cfg.DefaultMode}
	}
	switch {
	case slices.Contains(p.Never, with):
		return false
	case slices.Contains(p.Always, with):
		return true
	}
	switch p.Default {
	case Never:
		return false
	case Roster:
		return with == owner || (s.cfg.InRoster != nil && s.cfg.InRoster(ctx, owner, with))
	}
	return true
}

// preferences returns owner's preferences, from the cache if possible,
// with the server default filled in.
func (s *Service) preferences(ctx context.Context, owner string) (store.ArchivePrefs, error) {
	s.mu.Lock()
	p, ok := s.prefs[owner]
	s.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := s.cfg.Store.ArchivePrefs(ctx, owner)
	if err != nil {
		return p, err
	}
	if p.Default == "" {
		p.Default = s.cfg.DefaultMode
	}
	s.mu.Lock()
	if len(s.prefs) > 100000 {
		clear(s.prefs) // bounded: a cache, not a copy of the table
	}
	s.prefs[owner] = p
	s.mu.Unlock()
	return p, nil
}

// Prune deletes messages past the retention period; a no-op without one.
func (s *Service) Prune(ctx context.Context) {
	if s.cfg.Retention <= 0 {
		return
	}
	s.writer.sync(ctx)
	n, err := s.cfg.Store.PruneArchive(ctx, s.now().Add(-s.cfg.Retention))
	s.writer.forgetUsage()
	switch {
	case err != nil:
		s.log.Error("prune archive", "err", err)
	case n > 0:
		s.log.Info("archive pruned", "messages", n, "retention", s.cfg.Retention)
	}
}

// Run writes the archive, and prunes it once an hour, until ctx ends;
// it returns once neither touches the store any more. Archiving waits
// for Run: start it before routing messages.
func (s *Service) Run(ctx context.Context) {
	if err := s.writer.start(ctx); err != nil {
		s.log.Error("archive: last id", "err", err) // IDs still come from the clock
	}
	var wg sync.WaitGroup
	if s.cfg.Retention > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.pruneEveryHour(ctx)
		}()
	}
	s.writer.run(ctx)
	wg.Wait()
}

func (s *Service) pruneEveryHour(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		s.Prune(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
