package livehelp

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	pxml "github.com/parley-im/parley/xmpp/xml"
)

// In a cluster each target's desk (its queue, routing state, offers and
// open chats) lives on one node, the target's owner (Placement: the
// cluster's rendezvous hashing over the live nodes that are not
// draining). Visitors and agents may be on any node: what reaches a
// node for a desk it does not keep (a guest's stanzas and session
// changes, an agent's message to a guest or to a group, a page's end of
// chat) is forwarded to the owner as a cluster call ("livehelp", args),
// in order, by one forwarder goroutine; the owner's loop handles it as
// if it were local. What the owner sends reaches guests and agents on
// any node through the cluster's session table.
//
// When the owner changes (a node drains, or joins and wins the hash)
// the old owner hands each moved desk's chats to the new one (adopt):
// open chats keep their agent and transcript; waiting ones are queued
// there in the same order and offered again. A warm transfer in
// progress is dropped (the chat stays with its agent). When the owner
// dies its chats are lost with it: the visitor's next message opens a
// new chat on the next owner.

// Placement tells where targets' desks live (the cluster).
type Placement interface {
	// Here reports whether this node keeps target's desk.
	Here(target string) bool
	// Call runs the "livehelp" operation for target on the node that
	// keeps its desk (HandleCall there) and returns its answer.
	Call(ctx context.Context, target string, args ...string) (string, error)
}

// forwardQueue bounds the events waiting to be forwarded.
const forwardQueue = 4096

// forwardTimeout bounds one forwarded event.
const forwardTimeout = 10 * time.Second

// rehomeEvery is how often a node looks for desks it no longer keeps.
const rehomeEvery = time.Second

// Forwarded event kinds (the first argument of a call).
const (
	evGuestMsg   = "guest-msg"   // guest, context, body, chat state
	evGuestHere  = "guest-here"  // guest, context: initial presence
	evGuestStart = "guest-start" // guest, context: a session started
	evGuestGone  = "guest-gone"  // guest, context: a session ended
	evGuestEnd   = "guest-end"   // guest, context, "waiting" or "": the page ended the chat
	evAgent      = "agent"       // from (full JID), guest, body, chat state
	evGroup      = "group"       // from (full JID), group, body, type
	evAdopt      = "adopt"       // a chat handed over (JSON)
	evStatus     = "status"      // the desk's queue and its agents' loads, answered at once
)

// statusTimeout bounds asking a desk's node for its queue.
const statusTimeout = 2 * time.Second

type forward struct {
	target string
	args   []string
	done   chan struct{} // closed once sent (a flush), else nil
}

// remote reports whether target's desk lives on another node.
func (s *Service) remote(target string) bool {
	return s.opts.Placement != nil && !s.opts.Placement.Here(target)
}

// forward queues an event for target's owner; false if the queue is
// full.
func (s *Service) forward(target string, args ...string) bool {
	select {
	case s.fwd <- forward{target: target, args: args}:
		return true
	default:
		return false
	}
}

// forwarder sends the queued events, one at a time so that they keep
// their order.
func (s *Service) forwarder(ctx context.Context) {
	for {
		select {
		case f := <-s.fwd:
			if f.done != nil {
				close(f.done)
				continue
			}
			cctx, cancel := context.WithTimeout(ctx, forwardTimeout)
			if _, err := s.opts.Placement.Call(cctx, f.target, f.args...); err != nil {
				s.log.Warn("livehelp: forward to the desk's node", "target", f.target, "event", f.args[0], "err", err)
			}
			cancel()
		case <-ctx.Done():
			return
		}
	}
}

// flush waits until the events queued so far are sent.
func (s *Service) flush(ctx context.Context) {
	done := make(chan struct{})
	select {
	case s.fwd <- forward{done: done}:
	case <-ctx.Done():
		return
	}
	select {
	case <-done:
	case <-ctx.Done():
	}
}

func guestArgs(kind string, c GuestContext, more ...string) []string {
	b, _ := json.Marshal(c)
	return append([]string{kind, c.Guest, string(b)}, more...)
}

// HandleCall takes an event another node forwarded for a desk this node
// keeps (the cluster's "livehelp" operation) and hands it to the loop.
func (s *Service) HandleCall(_ context.Context, target string, args []string) (string, error) {
	bad := fmt.Errorf("%w: livehelp event %q", ErrMalformed, args)
	if len(args) == 0 {
		return "", bad
	}
	var fn func()
	switch kind := args[0]; kind {
	case evGuestMsg, evGuestHere, evGuestStart, evGuestGone, evGuestEnd:
		var c GuestContext
		if len(args) < 3 || json.Unmarshal([]byte(args[2]), &c) != nil || c.Guest != args[1] || c.Target != target {
			return "", bad
		}
		fn = s.guestEvent(kind, c, args[3:])
		if fn == nil {
			return "", bad
		}
	case evAgent, evGroup:
		if len(args) != 5 {
			return "", bad
		}
		from, err := jid.Parse(args[1])
		if err != nil {
			return "", bad
		}
		to, body, extra := args[2], args[3], args[4]
		if kind == evAgent {
			fn = func() { s.fromAgent(from, to, messageOf(args[1], to, "chat", body, extra)) }
		} else {
			fn = func() { s.toGroup(from, to, messageOf(args[1], to, extra, body, "")) }
		}
	case evStatus:
		return s.deskStatus(target), nil
	case evAdopt:
		var h handover
		if len(args) != 2 || json.Unmarshal([]byte(args[1]), &h) != nil || h.Ctx.Target != target || h.Ctx.Guest == "" {
			return "", bad
		}
		fn = func() { s.adopt(h) }
	default:
		return "", bad
	}
	if !s.post(fn) {
		return "", ErrBusy
	}
	return "", nil
}

// deskState is what the node keeping a desk tells the others of it,
// for GroupStatus: the queue and the agents' loads.
type deskState struct {
	Waiting int            `json:"waiting"`
	Wait    time.Duration  `json:"wait"`
	Loads   map[string]int `json:"loads"`
}

// deskStatus answers evStatus from the published snapshot (not the
// loop: it is read at once).
func (s *Service) deskStatus(target string) string {
	sn := s.snap.Load()
	q := sn.queues[target]
	b, _ := json.Marshal(deskState{Waiting: q.waiting, Wait: q.wait, Loads: sn.loads})
	return string(b)
}

// remoteSnapshot asks the node keeping target's desk for its queue and
// loads; ok is false when it did not answer (the local view serves).
func (s *Service) remoteSnapshot(ctx context.Context, target string) (*snapshot, bool) {
	ctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()
	out, err := s.opts.Placement.Call(ctx, target, evStatus)
	var st deskState
	if err != nil || json.Unmarshal([]byte(out), &st) != nil {
		s.log.Warn("livehelp: ask the desk's node for its queue", "target", target, "err", err)
		return nil, false
	}
	sn := &snapshot{loads: st.Loads, queues: map[string]queueInfo{}}
	if sn.loads == nil {
		sn.loads = map[string]int{}
	}
	if st.Waiting > 0 {
		sn.queues[target] = queueInfo{waiting: st.Waiting, wait: st.Wait}
	}
	return sn, true
}

// guestEvent is the loop's work for a guest's forwarded event.
func (s *Service) guestEvent(kind string, c GuestContext, more []string) func() {
	bare := c.Guest
	switch kind {
	case evGuestMsg:
		if len(more) != 2 {
			return nil
		}
		el := messageOf(bare, c.Target, "chat", more[0], more[1])
		return func() { s.guestHere(c); s.fromGuest(bare, el) }
	case evGuestHere:
		return func() { s.guestHere(c); s.guestAvailable(bare) }
	case evGuestStart:
		return func() { s.guestHere(c) }
	case evGuestGone:
		return func() { s.guestHere(c); s.guestGone(bare) }
	case evGuestEnd:
		waitingOnly := len(more) == 1 && more[0] == "waiting"
		return func() {
			s.guestHere(c)
			if ch := s.chats[bare]; ch != nil && (!waitingOnly || ch.state != stateActive) {
				text := ""
				if waitingOnly {
					text = "The visitor left a message instead."
				}
				s.end(ch, endByGuest, "", text)
			}
		}
	}
	return nil
}

// messageOf rebuilds a forwarded message: its body and chat state.
func messageOf(from, to, typ, body, state string) *pxml.Element {
	msg := stanza.NewMessage(typ, from, to, body)
	if state != "" {
		msg.AddChild(pxml.NewElement(ns.ChatStates, state))
	}
	return msg
}

// guestHere notes a guest whose events this node gets from another
// (the desk's owner): a sign of life, so a pending grace ends.
func (s *Service) guestHere(c GuestContext) {
	g := s.guests[c.Guest]
	if g == nil {
		g = &guestState{bare: c.Guest}
		s.guests[c.Guest] = g
	}
	g.ctx = c
	if g.grace != nil {
		g.grace.Stop()
		g.grace = nil
		g.gen++
	}
}

// guestGone: a session of a guest whose session node is another one
// ended; if the guest has no session anywhere once the grace is over,
// its chat ends.
func (s *Service) guestGone(bare string) {
	g := s.guests[bare]
	if g == nil {
		return
	}
	g.gen++
	gen := g.gen
	g.grace = s.clock.AfterFunc(s.opts.ReconnectGrace, func() {
		s.post(func() {
			if cur := s.guests[bare]; cur != g || g.gen != gen || len(s.opts.Sessions.Resources(bare)) > 0 {
				return
			}
			delete(s.guests, bare)
			if c := s.chats[bare]; c != nil {
				s.end(c, endLeft, "", "")
			}
		})
	})
}

// handover is a chat moving to its desk's new owner.
type handover struct {
	ID        int64          `json:"id"`
	Ctx       GuestContext   `json:"ctx"`
	Desk      string         `json:"desk"`
	IsGroup   bool           `json:"isGroup"`
	State     string         `json:"state"`
	Agent     string         `json:"agent,omitempty"`
	AgentName string         `json:"agentName,omitempty"`
	Watchers  []string       `json:"watchers,omitempty"`
	Started   time.Time      `json:"started"`
	Taken     time.Time      `json:"taken"`
	Queued    time.Time      `json:"queued"`
	Guest     *guestHandover `json:"guest,omitempty"`
}

type guestHandover struct {
	Grace bool `json:"grace"` // no session was left: the grace runs again
}

// Rehome hands the chats of the desks this node no longer keeps to
// their owners and waits until they are sent (a drain, before the
// node's clients are told to go).
func (s *Service) Rehome(ctx context.Context) {
	if s.opts.Placement == nil {
		return
	}
	if err := s.call(ctx, s.rehome); err != nil {
		s.log.Warn("livehelp: hand desks over", "err", err)
	}
	s.flush(ctx)
}

// rehomeLater looks for moved desks every rehomeEvery.
func (s *Service) rehomeLater() {
	s.clock.AfterFunc(rehomeEvery, func() {
		if !s.post(func() { s.rehome(); s.rehomeLater() }) {
			s.rehomeLater() // the loop is busy: look next time
		}
	})
}

// rehome forwards the chats whose visitor's target is kept by another
// node now (queued ones in their order), and forgets them here, with
// those guests and the desks left with nothing to do. A chat goes with
// its visitor's target, which routes the visitor's events: one that was
// transferred to another group goes to the new node's desk for that
// group.
func (s *Service) rehome() {
	var moving []*chat
	for _, d := range s.desks {
		for _, c := range d.queue {
			if s.remote(c.ctx.Target) {
				moving = append(moving, c)
			}
		}
	}
	for _, c := range s.chats {
		if c.state == stateActive && s.remote(c.ctx.Target) {
			moving = append(moving, c)
		}
	}
	for _, c := range moving {
		d := c.desk
		h := handover{ID: c.id, Ctx: c.ctx, Desk: d.target, IsGroup: d.isGroup, State: c.state, Agent: c.agent,
			AgentName: c.agentName, Started: c.started, Taken: c.taken, Queued: c.queued}
		for w := range c.watchers {
			h.Watchers = append(h.Watchers, w)
		}
		if g := s.guests[c.guest]; g != nil && g.grace != nil {
			h.Guest = &guestHandover{Grace: true}
		}
		b, _ := json.Marshal(h)
		if !s.forward(c.ctx.Target, evAdopt, string(b)) {
			s.log.Warn("livehelp: hand a chat over: queue full; it ends", "guest", c.guest)
			s.end(c, endGone, "", "")
			continue
		}
		d.remove(c)
		s.disarm(c)
		delete(s.chats, c.guest)
		s.changed = true
	}
	for bare, g := range s.guests {
		if s.remote(g.ctx.Target) {
			if g.grace != nil {
				g.grace.Stop()
			}
			g.gen++
			delete(s.guests, bare)
		}
	}
	for key, d := range s.desks {
		if len(d.queue) == 0 && s.remote(d.target) && !d.active(s) {
			delete(s.desks, key)
		}
	}
	if len(moving) > 0 {
		for _, d := range s.desks {
			s.dispatch(d) // positions changed where a moved chat left a queue
		}
	}
}

// adopt takes a chat handed over by the desk's previous owner: an open
// one stays with its agent, a queued one joins the queue and is offered
// again. A chat the visitor already reopened here meanwhile wins: the
// handed one is closed.
func (s *Service) adopt(h handover) {
	bare := h.Ctx.Guest
	if s.chats[bare] != nil {
		s.updateChat(&chat{id: h.ID, desk: &desk{target: h.Desk, isGroup: h.IsGroup}, agent: h.Agent}, store.ChatEnded, s.clock.Now())
		return
	}
	s.guestHere(h.Ctx)
	if h.Guest != nil && h.Guest.Grace {
		s.guestGone(bare)
	}
	d := s.desk(h.Desk, h.IsGroup)
	s.loadInfo(d)
	c := &chat{id: h.ID, guest: bare, ctx: h.Ctx, desk: d, state: h.State, agent: h.Agent, agentName: h.AgentName,
		started: h.Started, taken: h.Taken, queued: h.Queued, offered: map[string]time.Time{}, watchers: map[string]bool{}}
	for _, w := range h.Watchers {
		c.watchers[w] = true
	}
	s.chats[bare] = c
	s.changed = true
	if c.state == stateActive {
		return
	}
	c.state = stateWaiting
	d.queue = append(d.queue, c)
	s.dispatch(d)
}

// forwarded sends a message for a desk another node keeps there (an
// agent's to a guest whose session is here, anyone's to a group) and
// reports whether it did.
func (s *Service) forwarded(from, to jid.JID, el *pxml.Element) bool {
	if s.opts.Placement == nil || el.Name != stanza.Message || el.Attr("type") == "error" || to.Local() == "" {
		return false
	}
	body := ""
	if b := el.Child("", "body"); b != nil {
		body = b.Text
	}
	var target string
	var args []string
	switch {
	case s.guestDom[to.Domain()]:
		c, ok := s.reg.context(to.Bare().String())
		if !ok {
			return false
		}
		target, args = c.Target, []string{evAgent, from.String(), to.Bare().String(), body, chatState(el)}
	case s.groupDom[to.Domain()]:
		target, args = to.Bare().String(), []string{evGroup, from.String(), to.Bare().String(), body, el.Attr("type")}
	default:
		return false
	}
	if !s.remote(target) {
		return false
	}
	if !s.forward(target, args...) {
		s.replyError(context.Background(), el, "resource-constraint", "live help is busy; try again")
	}
	return true
}

// forwardGuest sends a guest's event to its desk's node when that is
// another one, and reports whether it did.
func (s *Service) forwardGuest(kind string, c GuestContext, more ...string) bool {
	if !s.remote(c.Target) {
		return false
	}
	if !s.forward(c.Target, guestArgs(kind, c, more...)...) {
		s.log.Warn("livehelp: forward queue full; a guest's event is dropped", "guest", c.Guest, "event", kind)
	}
	return true
}
