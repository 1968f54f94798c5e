package livehelp

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Agents use any XMPP client: a visitor is a contact whose JID is the
// guest's, offers and notices come from it as chat messages, and a reply
// takes the chat. A few commands, typed as messages, do the rest:
//
//	to a visitor:  /end  /transfer USER-OR-GROUP  /transcript  /take (supervisors)  /help
//	to the group:  /chats  /watch VISITOR  /unwatch VISITOR  /help
//
// A message that must start with '/' is written with two ("//...").

const agentHelp = `Live help commands, sent to a visitor:
  /end                   end the chat
  /transfer JID          hand the chat to another agent (user@domain) or group (name@groups.domain)
  /transcript            get the chat's transcript
  /take                  (supervisors) take the chat over
Sent to the support group:
  /chats                 the queue and the open chats
  /watch VISITOR-JID     (supervisors) get a copy of a chat; /unwatch to stop
Start a message with // to send it with a single /.`

// fromAgent handles a message a local user sent to a guest's JID.
func (s *Service) fromAgent(from jid.JID, guest string, el *xml.Element) {
	if !s.hosts[from.Domain()] {
		return
	}
	agent := from.Bare().String()
	body := ""
	if b := el.Child("", "body"); b != nil {
		body = strings.TrimSpace(b.Text)
	}
	state := chatState(el)
	c := s.chats[guest]
	if c == nil {
		if body != "" {
			s.sendFrom(guest, agent, "This visitor is not in a chat now; your message was not delivered.")
		}
		return
	}
	if strings.HasPrefix(body, "/") && !strings.HasPrefix(body, "//") {
		s.command(c, agent, body)
		return
	}
	body = strings.TrimPrefix(body, "/")
	switch {
	case c.state == stateActive && agent == c.agent:
	case body == "":
		return // chat states of someone who does not have the chat
	case c.state == stateActive && agent == c.transfer:
		s.claim(c, agent)
	case c.state != stateActive && s.mayTake(c, agent):
		s.claim(c, agent)
	case c.watchers[agent]:
		s.sendFrom(guest, agent, "You are watching this chat: send /take to take it over, /unwatch to stop.")
		return
	case c.state == stateActive && c.desk.info.isMember(agent):
		s.sendFrom(guest, agent, c.agentName+" has this chat; your message was not delivered.")
		return
	default:
		s.sendFrom(guest, agent, "This chat was not offered to you; your message was not delivered.")
		return
	}
	if body != "" {
		s.line(c, store.FromAgent, agent, c.agentName, body)
	}
	s.relayToGuest(c, body, state)
}

// mayTake: an agent may take a queued chat it was offered, or that its
// desk could offer it now (an agent of the desk below its maximum).
func (s *Service) mayTake(c *chat, agent string) bool {
	if _, ok := c.offered[agent]; ok {
		return true
	}
	info := c.desk.info
	for _, a := range info.agents {
		if a == agent {
			return s.load(agent) < info.maxChats
		}
	}
	return false
}

// sendFrom sends a notice to a local user from a live-help JID (a
// guest's or a group's).
func (s *Service) sendFrom(from, to, body string) {
	s.opts.Send(s.ctx, stanza.NewMessage("chat", from, to, body))
}

// command runs an agent's command about one chat.
func (s *Service) command(c *chat, agent, line string) {
	fields := strings.Fields(line)
	info := c.desk.info
	owner := agent == c.agent
	super := info.isSupervisor(agent)
	reply := func(text string) { s.sendFrom(c.guest, agent, text) }
	switch strings.ToLower(fields[0]) {
	case "/end":
		if !owner && !super {
			reply("Only the agent who has this chat (or a supervisor) may end it.")
			return
		}
		s.end(c, endByAgent, s.agentName(s.ctx, agent), "")
		reply("Chat ended.")
	case "/transfer":
		if len(fields) != 2 {
			reply("Usage: /transfer user@domain or /transfer group@groups.domain")
			return
		}
		if !owner && !super {
			reply("Only the agent who has this chat (or a supervisor) may transfer it.")
			return
		}
		s.transfer(c, agent, fields[1])
	case "/transcript":
		if !owner && !super && !info.isMember(agent) && !c.watchers[agent] {
			reply("This chat is not yours.")
			return
		}
		reply(s.transcriptText(c))
	case "/take":
		if !super {
			reply("Only a supervisor of this group may take a chat over.")
			return
		}
		s.claim(c, agent)
		delete(c.watchers, agent)
		reply("You have this chat now.")
	case "/watch", "/unwatch":
		s.watch(c.desk, agent, strings.ToLower(fields[0]) == "/watch", c.guest)
	default:
		reply(agentHelp)
	}
}

// transfer hands a chat to another agent (warm: the chat stays with its
// agent until the new one answers, or the offer lapses) or to another
// group (its queue, at the front).
func (s *Service) transfer(c *chat, by, to string) {
	reply := func(text string) { s.sendFrom(c.guest, by, text) }
	j, err := jid.Parse(to)
	if err != nil || j.Local() == "" || !j.IsBare() {
		reply(fmt.Sprintf("%q is not a user or group JID.", to))
		return
	}
	target := j.String()
	if s.groupDom[j.Domain()] {
		g, err := s.opts.Store.Group(s.ctx, target)
		if err != nil || !openTo(g, c.ctx.SiteID) {
			reply(fmt.Sprintf("%s is not a support group this visitor's site may reach.", target))
			return
		}
		s.moveToGroup(c, by, g)
		return
	}
	if !s.hosts[j.Domain()] || !s.userExists(s.ctx, target) {
		reply(fmt.Sprintf("%s is not a user of this server.", target))
		return
	}
	if online, _ := s.availability(target); !online {
		reply(fmt.Sprintf("%s is not online.", target))
		return
	}
	if target == c.agent {
		reply("You already have this chat.")
		return
	}
	name := s.agentName(s.ctx, target)
	text := fmt.Sprintf("%s transfers a visitor to you: %s", s.agentName(s.ctx, by), c.ctx.DisplayName)
	if c.ctx.Subject != "" {
		text += fmt.Sprintf(", about %q", c.ctx.Subject)
	}
	text += ". Reply to take this chat (/transcript shows it so far)."
	if c.state != stateActive {
		c.offered[target] = s.clock.Now()
		c.state = stateOffered
		s.arm(c, c.desk.info.offerTimeout)
		s.toAgent(c, target, text, c.ctx.Subject)
		reply(fmt.Sprintf("Offered to %s.", name))
		return
	}
	c.transfer = target
	s.arm(c, c.desk.info.offerTimeout)
	s.toAgent(c, target, text, c.ctx.Subject)
	s.line(c, store.FromSystem, "", "", "Transfer to "+name+" requested")
	s.tellGuest(c.guest, status{state: stateTransferring, to: name})
	reply(fmt.Sprintf("Transferring to %s; the chat stays with you until they answer.", name))
}

// moveToGroup moves a chat to another group's queue, at its front (the
// visitor has waited already).
func (s *Service) moveToGroup(c *chat, by string, g store.SupportGroup) {
	name := groupName(g)
	old := c.desk
	old.remove(c)
	s.disarm(c)
	prev := c.agent
	nd := s.desk(g.JID, true)
	c.desk, c.state, c.agent, c.agentName, c.transfer = nd, stateWaiting, "", "", ""
	c.offered, c.passed, c.queued, c.position = map[string]time.Time{}, nil, s.clock.Now(), 0
	nd.queue = append([]*chat{c}, nd.queue...)
	s.updateChat(c, store.ChatOpen, time.Time{})
	s.line(c, store.FromSystem, "", "", "Transferred to "+name)
	told := map[string]bool{}
	for _, a := range []string{prev, by} {
		if a != "" && !told[a] {
			told[a] = true
			s.sendFrom(c.guest, a, "Transferred to "+name+"; the chat is no longer yours.")
		}
	}
	s.tellGuest(c.guest, status{state: stateTransferring, to: name})
	s.changed = true
	s.dispatch(old)
	s.dispatch(nd)
}

// toGroup handles a message a local user sent to a group's JID: the
// members' commands.
func (s *Service) toGroup(from jid.JID, group string, el *xml.Element) {
	if !s.hosts[from.Domain()] || el.Attr("type") == "groupchat" {
		return
	}
	user := from.Bare().String()
	body := ""
	if b := el.Child("", "body"); b != nil {
		body = strings.TrimSpace(b.Text)
	}
	if body == "" {
		return
	}
	d := s.desk(group, true)
	info := s.loadInfo(d)
	reply := func(text string) { s.sendFrom(group, user, text) }
	switch {
	case !info.exists:
		reply("There is no support group " + group + ".")
		return
	case !info.isMember(user):
		reply("You are not a member of the support group " + info.name + ". Visitors reach it from a web site's Live Help button.")
		return
	}
	fields := strings.Fields(body)
	switch strings.ToLower(fields[0]) {
	case "/watch", "/unwatch":
		if len(fields) != 2 {
			reply("Usage: /watch VISITOR-JID (see /chats)")
			return
		}
		s.watch(d, user, strings.ToLower(fields[0]) == "/watch", fields[1])
	case "/help":
		reply(agentHelp)
	default:
		reply(s.chatList(d, info))
	}
}

// watch starts or stops a supervisor's copy of a chat of its group.
func (s *Service) watch(d *desk, user string, on bool, guest string) {
	reply := func(text string) { s.sendFrom(d.target, user, text) }
	if !d.info.isSupervisor(user) {
		reply("Only a supervisor of this group may watch its chats.")
		return
	}
	j, err := jid.Parse(guest)
	c := s.chats[j.Bare().String()]
	if err != nil || c == nil || (c.desk != d && c.ctx.Target != d.target) {
		reply(fmt.Sprintf("%s is not in a chat of this group (see /chats).", guest))
		return
	}
	if on {
		c.watchers[user] = true
		reply(fmt.Sprintf("Watching %s (%s): copies come from %s.", c.ctx.DisplayName, c.guest, c.guest))
		return
	}
	delete(c.watchers, user)
	reply(fmt.Sprintf("No longer watching %s.", c.guest))
}

// chatList describes a group's queue and open chats, for its members.
func (s *Service) chatList(d *desk, info groupInfo) string {
	now := s.clock.Now()
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d waiting", info.name, len(d.queue))
	for i, c := range d.queue {
		offered := make([]string, 0, len(c.offered))
		for a := range c.offered {
			offered = append(offered, a)
		}
		sort.Strings(offered)
		fmt.Fprintf(&b, "\n %d. %s (%s) %q waiting %s", i+1, c.ctx.DisplayName, c.guest, c.ctx.Subject, now.Sub(c.queued).Round(time.Second))
		if len(offered) > 0 {
			fmt.Fprintf(&b, ", offered to %s", strings.Join(offered, ", "))
		}
	}
	var open []*chat
	for _, c := range s.chats {
		if c.desk == d && c.state == stateActive {
			open = append(open, c)
		}
	}
	sort.Slice(open, func(i, j int) bool { return open[i].taken.Before(open[j].taken) })
	fmt.Fprintf(&b, "\n%d open", len(open))
	for _, c := range open {
		fmt.Fprintf(&b, "\n - %s (%s) with %s for %s", c.ctx.DisplayName, c.guest, c.agent, now.Sub(c.taken).Round(time.Second))
	}
	return b.String()
}
