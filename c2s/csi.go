package c2s

import (
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// XEP-0352 client state indication. A client that says it is inactive
// (a phone in a pocket) does not need every presence change and typing
// notification the moment it happens: while it is inactive the session
// holds presence updates and standalone chat states, only the latest
// per sender, and sends them all as soon as something that matters
// arrives (a message with a body, an IQ, a subscription request) or the
// client becomes active again. Nothing held is dropped except a stale
// update superseded by a newer one from the same sender.

// maxHeld bounds what an inactive session holds; past it everything is
// sent (a client with that many chatty contacts gains little anyway).
const maxHeld = 1000

// clientState is a session's CSI state, guarded by Session.mu.
type clientState struct {
	inactive bool
	order    []string                // senders in the order first held
	held     map[string]*xml.Element // latest holdable stanza per sender and kind
}

// hold keeps el if the client is inactive and el can wait.
func (c *clientState) hold(el *xml.Element) bool {
	if !c.inactive || len(c.order) >= maxHeld {
		return false
	}
	kind := holdable(el)
	if kind == "" {
		return false
	}
	key := kind + " " + el.Attr("from")
	if c.held == nil {
		c.held = make(map[string]*xml.Element)
	}
	if _, ok := c.held[key]; !ok {
		c.order = append(c.order, key)
	}
	c.held[key] = el
	return true
}

// drain returns the held stanzas in the order their senders were first
// held, and forgets them.
func (c *clientState) drain() []*xml.Element {
	if len(c.order) == 0 {
		return nil
	}
	out := make([]*xml.Element, len(c.order))
	for i, k := range c.order {
		out[i] = c.held[k]
	}
	c.order = c.order[:0]
	clear(c.held)
	return out
}

// holdable says which kind of deferrable update el is: "presence" for
// availability changes, "state" for a message that only carries a chat
// state; "" for anything that must go now.
func holdable(el *xml.Element) string {
	switch el.Name {
	case stanza.Presence:
		if t := el.Attr("type"); t == "" || t == "unavailable" {
			return "presence"
		}
	case stanza.Message:
		if stanza.Type(el) == "error" {
			return ""
		}
		state := false
		for _, c := range el.Children {
			switch {
			case c.Space == ns.ChatStates:
				state = true
			case c.Name == "body" || c.Name == "subject":
				return ""
			}
		}
		if state {
			return "state"
		}
	}
	return ""
}

// setActive records the client's state; becoming active sends what was
// held.
func (s *Session) setActive(active bool) {
	s.mu.Lock()
	s.csi.inactive = !active
	var res pushResult
	if active {
		for _, el := range s.csi.drain() {
			res = worse(res, s.deliverLocked(el))
		}
	}
	s.mu.Unlock()
	if res == overflow {
		s.slowConsumer()
	}
}
