package livehelp

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/parley-im/parley/store"
)

// defaultHandleTime is the estimated length of a chat before a desk has
// seen any end.
const defaultHandleTime = 3 * time.Minute

// desk owns the queue of one live-help target: a support group, or a
// person visitors reach by r_toJID (a desk whose only agent is that
// person). It holds the chats not yet taken, in arrival order, and
// decides whom to offer them to. A desk lives on the loop goroutine;
// in a cluster, on the node that owns the target (placement.go).
type desk struct {
	target  string
	isGroup bool
	queue   []*chat // not yet taken, oldest first
	last    string  // the agent last offered a chat (round-robin cursor)
	handle  time.Duration
	state   string // the target's presence as last sent to its guests
	info    groupInfo
}

// groupInfo is a target's configuration as the store has it now.
type groupInfo struct {
	loaded       bool // read from the store at least once
	exists       bool
	name         string
	strategy     string
	offerTimeout time.Duration
	maxChats     int
	email        string
	sites        []string
	agents       []string // offered chats, sorted
	supervisors  []string // sorted
	all          []string // agents and supervisors, sorted
}

func (s *Service) desk(target string, isGroup bool) *desk {
	d := s.desks[target]
	if d == nil {
		d = &desk{target: target, isGroup: isGroup, handle: defaultHandleTime}
		s.desks[target] = d
	}
	return d
}

// active reports whether a desk has anything to route or anyone to
// tell: queued chats, or guests connected for it.
func (d *desk) active(s *Service) bool {
	if len(d.queue) > 0 {
		return true
	}
	for _, g := range s.guests {
		if g.ctx.Target == d.target {
			return true
		}
	}
	for _, c := range s.chats {
		if c.desk == d {
			return true
		}
	}
	return false
}

// loadInfo reads a desk's configuration from the store (so that changes
// made with `parley group` while the server runs count at once). On a
// store error it keeps routing with what it knew.
func (s *Service) loadInfo(d *desk) groupInfo {
	info, err := s.readInfo(s.ctx, d.target, d.isGroup)
	if err != nil {
		s.storeErr("group", err)
		return d.info
	}
	d.info = info
	return info
}

// readInfo reads a target's configuration: a group's options and
// members, or, for a person, that person as the only agent. A target
// that does not exist has exists false.
func (s *Service) readInfo(ctx context.Context, target string, isGroup bool) (groupInfo, error) {
	info := groupInfo{loaded: true, strategy: s.opts.Strategy, offerTimeout: s.opts.OfferTimeout, maxChats: s.opts.MaxChats}
	if !isGroup {
		_, err := s.opts.Store.User(ctx, target)
		if errors.Is(err, store.ErrNotFound) {
			return info, nil
		}
		if err != nil {
			return info, err
		}
		info.exists, info.name, info.strategy = true, s.agentName(ctx, target), Broadcast
		info.agents, info.all = []string{target}, []string{target}
		return info, nil
	}
	g, err := s.opts.Store.Group(ctx, target)
	if errors.Is(err, store.ErrNotFound) {
		return info, nil
	}
	if err != nil {
		return info, err
	}
	info.exists, info.name, info.email, info.sites = true, groupName(g), g.Email, g.Sites
	if g.Strategy != "" {
		info.strategy = g.Strategy
	}
	if g.OfferTimeout > 0 {
		info.offerTimeout = g.OfferTimeout
	}
	if g.MaxChats > 0 {
		info.maxChats = g.MaxChats
	}
	members, err := s.opts.Store.GroupMembers(ctx, target)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return info, err
	}
	for _, m := range members {
		info.all = append(info.all, m.JID)
		if m.Role == store.RoleSupervisor {
			info.supervisors = append(info.supervisors, m.JID)
		} else {
			info.agents = append(info.agents, m.JID)
		}
	}
	return info, nil
}

func (info groupInfo) isMember(bare string) bool { return slices.Contains(info.all, bare) }

func (info groupInfo) isSupervisor(bare string) bool { return slices.Contains(info.supervisors, bare) }

// availability of an agent from its resources: online means an available
// resource that takes messages (priority >= 0), ready means one that
// also shows no away/xa/dnd.
func (s *Service) availability(bare string) (online, ready bool) {
	for _, r := range s.opts.Sessions.Resources(bare) {
		if !r.Available || r.Priority < 0 || r.Presence == nil {
			continue
		}
		online = true
		show := ""
		if el := r.Presence.Child("", "show"); el != nil {
			show = strings.TrimSpace(el.Text)
		}
		if show == "" || show == "chat" {
			ready = true
		}
	}
	return online, ready
}

// load is an agent's open chats, on every desk.
func (s *Service) load(agent string) int {
	n := 0
	for _, c := range s.chats {
		if c.state == stateActive && c.agent == agent {
			n++
		}
	}
	return n
}

// outstanding is how many chats an agent has been offered and not yet
// answered, on every desk.
func (s *Service) outstanding(agent string) int {
	n := 0
	for _, c := range s.chats {
		if _, ok := c.offered[agent]; ok && c.state != stateActive {
			n++
		}
	}
	return n
}

// canOffer: ready, and below the desk's maximum counting open offers.
func (s *Service) canOffer(agent string, info groupInfo) bool {
	_, ready := s.availability(agent)
	return ready && s.load(agent)+s.outstanding(agent) < info.maxChats
}

// dispatch offers a desk's queued chats by its strategy, then tells each
// waiting visitor its place and estimated wait.
func (s *Service) dispatch(d *desk) {
	info := s.loadInfo(d)
	if !info.loaded {
		return // the store failed before we ever read this target: wait for the next event
	}
	if !info.exists {
		for _, c := range slices.Clone(d.queue) {
			s.end(c, endGone, "", "this support group no longer exists")
		}
		return
	}
	for _, c := range d.queue {
		switch info.strategy {
		case RoundRobin, LeastBusy:
			if len(c.offered) == 0 {
				if a := s.pick(d, c, info); a != "" {
					s.offer(c, a, info)
					d.last = a
				}
			}
		default: // Broadcast
			for _, a := range info.agents {
				if _, done := c.offered[a]; !done && s.canOffer(a, info) {
					s.offer(c, a, info)
				}
			}
		}
		if len(c.offered) > 0 {
			c.state = stateOffered
		} else {
			c.state = stateWaiting
		}
	}
	s.tellPositions(d)
	s.changed = true
}

// pick chooses the one agent to offer a chat to (round-robin or
// least-busy): among the agents who can take it and have not let this
// chat's offer lapse (once all have, they are asked again in turn).
func (s *Service) pick(d *desk, c *chat, info groupInfo) string {
	var cands []string
	for _, a := range info.agents {
		if !c.passed[a] && s.canOffer(a, info) {
			cands = append(cands, a)
		}
	}
	if len(cands) == 0 && len(c.passed) > 0 {
		c.passed = nil
		for _, a := range info.agents {
			if s.canOffer(a, info) {
				cands = append(cands, a)
			}
		}
	}
	if len(cands) == 0 {
		return ""
	}
	// Turn order: the agents after the one offered last, then from the top.
	i, _ := slices.BinarySearch(cands, d.last)
	if i < len(cands) && cands[i] == d.last {
		i++
	}
	ordered := append(slices.Clone(cands[i:]), cands[:i]...)
	if info.strategy == RoundRobin {
		return ordered[0]
	}
	best, bestLoad := "", 0
	for _, a := range ordered {
		if l := s.load(a); best == "" || l < bestLoad {
			best, bestLoad = a, l
		}
	}
	return best
}

// estimate is the expected wait of the visitor at position pos: the
// desk's average chat length for every round of its online agents ahead.
func (s *Service) estimate(d *desk, pos int) time.Duration {
	agents := 0
	for _, a := range d.info.agents {
		if online, _ := s.availability(a); online {
			agents++
		}
	}
	if agents == 0 {
		agents = 1
	}
	capacity := agents * max(d.info.maxChats, 1)
	rounds := (pos - 1 + capacity) / capacity
	if pos <= 0 {
		rounds = 0
	}
	return (time.Duration(rounds) * d.handle).Round(time.Second)
}

// targetState is the target's presence for its visitors: available when
// an agent is ready and below its maximum, away when agents are online
// but all busy (or away), offline when none is online.
func (s *Service) targetState(info groupInfo, loads func(string) int) string {
	online := false
	for _, a := range info.agents {
		on, ready := s.availability(a)
		if ready && loads(a) < info.maxChats {
			return stateAvailable
		}
		online = online || on
	}
	if online {
		return stateAway
	}
	return stateOffline
}

// Target presence states.
const (
	stateAvailable = "available"
	stateAway      = "away"
	stateOffline   = "offline"
)

// noteHandled folds a finished chat's length into the desk's average
// (exponentially weighted, new chats counting 1/5).
func (d *desk) noteHandled(length time.Duration) {
	if length <= 0 {
		return
	}
	d.handle = (4*d.handle + length) / 5
}

// remove takes c out of the desk's queue.
func (d *desk) remove(c *chat) {
	if i := slices.Index(d.queue, c); i >= 0 {
		d.queue = slices.Delete(d.queue, i, i+1)
	}
}
