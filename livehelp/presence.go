package livehelp

import (
	"context"
	"time"

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
