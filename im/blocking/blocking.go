// Package blocking is the blocking command (XEP-0191): each account's
// list of JIDs it blocks, the block, unblock and unblock-all commands
// with their pushes, and the Blocks check that routing and presence
// consult: nothing passes between an account and a JID it blocks, the
// account appears offline to it, and what the account sends it comes
// back with <blocked/>.
//
// Every block list is held in memory (loaded at Start; lists are small
// and few accounts have one), so the check on each routed stanza and
// each presence never reads the database. The lists are this process's
// own copy: every change is told to Config.Changed, and the other nodes
// of a cluster Reload the list from the store.
//
// Locking: mu guards lists; it is never held while calling out. Changes
// to one account's list are serialized by changeMu.
package blocking

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"

	"github.com/parley-im/parley/im/roster"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// ErrTooMany is returned when a block list would exceed its limit.
var ErrTooMany = errors.New("blocking: too many blocked JIDs")

// Config wires a Service.
type Config struct {
	Store    store.Blocklists
	Router   router.Router
	Roster   *roster.Engine
	MaxItems int
	Logger   *slog.Logger
	// Changed, when set, is told of every change written to a list
	// (after it is written).
	Changed func(owner string)
}

// Service is the blocking command for every local account.
type Service struct {
	cfg Config
	log *slog.Logger

	changeMu sync.Mutex // one change at a time (they are rare)

	mu    sync.RWMutex
	lists map[string][]jid.JID // owner -> blocked JIDs
	seq   int
}

// New returns a Service; Start loads the lists.
func New(cfg Config) *Service {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Service{cfg: cfg, log: log, lists: make(map[string][]jid.JID)}
}

// Start loads every block list.
func (s *Service) Start(ctx context.Context) error {
	all, err := s.cfg.Store.AllBlocklists(ctx)
	if err != nil {
		return fmt.Errorf("blocking: load: %w", err)
	}
	lists := make(map[string][]jid.JID, len(all))
	for owner, l := range all {
		lists[owner] = parseAll(l)
	}
	s.mu.Lock()
	s.lists = lists
	s.mu.Unlock()
	return nil
}

func parseAll(l []string) []jid.JID {
	out := make([]jid.JID, 0, len(l))
	for _, j := range l {
		if p, err := jid.Parse(j); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// Blocks reports whether the local account user blocks other. Safe on a
// nil Service (nobody blocks anyone).
func (s *Service) Blocks(user string, other jid.JID) bool {
	if s == nil {
		return false
	}
	s.mu.RLock()
	list := s.lists[user]
	s.mu.RUnlock()
	for _, b := range list {
		if Matches(b, other) {
			return true
		}
	}
	return false
}

// Matches applies XEP-0191 §4 (XEP-0016's order): an item
// user@domain/resource matches only that resource, user@domain any of
// its resources, domain/resource only that resource of the domain, and
// domain the domain itself and every address at it or at a subdomain.
func Matches(item, j jid.JID) bool {
	switch {
	case item.Local() != "" && !item.IsBare():
		return item == j
	case item.Local() != "":
		return item == j.Bare()
	case !item.IsBare():
		return j.Local() == "" && item == j
	}
	d := j.Domain()
	return d == item.Domain() || (len(d) > len(item.Domain()) && d[len(d)-len(item.Domain())-1] == '.' && d[len(d)-len(item.Domain()):] == item.Domain())
}

// List returns owner's blocked JIDs.
func (s *Service) List(owner string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.lists[owner]))
	for _, j := range s.lists[owner] {
		out = append(out, j.String())
	}
	slices.Sort(out)
	return out
}

// Reload reads owner's list from the store again: another node of a
// cluster changed it.
func (s *Service) Reload(ctx context.Context, owner string) error {
	s.changeMu.Lock()
	defer s.changeMu.Unlock()
	l, err := s.cfg.Store.Blocklist(ctx, owner)
	if err != nil {
		return fmt.Errorf("blocking: reload %s: %w", owner, err)
	}
	s.mu.Lock()
	if len(l) == 0 {
		delete(s.lists, owner)
	} else {
		s.lists[owner] = parseAll(l)
	}
	s.mu.Unlock()
	return nil
}

// Forget drops an account's list from memory (when it is removed).
func (s *Service) Forget(owner string) {
	s.mu.Lock()
	delete(s.lists, owner)
	s.mu.Unlock()
}

// HandleIQ answers <blocklist/>, <block/> and <unblock/> (XEP-0191 §3).
func (s *Service) HandleIQ(ctx context.Context, sess router.Session, iq *xml.Element) {
	p := iq.Children[0]
	owner := sess.JID().Bare().String()
	switch {
	case p.Name == "blocklist" && iq.Attr("type") == "get":
		list := xml.NewElement(ns.Blocking, "blocklist")
		for _, j := range s.List(owner) {
			list.AddChild(xml.NewElement(ns.Blocking, "item", xml.Attr{Name: "jid", Value: j}))
		}
		sess.Deliver(stanza.Result(iq, list))
	case (p.Name == "block" || p.Name == "unblock") && iq.Attr("type") == "set":
		var items []jid.JID
		for _, it := range p.ChildrenNamed(ns.Blocking, "item") {
			j, err := jid.Parse(it.Attr("jid"))
			if err != nil || j.IsZero() {
				sess.Deliver(stanza.Error(iq, stanza.JIDMalformed, "not a JID: "+it.Attr("jid")))
				return
			}
			if !slices.Contains(items, j) {
				items = append(items, j)
			}
		}
		var err error
		switch {
		case p.Name == "block" && len(items) == 0:
			sess.Deliver(stanza.Error(iq, stanza.BadRequest, "block at least one JID"))
			return
		case p.Name == "block":
			err = s.Block(ctx, owner, items)
		default:
			err = s.Unblock(ctx, owner, items)
		}
		switch {
		case errors.Is(err, ErrTooMany):
			sess.Deliver(stanza.Error(iq, stanza.NotAcceptable, "a block list holds at most "+strconv.Itoa(s.cfg.MaxItems)+" JIDs"))
		case err != nil:
			s.log.Error("blocking", "user", owner, "err", err)
			sess.Deliver(stanza.Error(iq, stanza.InternalServerError, ""))
		default:
			if s.cfg.Changed != nil {
				s.cfg.Changed(owner)
			}
			sess.Deliver(stanza.Result(iq))
			s.push(owner, p.Name, items)
		}
	default:
		sess.Deliver(stanza.Error(iq, stanza.BadRequest, "expected a get of blocklist or a set of block or unblock"))
	}
}

// Block adds items to owner's list: owner's available resources first
// send unavailable presence to the newly blocked contacts that receive
// their presence (§3.3), then the list changes. (HandleIQ then pushes
// the change to owner's resources.)
func (s *Service) Block(ctx context.Context, owner string, items []jid.JID) error {
	s.changeMu.Lock()
	defer s.changeMu.Unlock()
	var added []jid.JID
	for _, j := range items {
		if !slices.Contains(s.current(owner), j) {
			added = append(added, j)
		}
	}
	strs := make([]string, len(items))
	for i, j := range items {
		strs[i] = j.String()
	}
	// Checked before the presence goes out, so a refused block sends none.
	if s.cfg.MaxItems > 0 && len(s.current(owner))+len(added) > s.cfg.MaxItems {
		return ErrTooMany
	}
	s.presenceTo(ctx, owner, added, false)
	err := s.cfg.Store.Block(ctx, owner, strs, s.cfg.MaxItems)
	if errors.Is(err, store.ErrQuotaExceeded) {
		return ErrTooMany
	}
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.lists[owner] = append(slices.Clone(s.lists[owner]), added...)
	s.mu.Unlock()
	return nil
}

// Unblock removes items from owner's list (all of it when items is
// empty); the contacts that receive owner's presence get it again.
func (s *Service) Unblock(ctx context.Context, owner string, items []jid.JID) error {
	s.changeMu.Lock()
	defer s.changeMu.Unlock()
	removed := items
	var err error
	if len(items) == 0 {
		removed = s.current(owner)
		err = s.cfg.Store.UnblockAll(ctx, owner)
	} else {
		strs := make([]string, len(items))
		for i, j := range items {
			strs[i] = j.String()
		}
		err = s.cfg.Store.Unblock(ctx, owner, strs)
	}
	if err != nil {
		return err
	}
	s.mu.Lock()
	list := slices.DeleteFunc(slices.Clone(s.lists[owner]), func(j jid.JID) bool { return slices.Contains(removed, j) })
	if len(list) == 0 {
		delete(s.lists, owner)
	} else {
		s.lists[owner] = list
	}
	s.mu.Unlock()
	s.presenceTo(ctx, owner, removed, true)
	return nil
}

func (s *Service) current(owner string) []jid.JID {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.lists[owner])
}

// presenceTo sends owner's current presence (available) or unavailable
// presence from each of owner's available resources to the contacts
// that are subscribed to owner's presence and matched by items.
func (s *Service) presenceTo(ctx context.Context, owner string, items []jid.JID, available bool) {
	if len(items) == 0 {
		return
	}
	resources := s.cfg.Router.Resources(owner)
	contacts, err := s.cfg.Roster.Subscribers(ctx, owner)
	if err != nil {
		s.log.Error("blocking: presence", "user", owner, "err", err)
		return
	}
	slices.Sort(contacts)
	for _, c := range contacts {
		cj, err := jid.Parse(c)
		if err != nil || !slices.ContainsFunc(items, func(it jid.JID) bool { return Matches(it, cj) }) {
			continue
		}
		if available && s.Blocks(owner, cj) {
			continue // still blocked by another item
		}
		for _, res := range resources {
			if !res.Available {
				continue
			}
			p := stanza.NewPresence("unavailable", res.Session.JID().String(), c)
			if available {
				p = stanza.WithAddress(res.Presence, res.Session.JID().String(), c)
			}
			s.cfg.Roster.DeliverPresenceTo(ctx, p, c)
		}
	}
}

// push tells every resource of owner about a change (XEP-0191 §3.3,
// §3.4: the resources that requested the list must get it; Parley tells
// them all, so a client that has not asked yet still learns of it).
func (s *Service) push(owner, what string, items []jid.JID) {
	el := xml.NewElement(ns.Blocking, what)
	for _, j := range items {
		el.AddChild(xml.NewElement(ns.Blocking, "item", xml.Attr{Name: "jid", Value: j.String()}))
	}
	s.mu.Lock()
	s.seq++
	seq := s.seq
	s.mu.Unlock()
	for _, res := range s.cfg.Router.Resources(owner) {
		res.Session.Deliver(stanza.NewIQ("set", "block-push-"+strconv.Itoa(seq), "", res.Session.JID().String(), el))
	}
}
