package livehelp

import (
	"fmt"
	"strings"
	"time"

	"github.com/parley-im/parley/store"
)

// Chat states as guests see them (the state attribute of the status
// element, ns.go).
const (
	stateIdle         = "idle"         // no chat yet
	stateWaiting      = "waiting"      // queued, offered to nobody yet
	stateOffered      = "offered"      // queued, offered to agents
	stateActive       = "active"       // an agent has it
	stateTransferring = "transferring" // moving to another agent or group
	stateEnded        = "ended"
	stateNobody       = "nobody" // nobody is available: leave a message
	stateFull         = "full"   // the queue is full: leave a message
)

// Why a chat ended.
const (
	endByGuest = "visitor"
	endByAgent = "agent"
	endLeft    = "left" // the visitor's connection did not come back
	endGone    = "gone" // the group went away, or the server stops
)

// chat is one open conversation between a guest and its target.
type chat struct {
	id        int64 // the transcript's
	guest     string
	ctx       GuestContext
	desk      *desk
	state     string
	agent     string // who has it
	agentName string
	offered   map[string]time.Time // agents with an open offer
	passed    map[string]bool      // agents whose offer lapsed (round-robin, least-busy)
	transfer  string               // the agent it is being handed to (warm transfer)
	watchers  map[string]bool      // supervisors watching
	started   time.Time
	taken     time.Time
	queued    time.Time
	position  int           // last position told to the guest
	wait      time.Duration // last estimate told to the guest
	timer     Timer
	gen       int // bumps on every (re)arm, so stale timers do nothing
}

// open starts a chat with the guest's first message: queued on its
// target's desk, or refused with "nobody"/"full" (leave a message).
func (s *Service) open(g *guestState, body string) *chat {
	d := s.desk(g.ctx.Target, g.ctx.IsGroup)
	info := s.loadInfo(d)
	switch {
	case !info.exists || s.targetState(info, s.load) == stateOffline:
		s.tellGuest(g.bare, status{state: stateNobody})
		return nil
	case len(d.queue) >= s.opts.MaxQueue:
		s.tellGuest(g.bare, status{state: stateFull})
		return nil
	}
	now := s.clock.Now()
	c := &chat{guest: g.bare, ctx: g.ctx, desk: d, state: stateWaiting, started: now, queued: now,
		offered: map[string]time.Time{}, watchers: map[string]bool{}}
	id, err := s.opts.Store.CreateChat(s.ctx, store.Chat{SiteID: g.ctx.SiteID, GuestJID: g.bare, FromUserJID: g.ctx.FromUserJID,
		DisplayName: g.ctx.DisplayName, Group: groupOf(d), Target: g.ctx.Target, Subject: g.ctx.Subject,
		State: store.ChatOpen, StartedAt: now})
	if err != nil {
		s.storeErr("create chat", err)
		s.tellGuest(g.bare, status{state: stateEnded, reason: "error"})
		return nil
	}
	c.id = id
	s.chats[g.bare] = c
	if g.ctx.Subject != "" {
		s.line(c, store.FromSystem, "", "", "Subject: "+g.ctx.Subject)
	}
	s.line(c, store.FromGuest, "", g.ctx.DisplayName, body)
	d.queue = append(d.queue, c)
	s.dispatch(d)
	return c
}

func groupOf(d *desk) string {
	if d.isGroup {
		return d.target
	}
	return ""
}

// line appends to a chat's transcript (and shows watchers).
func (s *Service) line(c *chat, from, j, name, body string) {
	l := store.ChatLine{At: s.clock.Now(), From: from, JID: j, Name: name, Body: body}
	if err := s.opts.Store.AppendChatLines(s.ctx, c.id, []store.ChatLine{l}); err != nil {
		s.storeErr("append transcript", err)
	}
	for w := range c.watchers {
		if w != j {
			s.toAgent(c, w, "["+displayOf(l)+"] "+body, "")
		}
	}
}

func displayOf(l store.ChatLine) string {
	switch {
	case l.From == store.FromSystem:
		return "Parley"
	case l.Name != "":
		return l.Name
	}
	return l.From
}

// offer offers a queued chat to one agent and arms the offer timer.
func (s *Service) offer(c *chat, agent string, info groupInfo) {
	if len(c.offered) == 0 {
		s.arm(c, info.offerTimeout)
	}
	c.offered[agent] = s.clock.Now()
	s.toAgent(c, agent, s.offerText(c, info), c.ctx.Subject)
}

// offerText is the offer an agent reads: who, about what, what was said,
// and how to take it.
func (s *Service) offerText(c *chat, info groupInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Live help (%s): %s", info.name, c.ctx.DisplayName)
	if c.ctx.Subject != "" {
		fmt.Fprintf(&b, " asks about %q", c.ctx.Subject)
	}
	if w := s.clock.Now().Sub(c.queued).Round(time.Second); w >= time.Second {
		fmt.Fprintf(&b, " (waiting %s)", w)
	}
	b.WriteString(":\n")
	lines, err := s.opts.Store.ChatLines(s.ctx, c.id)
	s.storeErr("transcript", err)
	for _, l := range lines {
		if l.From == store.FromGuest {
			b.WriteString("> " + l.Body + "\n")
		}
	}
	b.WriteString("Reply to take this chat.")
	return b.String()
}

// arm (re)starts a chat's offer timer.
func (s *Service) arm(c *chat, d time.Duration) {
	if c.timer != nil {
		c.timer.Stop()
	}
	c.gen++
	gen := c.gen
	c.timer = s.clock.AfterFunc(d, func() {
		s.post(func() {
			if c.gen == gen && s.chats[c.guest] == c {
				s.offerLapsed(c)
			}
		})
	})
}

func (s *Service) disarm(c *chat) {
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.gen++
}

// offerLapsed: nobody took the offer in time. One-at-a-time strategies
// move on to the next agent; broadcast offers again to every ready
// agent; a warm transfer falls back to the agent who has the chat.
func (s *Service) offerLapsed(c *chat) {
	c.timer = nil
	if c.state == stateActive {
		if c.transfer != "" {
			s.toAgent(c, c.agent, fmt.Sprintf("%s did not answer; the chat stays with you.", s.agentName(s.ctx, c.transfer)), "")
			s.toAgent(c, c.transfer, "The transfer was withdrawn: you did not answer in time.", "")
			c.transfer = ""
		}
		return
	}
	info := c.desk.info
	if info.strategy == RoundRobin || info.strategy == LeastBusy {
		if c.passed == nil {
			c.passed = map[string]bool{}
		}
		for a := range c.offered {
			c.passed[a] = true
			s.toAgent(c, a, "Offer withdrawn: no reply in time; it goes to someone else.", "")
		}
	}
	clear(c.offered)
	s.dispatch(c.desk)
}

// claim gives a queued chat to the agent who answered its offer.
func (s *Service) claim(c *chat, agent string) {
	d := c.desk
	d.remove(c)
	s.disarm(c)
	prev := c.agent
	c.state, c.agent, c.agentName, c.taken = stateActive, agent, s.agentName(s.ctx, agent), s.clock.Now()
	for a := range c.offered {
		if a != agent {
			s.toAgent(c, a, fmt.Sprintf("Taken by %s.", c.agentName), "")
		}
	}
	clear(c.offered)
	c.passed = nil
	if prev != "" && prev != agent {
		s.toAgent(c, prev, fmt.Sprintf("%s took over this chat.", c.agentName), "")
	}
	c.transfer = ""
	s.publish() // HTTP readers see the agent's new load before anyone is told
	s.updateChat(c, store.ChatOpen, time.Time{})
	s.line(c, store.FromSystem, "", "", c.agentName+" joined the chat")
	s.tellGuest(c.guest, status{state: stateActive, agent: c.agentName})
	s.dispatch(d)
}

func (s *Service) updateChat(c *chat, state string, ended time.Time) {
	err := s.opts.Store.UpdateChat(s.ctx, store.Chat{ID: c.id, Group: groupOf(c.desk), Agent: c.agent, State: state, EndedAt: ended})
	s.storeErr("update chat", err)
}

// end closes a chat: everyone involved is told, the transcript closed.
func (s *Service) end(c *chat, why, by, text string) {
	if s.chats[c.guest] != c {
		return
	}
	delete(s.chats, c.guest)
	c.desk.remove(c)
	s.disarm(c)
	now := s.clock.Now()
	if c.state == stateActive {
		c.desk.noteHandled(now.Sub(c.taken))
	}
	if text == "" {
		switch why {
		case endByGuest:
			text = "The visitor ended the chat."
		case endLeft:
			text = "The visitor left."
		case endByAgent:
			text = "Chat ended by " + by + "."
		default:
			text = "The chat ended."
		}
	}
	s.line(c, store.FromSystem, "", "", text)
	notify := map[string]bool{}
	if c.agent != "" {
		notify[c.agent] = true
	}
	for a := range c.offered {
		notify[a] = true
	}
	if c.transfer != "" {
		notify[c.transfer] = true
	}
	for a := range notify {
		if why == endByAgent && a == c.agent {
			continue
		}
		s.toAgent(c, a, text, "")
	}
	c.state = stateEnded
	s.publish()
	s.updateChat(c, store.ChatEnded, now)
	s.tellGuest(c.guest, status{state: stateEnded, reason: why})
	s.changed = true
	s.dispatch(c.desk)
}

// tellPositions tells each queued visitor of a desk its position and
// estimated wait, when they changed.
func (s *Service) tellPositions(d *desk) {
	for i, c := range d.queue {
		pos, wait := i+1, s.estimate(d, i+1)
		if c.state == stateOffered {
			wait = 0
		}
		if pos != c.position || wait != c.wait {
			c.position, c.wait = pos, wait
			s.tellGuest(c.guest, status{state: c.state, position: pos, wait: wait})
		}
	}
}
