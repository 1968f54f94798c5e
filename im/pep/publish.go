package pep

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/dataform"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// The operations on an owner's nodes, for the protocol handlers and for
// other modules (the avatar conversion, the bookmarks compatibility
// view), which act on the owner's behalf.

// Publish stores an item (id "" gets a new one) as the node's newest,
// creating the node first if need be, with the publish options applied
// (or checked, XEP-0060 §7.1.5, when the node exists), and notifies.
// It returns the item's id.
func (s *Service) Publish(ctx context.Context, owner, node, id string, payload *xml.Element, opts *dataform.Form, byServer bool) (string, error) {
	id, after, err := s.publish(ctx, owner, node, id, payload, opts, byServer)
	if err != nil {
		return "", err
	}
	after(ctx)
	return id, nil
}

// followUp is what an operation does once its result is on its way:
// notifications, hooks.
type followUp func(context.Context)

// publish is Publish without the notifications, which it returns.
func (s *Service) publish(ctx context.Context, owner, node, id string, payload *xml.Element, opts *dataform.Form, byServer bool) (string, followUp, error) {
	raw := payload.Bytes("")
	if len(raw) > s.cfg.MaxItemBytes {
		return "", nil, ErrPayloadTooBig
	}
	if id == "" {
		id = newItemID()
	}
	it := store.PEPItem{ID: id, Publisher: owner, Payload: raw, Published: s.cfg.Now().UTC()}
	mu := s.stripe(owner)
	mu.Lock()
	cfg, err := s.publishLocked(ctx, owner, node, it, opts)
	mu.Unlock()
	if err != nil {
		return "", nil, err
	}
	s.changed(owner)
	return id, func(ctx context.Context) {
		event := xml.NewElement(ns.PubSubEvent, "items", xml.Attr{Name: "node", Value: node}).
			AddChild(xml.NewElement(ns.PubSubEvent, "item", xml.Attr{Name: "id", Value: id}, xml.Attr{Name: "publisher", Value: owner}).AddChild(payload))
		s.notify(ctx, owner, node, cfg, event)
		if s.cfg.OnPublish != nil {
			s.cfg.OnPublish(ctx, Published{Owner: owner, Node: node, ItemID: id, Payload: payload, ByServer: byServer})
		}
	}, nil
}

func (s *Service) publishLocked(ctx context.Context, owner, node string, it store.PEPItem, opts *dataform.Form) (NodeConfig, error) {
	st, err := s.state(ctx, owner)
	if err != nil {
		return NodeConfig{}, err
	}
	s.mu.Lock()
	n := st.nodes[node]
	s.mu.Unlock()
	if n == nil {
		cfg := DefaultConfig()
		if opts != nil {
			var ok bool
			if cfg, ok = cfg.apply(*opts, s.cfg.MaxItems); !ok {
				return NodeConfig{}, ErrPrecondition
			}
		}
		if n, err = s.createLocked(ctx, owner, node, cfg, st); err != nil {
			return NodeConfig{}, err
		}
	} else if opts != nil && !n.cfg.matches(*opts, s.cfg.MaxItems) {
		return NodeConfig{}, ErrPrecondition
	}
	if n.cfg.PersistItems {
		err := s.cfg.Store.PublishPEPItem(ctx, owner, node, it, n.cfg.maxItems(s.cfg.MaxItems))
		if errors.Is(err, store.ErrNotFound) {
			s.dropOwner(owner) // deleted elsewhere: reload next time
			return NodeConfig{}, ErrNodeNotFound
		}
		if err != nil {
			return NodeConfig{}, fmt.Errorf("pep: publish to %s %s: %w", owner, node, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n.cfg.PersistItems {
		s.setLast(n, &it, true)
	} else {
		s.transient[ownerNode{owner, node}] = it
	}
	return n.cfg, nil
}

// createLocked creates a node (stripe held).
func (s *Service) createLocked(ctx context.Context, owner, node string, cfg NodeConfig, st *ownerState) (*nodeState, error) {
	err := s.cfg.Store.CreatePEPNode(ctx, owner, store.PEPNode{Node: node, Config: cfg.encode()}, s.cfg.MaxNodes)
	switch {
	case errors.Is(err, store.ErrQuotaExceeded):
		return nil, ErrTooManyNodes
	case errors.Is(err, store.ErrExists):
		s.dropOwner(owner)
		return nil, ErrNodeExists
	case err != nil:
		return nil, fmt.Errorf("pep: create %s %s: %w", owner, node, err)
	}
	n := &nodeState{cfg: cfg, lastKnown: true}
	s.mu.Lock()
	st.nodes[node] = n
	s.mu.Unlock()
	return n, nil
}

func (s *Service) dropOwner(owner string) {
	s.mu.Lock()
	s.evict(owner)
	s.mu.Unlock()
}

// Create makes an empty node with a configuration.
func (s *Service) Create(ctx context.Context, owner, node string, cfg NodeConfig) (err error) {
	defer func() { // once the locks are released
		if err == nil {
			s.changed(owner)
		}
	}()
	mu := s.stripe(owner)
	mu.Lock()
	defer mu.Unlock()
	st, err := s.state(ctx, owner)
	if err != nil {
		return err
	}
	s.mu.Lock()
	exists := st.nodes[node] != nil
	s.mu.Unlock()
	if exists {
		return ErrNodeExists
	}
	_, err = s.createLocked(ctx, owner, node, cfg, st)
	return err
}

// Config returns a node's configuration.
func (s *Service) Config(ctx context.Context, owner, node string) (NodeConfig, error) {
	nodes, err := s.view(ctx, owner)
	if err != nil {
		return NodeConfig{}, err
	}
	cfg, ok := nodes[node]
	if !ok {
		return NodeConfig{}, ErrNodeNotFound
	}
	return cfg, nil
}

// Configure applies a submitted node_config form.
func (s *Service) Configure(ctx context.Context, owner, node string, f dataform.Form) (err error) {
	defer func() { // once the locks are released
		if err == nil {
			s.changed(owner)
		}
	}()
	mu := s.stripe(owner)
	mu.Lock()
	defer mu.Unlock()
	st, err := s.state(ctx, owner)
	if err != nil {
		return err
	}
	s.mu.Lock()
	n := st.nodes[node]
	s.mu.Unlock()
	if n == nil {
		return ErrNodeNotFound
	}
	cfg, ok := n.cfg.apply(f, s.cfg.MaxItems)
	if !ok {
		return ErrBadConfig
	}
	err = s.cfg.Store.ConfigurePEPNode(ctx, owner, node, cfg.encode(), cfg.maxItems(s.cfg.MaxItems))
	if errors.Is(err, store.ErrNotFound) {
		s.dropOwner(owner)
		return ErrNodeNotFound
	}
	if err != nil {
		return fmt.Errorf("pep: configure %s %s: %w", owner, node, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	wasPersistent := n.cfg.PersistItems
	n.cfg = cfg
	if !cfg.PersistItems {
		if wasPersistent && n.last != nil {
			s.transient[ownerNode{owner, node}] = *n.last
		}
	} else {
		delete(s.transient, ownerNode{owner, node})
	}
	if wasPersistent != cfg.PersistItems {
		s.setLast(n, nil, false)
	}
	return nil
}

// Retract deletes an item and, when notify is set or the node says so,
// notifies its removal.
func (s *Service) Retract(ctx context.Context, owner, node, id string, notify bool) error {
	after, err := s.retract(ctx, owner, node, id, notify)
	if err == nil {
		after(ctx)
	}
	return err
}

func (s *Service) retract(ctx context.Context, owner, node, id string, notify bool) (followUp, error) {
	mu := s.stripe(owner)
	mu.Lock()
	cfg, err := s.retractLocked(ctx, owner, node, id)
	mu.Unlock()
	if err != nil {
		return nil, err
	}
	s.changed(owner)
	return func(ctx context.Context) {
		if notify || cfg.NotifyRetract {
			event := xml.NewElement(ns.PubSubEvent, "items", xml.Attr{Name: "node", Value: node}).
				AddChild(xml.NewElement(ns.PubSubEvent, "retract", xml.Attr{Name: "id", Value: id}))
			s.notify(ctx, owner, node, cfg, event)
		}
	}, nil
}

func (s *Service) retractLocked(ctx context.Context, owner, node, id string) (NodeConfig, error) {
	st, err := s.state(ctx, owner)
	if err != nil {
		return NodeConfig{}, err
	}
	s.mu.Lock()
	n := st.nodes[node]
	s.mu.Unlock()
	if n == nil {
		return NodeConfig{}, ErrNodeNotFound
	}
	if !n.cfg.PersistItems {
		s.mu.Lock()
		defer s.mu.Unlock()
		k := ownerNode{owner, node}
		if it, ok := s.transient[k]; !ok || it.ID != id {
			return NodeConfig{}, ErrItemNotFound
		}
		delete(s.transient, k)
		return n.cfg, nil
	}
	err = s.cfg.Store.RetractPEPItem(ctx, owner, node, id)
	if errors.Is(err, store.ErrNotFound) {
		return NodeConfig{}, ErrItemNotFound
	}
	if err != nil {
		return NodeConfig{}, fmt.Errorf("pep: retract from %s %s: %w", owner, node, err)
	}
	s.mu.Lock()
	if n.lastKnown && n.last != nil && n.last.ID == id {
		s.setLast(n, nil, false)
	}
	s.mu.Unlock()
	return n.cfg, nil
}

// Delete removes a node and, if its configuration says so, notifies.
func (s *Service) Delete(ctx context.Context, owner, node string) error {
	after, err := s.deleteOrPurge(ctx, owner, node, true)
	if err == nil {
		after(ctx)
	}
	return err
}

// Purge removes every item of a node and notifies.
func (s *Service) Purge(ctx context.Context, owner, node string) error {
	after, err := s.deleteOrPurge(ctx, owner, node, false)
	if err == nil {
		after(ctx)
	}
	return err
}

func (s *Service) deleteOrPurge(ctx context.Context, owner, node string, del bool) (followUp, error) {
	mu := s.stripe(owner)
	mu.Lock()
	st, err := s.state(ctx, owner)
	if err != nil {
		mu.Unlock()
		return nil, err
	}
	s.mu.Lock()
	n := st.nodes[node]
	s.mu.Unlock()
	if n == nil {
		mu.Unlock()
		return nil, ErrNodeNotFound
	}
	if del {
		err = s.cfg.Store.DeletePEPNode(ctx, owner, node)
	} else {
		err = s.cfg.Store.PurgePEPNode(ctx, owner, node)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		mu.Unlock()
		return nil, fmt.Errorf("pep: delete or purge %s %s: %w", owner, node, err)
	}
	s.mu.Lock()
	delete(s.transient, ownerNode{owner, node})
	if del {
		s.setLast(n, nil, false)
		delete(st.nodes, node)
	} else {
		s.setLast(n, nil, true)
	}
	s.mu.Unlock()
	mu.Unlock()
	s.changed(owner)
	cfg := n.cfg
	return func(ctx context.Context) {
		switch {
		case del && cfg.NotifyDelete:
			s.notify(ctx, owner, node, cfg, xml.NewElement(ns.PubSubEvent, "delete", xml.Attr{Name: "node", Value: node}))
		case !del:
			s.notify(ctx, owner, node, cfg, xml.NewElement(ns.PubSubEvent, "purge", xml.Attr{Name: "node", Value: node}))
		}
	}, nil
}

// Items reads items of a node for the owner (ids nil for all, max 0
// for every one), in publication order, oldest first.
func (s *Service) Items(ctx context.Context, owner, node string, ids []string, max int) ([]Item, error) {
	nodes, err := s.view(ctx, owner)
	if err != nil {
		return nil, err
	}
	cfg, ok := nodes[node]
	if !ok {
		return nil, ErrNodeNotFound
	}
	var raw []store.PEPItem
	if cfg.PersistItems {
		raw, err = s.cfg.Store.PEPItems(ctx, owner, node, store.PEPItemQuery{IDs: ids, Max: max})
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrNodeNotFound
		}
		if err != nil {
			return nil, fmt.Errorf("pep: items of %s %s: %w", owner, node, err)
		}
	} else {
		s.mu.Lock()
		it, ok := s.transient[ownerNode{owner, node}]
		s.mu.Unlock()
		if ok && (ids == nil || slices.Contains(ids, it.ID)) {
			raw = []store.PEPItem{it}
		}
	}
	out := make([]Item, 0, len(raw))
	for i := len(raw) - 1; i >= 0; i-- {
		p, err := parsePayload(raw[i].Payload)
		if err != nil {
			s.log.Error("pep: stored payload does not parse", "owner", owner, "node", node, "item", raw[i].ID, "err", err)
			continue
		}
		out = append(out, Item{ID: raw[i].ID, Publisher: raw[i].Publisher, Payload: p, Published: raw[i].Published})
	}
	return out, nil
}

// Nodes lists an account's nodes with their configurations.
func (s *Service) Nodes(ctx context.Context, owner string) (map[string]NodeConfig, error) {
	return s.view(ctx, owner)
}

// Access decisions.
type access int

const (
	accessOK access = iota
	accessPresence
	accessRoster
	accessClosed
)

// may decides whether requester may read a node of owner configured cfg.
func (s *Service) may(ctx context.Context, owner string, cfg NodeConfig, requester jid.JID) access {
	if requester.Bare().String() == owner {
		return accessOK
	}
	if s.blocked(owner, requester) {
		return accessClosed
	}
	switch cfg.AccessModel {
	case AccessOpen:
		return accessOK
	case AccessPresence:
		it, ok, err := s.cfg.Roster.Item(ctx, owner, requester.Bare().String())
		if err == nil && ok && (it.Subscription == store.SubFrom || it.Subscription == store.SubBoth) {
			return accessOK
		}
		return accessPresence
	case AccessRoster:
		it, ok, err := s.cfg.Roster.Item(ctx, owner, requester.Bare().String())
		if err == nil && ok {
			for _, g := range it.Groups {
				if slices.Contains(cfg.RosterGroups, g) {
					return accessOK
				}
			}
		}
		return accessRoster
	}
	return accessClosed
}
