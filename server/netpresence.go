package server

import (
	"context"

	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/im/netpresence"
	"github.com/parley-im/parley/im/roster"
	"github.com/parley-im/parley/integration/presence"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/xml"
)

// newNetworkPresence prepares network presence (seed 000) when
// federation is on: it needs other servers to ask for presence.
func (s *Server) newNetworkPresence(engine *roster.Engine) *netpresence.Service {
	if !s.cfg.S2S.Enabled {
		return nil
	}
	return netpresence.New(netpresence.Config{Store: s.store, Roster: engine, Logger: s.log})
}

// remotePresenceHook is what the dispatcher tells of presence from other
// servers (nil: nobody listens). A node of a cluster shares what network
// presence keeps with the other nodes (the other server's stream reached
// this node only), whose presence endpoints show it too.
func (s *Server) remotePresenceHook() func(context.Context, im.RemotePresence) {
	np := s.netPresence
	if np == nil {
		return nil
	}
	if s.cluster == nil {
		return np.RemotePresence
	}
	return func(ctx context.Context, ev im.RemotePresence) {
		np.RemotePresence(ctx, ev)
		if np.Wants(ev) {
			s.cluster.ShareRemotePresence(ev.Presence)
		}
	}
}

// sharedRemotePresence takes the presence another node received and
// shared (cluster.Hooks.RemotePresence).
func (s *Server) sharedRemotePresence(ctx context.Context, el *xml.Element) {
	from, err1 := jid.Parse(el.Attr("from"))
	to, err2 := jid.Parse(el.Attr("to"))
	if s.netPresence == nil || err1 != nil || err2 != nil {
		return
	}
	s.netPresence.RemotePresence(ctx, im.RemotePresence{From: from, To: to, Presence: el})
}

// startNetworkPresence reads the settings now and again every
// presence.network_refresh, until the server stops.
func (s *Server) startNetworkPresence() {
	if s.netPresence == nil {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.netPresence.Run(s.runCtx, s.cfg.Presence.NetworkRefresh.Duration)
	}()
}

// NetworkPresence returns the network presence service, nil when off
// (for tests).
func (s *Server) NetworkPresence() *netpresence.Service { return s.netPresence }

// networkPresence answers the presence services for users with a
// network presence: the remote account's resources, offline until it
// approved.
type networkPresence struct{ s *Server }

func (n networkPresence) NetworkPresence(_ context.Context, bare string) (presence.Snapshot, bool) {
	np := n.s.netPresence
	if np == nil {
		return presence.Snapshot{}, false
	}
	st, ok := np.Status(bare)
	if !ok {
		return presence.Snapshot{}, false
	}
	list := make([]presence.Stanza, 0, len(st.Resources))
	for _, r := range st.Resources {
		list = append(list, presence.Stanza{Resource: r.Name, Presence: r.Presence, Priority: priorityOf(r), Changed: r.Changed})
	}
	return presence.FromStanzas(bare, list), true
}

func priorityOf(r netpresence.Resource) int {
	return roster.Priority(r.Presence)
}
