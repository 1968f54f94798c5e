package livehelp

import (
	"context"
	"strings"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// A guest is a restricted temporary user: it talks only to the target of
// its chat request (a support group or one agent), sees no presence but
// its target's, joins no rooms and adds no contacts. Its stanzas never
// reach the server's routing: GuestStanza takes them all, and the guest
// domain is served by Receive, which lets only the guest's agents
// through (anyone else's message is refused there).

// guestState is a connected guest, on the loop.
type guestState struct {
	bare      string
	ctx       GuestContext
	resources int
	grace     Timer
	gen       int
}

// BearerVerify checks a guest's login ticket (SASL OAUTHBEARER on a
// guest domain) and returns the guest's localpart. A ticket works once.
func (s *Service) BearerVerify(_ context.Context, domain, authzid, ticket string) (string, error) {
	guest, ok := s.reg.redeem(ticket, s.clock.Now())
	if !ok {
		return "", ErrNoSession
	}
	j, err := jid.Parse(guest)
	if err != nil || j.Domain() != domain || (authzid != "" && authzid != guest) {
		return "", ErrNoSession
	}
	return j.Local(), nil
}

// GuestStarted is told of a guest's new session (bound resource).
func (s *Service) GuestStarted(sess router.Session) {
	bare := sess.JID().Bare().String()
	c, ok := s.reg.context(bare)
	if !ok {
		sess.Close(stream.Errorf(stream.NotAuthorized, "this visitor's chat session is over"))
		return
	}
	if s.forwardGuest(evGuestStart, c) {
		return
	}
	s.post(func() {
		g := s.guests[bare]
		if g == nil {
			g = &guestState{bare: bare}
			s.guests[bare] = g
		}
		g.ctx = c
		g.resources++
		if g.grace != nil {
			g.grace.Stop()
			g.grace = nil
			g.gen++
		}
	})
}

// GuestEnded is told when a guest's session is gone. When its last one
// goes, its chat waits ReconnectGrace for it to come back, then ends.
func (s *Service) GuestEnded(sess router.Session) {
	bare := sess.JID().Bare().String()
	if c, ok := s.reg.context(bare); ok && s.forwardGuest(evGuestGone, c) {
		return
	}
	s.post(func() {
		g := s.guests[bare]
		if g == nil {
			return
		}
		if g.resources--; g.resources > 0 {
			return
		}
		g.gen++
		gen := g.gen
		g.grace = s.clock.AfterFunc(s.opts.ReconnectGrace, func() {
			s.post(func() {
				if cur := s.guests[bare]; cur != g || g.gen != gen || g.resources > 0 {
					return
				}
				if s.opts.Placement != nil && len(s.opts.Sessions.Resources(bare)) > 0 {
					return // a chat handed over here does not count the guest's sessions
				}
				delete(s.guests, bare)
				if c := s.chats[bare]; c != nil {
					s.end(c, endLeft, "", "")
				}
			})
		})
	})
}

// GuestStanza takes every stanza a guest's session sends: messages and
// presence to its target go to the loop; what a guest may not do is
// refused with <not-allowed/>; the few iq requests a client needs (ping,
// roster, disco of the server) are answered here.
func (s *Service) GuestStanza(ctx context.Context, sess router.Session, el *xml.Element) {
	self := sess.JID()
	bare := self.Bare().String()
	gc, ok := s.reg.context(bare)
	if !ok {
		sess.Close(stream.Errorf(stream.NotAuthorized, "this visitor's chat session is over"))
		return
	}
	var to jid.JID
	if a := el.Attr("to"); a != "" {
		var err error
		if to, err = jid.Parse(a); err != nil {
			refuse(sess, el, stanza.JIDMalformed, "invalid 'to' address")
			return
		}
	}
	toTarget := to.Bare().String() == gc.Target
	switch el.Name {
	case stanza.Message:
		if !toTarget {
			refuse(sess, el, stanza.NotAllowed, "a live-help visitor may only write to "+gc.Target)
			return
		}
		if s.remote(gc.Target) {
			body := ""
			if b := el.Child("", "body"); b != nil {
				body = b.Text
			}
			if !s.forward(gc.Target, guestArgs(evGuestMsg, gc, body, chatState(el))...) {
				refuse(sess, el, stanza.ResourceConstraint, "live help is busy; try again")
			}
			return
		}
		if !s.post(func() { s.fromGuest(bare, el) }) {
			refuse(sess, el, stanza.ResourceConstraint, "live help is busy; try again")
		}
	case stanza.Presence:
		switch typ := el.Attr("type"); {
		case typ != "" && typ != "unavailable":
			refuse(sess, el, stanza.NotAllowed, "a live-help visitor has no contacts")
		case !to.IsZero() && !toTarget:
			refuse(sess, el, stanza.NotAllowed, "a live-help visitor sees only "+gc.Target)
		case typ == "":
			if !s.forwardGuest(evGuestHere, gc) {
				s.post(func() { s.guestAvailable(bare) })
			}
		}
	case stanza.IQ:
		s.guestIQ(sess, el, to)
	}
}

// guestIQ answers a guest's iq: ping and disco#info of its server, an
// empty roster; anything else is not allowed (rooms, rosters, vCards of
// others, archives).
func (s *Service) guestIQ(sess router.Session, el *xml.Element, to jid.JID) {
	typ := el.Attr("type")
	if typ == "result" || typ == "error" {
		return
	}
	if len(el.Children) != 1 {
		refuse(sess, el, stanza.BadRequest, "an iq get or set carries exactly one payload")
		return
	}
	p := el.Children[0]
	self := sess.JID()
	toServer := to.IsZero() || to == self.Bare() || (to.Local() == "" && to.Domain() == self.Domain() && to.Resource() == "")
	switch {
	case toServer && p.Space == ns.Ping && typ == "get":
		sess.Deliver(stanza.Result(el))
	case toServer && p.Space == ns.Roster && typ == "get":
		sess.Deliver(stanza.Result(el, xml.NewElement(ns.Roster, "query")))
	case toServer && p.Space == ns.DiscoInfo && typ == "get":
		sess.Deliver(stanza.Result(el, xml.NewElement(ns.DiscoInfo, "query").AddChild(
			xml.NewElement(ns.DiscoInfo, "identity", xml.Attr{Name: "category", Value: "server"}, xml.Attr{Name: "type", Value: "im"}))))
	default:
		refuse(sess, el, stanza.NotAllowed, "not available to a live-help visitor")
	}
}

// refuse answers a guest's stanza with an error (stanzas that take one).
func refuse(sess router.Session, el *xml.Element, cond stanza.Condition, text string) {
	if !stanza.CanReplyWithError(el) {
		return
	}
	sess.Deliver(stanza.Error(stanza.WithAddress(el, sess.JID().String(), el.Attr("to")), cond, text))
}

// guestAvailable: the guest said it is here (initial presence to its
// target): it gets the target's presence and where its chat stands.
func (s *Service) guestAvailable(bare string) {
	g := s.guests[bare]
	if g == nil {
		return
	}
	d := s.desk(g.ctx.Target, g.ctx.IsGroup)
	info := s.loadInfo(d)
	s.deliverGuest(bare, s.targetPresence(d, info, bare))
	c := s.chats[bare]
	switch {
	case c == nil:
		s.tellGuest(bare, status{state: stateIdle})
	case c.state == stateActive:
		s.tellGuest(bare, status{state: stateActive, agent: c.agentName})
	default:
		s.tellGuest(bare, status{state: c.state, position: c.position, wait: c.wait})
	}
}

// fromGuest handles a guest's message to its target: the first one opens
// a chat, the next ones go to the agent (or to those offered the chat);
// chat states go to the agent; <gone/> ends the chat.
func (s *Service) fromGuest(bare string, el *xml.Element) {
	g := s.guests[bare]
	if g == nil {
		return
	}
	body := ""
	if b := el.Child("", "body"); b != nil {
		body = strings.TrimSpace(b.Text)
	}
	state := chatState(el)
	c := s.chats[bare]
	if c == nil {
		if body != "" {
			s.open(g, body)
		}
		return
	}
	if state == "gone" && body == "" {
		s.end(c, endByGuest, "", "")
		return
	}
	if body != "" {
		s.line(c, store.FromGuest, "", g.ctx.DisplayName, body)
	}
	switch {
	case c.state == stateActive:
		s.relayToAgent(c, c.agent, body, state)
	case body != "":
		for a := range c.offered {
			s.relayToAgent(c, a, body, "")
		}
	}
}

// chatState returns the XEP-0085 state a message carries, if any.
func chatState(el *xml.Element) string {
	for _, ch := range el.Children {
		if ch.Space == ns.ChatStates {
			return ch.Name
		}
	}
	return ""
}

// deliverGuest sends a stanza to every session of a guest (the server's
// routing does not reach guests: this is the only way in).
func (s *Service) deliverGuest(bare string, el *xml.Element) {
	for _, r := range s.opts.Sessions.Resources(bare) {
		out := stanza.WithAddress(el, el.Attr("from"), r.Session.JID().String())
		r.Session.Deliver(out)
	}
}
