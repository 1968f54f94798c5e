package livehelp

import (
	"context"
	"encoding/xml"
	"strconv"
	"strings"
	"time"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	pxml "github.com/parley-im/parley/xmpp/xml"
)

// NS is the namespace of live help's status element, which the guest
// chat page reads:
//
//	<message from='TARGET' type='headline'>
//	  <status xmlns='urn:parley:livehelp:0' state='waiting' position='2' wait='360'/>
//	</message>
//
// state is idle, waiting, offered, active (agent='NAME'), transferring
// (to='NAME'), ended (reason='visitor|agent|left|gone'), nobody or full
// (leave a message); position and wait (seconds) while queued.
const NS = "urn:parley:livehelp:0"

// nickNS is XEP-0172 user nickname: the name of the guest (to agents)
// and of the agent (to the guest).
const nickNS = "http://jabber.org/protocol/nick"

type status struct {
	state    string
	position int
	wait     time.Duration
	agent    string
	to       string
	reason   string
}

// tellGuest sends a guest its chat's status.
func (s *Service) tellGuest(bare string, st status) {
	g := s.guests[bare]
	target := ""
	if g != nil {
		target = g.ctx.Target
	} else if c, ok := s.reg.context(bare); ok {
		target = c.Target
	}
	if target == "" {
		return
	}
	el := pxml.NewElement(NS, "status", pxml.Attr{Name: "state", Value: st.state})
	if st.position > 0 {
		el.SetAttr("position", strconv.Itoa(st.position))
		el.SetAttr("wait", strconv.Itoa(int(st.wait/time.Second)))
	}
	for _, a := range [][2]string{{"agent", st.agent}, {"to", st.to}, {"reason", st.reason}} {
		if a[1] != "" {
			el.SetAttr(a[0], a[1])
		}
	}
	s.deliverGuest(bare, stanza.NewMessage("headline", target, bare, "").AddChild(el))
}

// toAgent sends an agent a message from the guest's JID (the
// conversation the agent's client shows for this visitor), with the
// visitor's name as nickname.
func (s *Service) toAgent(c *chat, agent, body, subject string) {
	msg := stanza.NewMessage("chat", c.guest, agent, "")
	if subject != "" {
		msg.AddChild(pxml.NewElement(ns.Client, "subject").SetText(subject))
	}
	msg.AddChild(pxml.NewElement(ns.Client, "body").SetText(body))
	msg.AddChild(pxml.NewElement(nickNS, "nick").SetText(c.ctx.DisplayName))
	s.opts.Send(s.ctx, msg)
}

// relayToAgent passes a guest's message or chat state to an agent.
func (s *Service) relayToAgent(c *chat, agent, body, state string) {
	if body == "" && state == "" {
		return
	}
	msg := stanza.NewMessage("chat", c.guest, agent, "")
	if body != "" {
		msg.AddChild(pxml.NewElement(ns.Client, "body").SetText(body))
		msg.AddChild(pxml.NewElement(nickNS, "nick").SetText(c.ctx.DisplayName))
	}
	if state != "" {
		msg.AddChild(pxml.NewElement(ns.ChatStates, state))
	}
	s.opts.Send(s.ctx, msg)
}

// relayToGuest passes an agent's message or chat state to the guest, from
// the guest's target, with the agent's name as nickname.
func (s *Service) relayToGuest(c *chat, body, state string) {
	msg := stanza.NewMessage("chat", c.ctx.Target, c.guest, "")
	if body != "" {
		msg.AddChild(pxml.NewElement(ns.Client, "body").SetText(body))
	}
	msg.AddChild(pxml.NewElement(nickNS, "nick").SetText(c.agentName)) // who is typing, too
	if state != "" {
		msg.AddChild(pxml.NewElement(ns.ChatStates, state))
	}
	s.deliverGuest(c.guest, msg)
}

// targetPresence is the presence of a guest's target, to the guest:
// available, away (agents online but busy) or unavailable, with a status
// text.
func (s *Service) targetPresence(d *desk, info groupInfo, guest string) *pxml.Element {
	st := s.targetState(info, s.load)
	p := stanza.NewPresence("", d.target, guest)
	switch st {
	case stateOffline:
		p.SetAttr("type", "unavailable")
		p.AddChild(pxml.NewElement(ns.Client, "status").SetText("Nobody is available"))
	case stateAway:
		p.AddChild(pxml.NewElement(ns.Client, "show").SetText("away"))
		p.AddChild(pxml.NewElement(ns.Client, "status").SetText("All agents are busy"))
	default:
		p.AddChild(pxml.NewElement(ns.Client, "status").SetText("Available"))
	}
	d.state = st
	return p
}

// sendTargetPresence tells a desk's connected guests when its presence
// changed.
func (s *Service) sendTargetPresence(d *desk) {
	info := d.info
	prev := d.state
	if s.targetState(info, s.load) == prev {
		return
	}
	for _, g := range s.guests {
		if g.ctx.Target == d.target && g.resources > 0 {
			s.deliverGuest(g.bare, s.targetPresence(d, info, g.bare))
		}
	}
	d.state = s.targetState(info, s.load)
}

// replyError answers a stanza sent to a group or guest with an error
// (routed back through the server).
func (s *Service) replyError(ctx context.Context, el *pxml.Element, cond, text string) {
	if !stanza.CanReplyWithError(el) {
		return
	}
	c := stanza.Condition{Name: cond, Type: "cancel"}
	if cond == "resource-constraint" {
		c.Type = "wait"
	}
	s.opts.Send(ctx, stanza.Error(el, c, text))
}

// answerIQ answers iq requests to groups and guests: disco#info of a
// group names it; nothing else is served.
func (s *Service) answerIQ(ctx context.Context, el *pxml.Element, to jid.JID) {
	typ := el.Attr("type")
	if typ != "get" && typ != "set" {
		return
	}
	if typ == "get" && len(el.Children) == 1 && el.Children[0].Space == ns.DiscoInfo && s.groupDom[to.Domain()] && to.Local() != "" {
		q := pxml.NewElement(ns.DiscoInfo, "query").AddChild(pxml.NewElement(ns.DiscoInfo, "identity", pxml.Attr{Name: "category", Value: "client"},
			pxml.Attr{Name: "type", Value: "bot"}, pxml.Attr{Name: "name", Value: "Live help " + to.Local()})).AddChild(
			pxml.NewElement(ns.DiscoInfo, "feature", pxml.Attr{Name: "var", Value: NS}))
		s.opts.Send(ctx, stanza.Result(el, q))
		return
	}
	s.replyError(ctx, el, "service-unavailable", "")
}

// agentName is the name visitors see for an agent: the vCard's NICKNAME
// or FN, else the localpart.
func (s *Service) agentName(ctx context.Context, bare string) string {
	if raw, err := s.opts.Store.VCard(ctx, bare); err == nil && len(raw) > 0 {
		var v struct {
			FN       string `xml:"FN"`
			Nickname string `xml:"NICKNAME"`
		}
		if xml.Unmarshal(raw, &v) == nil {
			for _, n := range []string{v.Nickname, v.FN} {
				if n = strings.TrimSpace(n); n != "" && len(n) <= 100 {
					return n
				}
			}
		}
	}
	j, err := jid.Parse(bare)
	if err != nil {
		return bare
	}
	return j.Local()
}
