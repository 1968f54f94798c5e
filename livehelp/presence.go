package livehelp

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/xmpp/jid"
)

// Status is a support group's live-help state, for every presence
// surface (the presence URL, getPresence and getBulkPresence, the
// seed-004 endpoint, /livehelp.js): available while at least one agent
// is ready (online, not away or busy) and below its maximum of chats,
// away while agents are online but all busy, offline otherwise.
type Status struct {
	Name    string
	State   string        // available, away, offline
	Ready   int           // agents who could take a chat now
	Online  int           // agents online
	Waiting int           // visitors in the queue
	Wait    time.Duration // estimated wait of a new visitor
}

// GroupStatus returns a support group's status; ok is false when bare is
// not a group. It reads the store and the session table, not the loop,
// so it is cheap and safe from any goroutine.
func (s *Service) GroupStatus(ctx context.Context, bare string) (Status, bool) {
	j, err := jid.Parse(bare)
	if err != nil || !s.groupDom[j.Domain()] || j.Local() == "" {
		return Status{}, false
	}
	info, err := s.readInfo(ctx, j.Bare().String(), true)
	if err != nil {
		s.storeErr("group status", err)
		return Status{Name: j.Local(), State: stateOffline}, true
	}
	if !info.exists {
		return Status{}, false
	}
	sn := s.snap.Load()
	if target := j.Bare().String(); s.remote(target) {
		if rs, ok := s.remoteSnapshot(ctx, target); ok {
			sn = rs
		}
	}
	loads := func(a string) int { return sn.loads[a] }
	st := Status{Name: info.name, State: s.targetState(info, loads)}
	for _, a := range info.agents {
		online, ready := s.availability(a)
		if online {
			st.Online++
		}
		if ready && loads(a) < info.maxChats {
			st.Ready++
		}
	}
	if q, ok := sn.queues[j.Bare().String()]; ok {
		st.Waiting, st.Wait = q.waiting, q.wait
	}
	return st, true
}

// SupportGroupStatus is getSupportGroupStatus's answer: what a site shows
// next to its Live Help button (the seed's "predicted hold times or queue
// lengths").
type SupportGroupStatus struct {
	GroupJID             string `xml:"groupJID" json:"groupJID"`
	Name                 string `xml:"name" json:"name"`
	State                string `xml:"state" json:"state"` // available, away, offline
	ReadyAgents          int    `xml:"readyAgents" json:"readyAgents"`
	OnlineAgents         int    `xml:"onlineAgents" json:"onlineAgents"`
	Waiting              int    `xml:"waiting" json:"waiting"`
	EstimatedWaitSeconds int    `xml:"estimatedWaitSeconds" json:"estimatedWaitSeconds"`
}

// SiteGroupStatus returns a group's status to a site (its SESSION,
// PRESENCE or GUESTCHAT token): a group the site's visitors may reach.
func (s *Service) SiteGroupStatus(ctx context.Context, siteID, token, group string) (SupportGroupStatus, error) {
	site, err := s.siteToken(ctx, siteID, token, auth.PolicySession, auth.PolicyPresence, auth.PolicyGuestChat)
	if err != nil {
		return SupportGroupStatus{}, err
	}
	j, err := jid.Parse(strings.TrimSpace(group))
	if err != nil {
		return SupportGroupStatus{}, fmt.Errorf("%w: %q is not a group JID", ErrInvalidQuery, group)
	}
	if _, err := s.targetOf(ctx, site, j.Bare().String(), true); err != nil {
		return SupportGroupStatus{}, fmt.Errorf("%w: %s is not a support group of site %s", ErrInvalidQuery, j.Bare(), site)
	}
	st, ok := s.GroupStatus(ctx, j.Bare().String())
	if !ok {
		return SupportGroupStatus{}, fmt.Errorf("%w: no support group %s", ErrInvalidQuery, j.Bare())
	}
	return SupportGroupStatus{GroupJID: j.Bare().String(), Name: st.Name, State: st.State, ReadyAgents: st.Ready,
		OnlineAgents: st.Online, Waiting: st.Waiting, EstimatedWaitSeconds: int(st.Wait / time.Second)}, nil
}
