package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/parley-im/parley/cluster"
	"github.com/parley-im/parley/conference"
	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/im/offline"
	"github.com/parley-im/parley/im/roster"
	"github.com/parley-im/parley/livehelp"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/xml"
)

// This file makes the server a node of a cluster when cluster.node is
// set (docs/cluster.md): the router is package cluster's, over the bus;
// rooms are held per node; the cluster's hooks are answered by the
// dispatcher, the roster and the rooms; `parley node` reaches the node
// through the control channel. A single server (the default) uses
// router.Table and none of this.

// newRouter returns the session table: the cluster's router on a node of
// a cluster, the node-local table otherwise.
func (s *Server) newRouter() (router.Router, error) {
	c := s.cfg.Cluster
	if !c.Enabled() {
		return router.New(), nil
	}
	b := s.ext.bus
	if b == nil || b.Conn() == nil {
		return nil, fmt.Errorf("%w: no bus", cluster.ErrConfig)
	}
	lim := s.cfg.Limits
	cr, err := cluster.New(cluster.Config{
		Name: c.Name, Node: c.Node, Conn: b.Conn(),
		Heartbeat: c.Heartbeat.Duration, PeerTimeout: c.PeerTimeout.Duration,
		Address:   c.Advertise,
		XMLLimits: xml.Limits{MaxStanzaBytes: lim.MaxStanzaBytes + 4096, MaxDepth: lim.MaxDepth + 4, MaxAttrs: xml.DefaultLimits.MaxAttrs},
		Logger:    s.log,
	})
	if err != nil {
		return nil, err
	}
	s.cluster = cr
	return cr, nil
}

// registerRooms registers a room service for domain: on a node of a
// cluster each room is held by one node (cluster.Own), and its
// occupants' joins follow it when it moves.
func (s *Server) registerRooms(domain string, svc *muc.Service) {
	if s.cluster == nil {
		s.router.RegisterComponent(domain, svc)
		return
	}
	s.router.RegisterComponent(domain, s.cluster.Own(cluster.Owned{
		Domain: domain, Service: svc, Key: muc.RoomKey, Replay: muc.RejoinPresence,
	}))
}

// conferencePlacement tells the conference manager which node holds
// each conference's room (nil on a single server).
func (s *Server) conferencePlacement() conference.Placement {
	if s.cluster == nil {
		return nil
	}
	return roomPlacement{s.cluster}
}

type roomPlacement struct{ r *cluster.Router }

// deskPlacement tells live help which node keeps each support group's
// (or agent's) desk: the node the cluster picks for the target's JID
// (nil on a single server).
func (s *Server) deskPlacement() livehelp.Placement {
	if s.cluster == nil {
		return nil
	}
	return deskPlacement{s.cluster}
}

type deskPlacement struct{ r *cluster.Router }

func (p deskPlacement) Here(target string) bool { return p.r.Holds(target) }

func (p deskPlacement) Call(ctx context.Context, target string, args ...string) (string, error) {
	return p.r.Call(ctx, target, "livehelp", args...)
}

func (p roomPlacement) Here(room string) bool { return p.r.Holds(room) }

func (p roomPlacement) Call(ctx context.Context, room string, args ...string) error {
	_, err := p.r.Call(ctx, room, "conference", args...)
	return err
}

// atGuestSession is the component for a domain of live help's guests: on
// a node of a cluster, a stanza to a guest goes to the node holding the
// guest's session, whose live help has the guest's chat.
func (s *Server) atGuestSession(domain string, svc router.Component) router.Component {
	if s.cluster == nil {
		return svc
	}
	return s.cluster.AtSession(domain, svc)
}

// nodeSlot is this node's slot in archive IDs: 0 for a single server.
func (s *Server) nodeSlot(ctx context.Context) (int, error) {
	if s.cluster == nil {
		return 0, nil
	}
	slot, err := s.store.NodeSlot(ctx, s.cfg.Cluster.Node)
	if err != nil {
		return 0, fmt.Errorf("cluster: archive ID slot of node %s: %w", s.cfg.Cluster.Node, err)
	}
	return slot, nil
}

// startCluster answers the cluster's hooks and joins it (before the
// listeners open, so that the first sessions see the whole cluster).
func (s *Server) startCluster(ctx context.Context, d *im.Dispatcher, engine *roster.Engine, off *offline.Service) error {
	if c := s.ext.control; c != nil {
		c.Handle("node", s.nodeCommand)
	}
	cr := s.cluster
	if cr == nil {
		return nil
	}
	cr.SetHooks(cluster.Hooks{
		Undeliverable: d.Undeliverable,
		DeliverOffline: func(ctx context.Context, sess router.Session) {
			if off != nil {
				off.Deliver(ctx, sess)
			}
		},
		SessionsLost: func(ctx context.Context, lost []router.Resource) {
			gone := make(map[jid.JID]bool, len(lost))
			lead := cr.Leads()
			for _, res := range lost {
				j := res.Session.JID()
				gone[j] = true
				engine.SessionLost(ctx, j, res.Available, cr.Table, lead)
			}
			if s.muc != nil {
				s.muc.SessionsGone(ctx, gone)
			}
		},
		Changed: func(ctx context.Context, what cluster.Data, bare string) {
			s.changedElsewhere(ctx, engine, what, bare)
		},
		RemotePresence: s.sharedRemotePresence,
	})
	s.metrics.Registry.MustRegister(cr.Collector())
	return cr.Start(ctx)
}

// changedElsewhere drops or reloads this node's copy of account data
// that another node changed (cluster.Router.Changed).
func (s *Server) changedElsewhere(ctx context.Context, engine *roster.Engine, what cluster.Data, bare string) {
	var err error
	switch what {
	case cluster.DataRoster:
		err = engine.Reload(ctx, bare)
	case cluster.DataBlocklist:
		if s.pers.blocking != nil {
			err = s.pers.blocking.Reload(ctx, bare)
		}
	case cluster.DataVCard:
		if s.pers.vcards != nil {
			s.pers.vcards.Refresh(ctx, bare)
		}
	case cluster.DataPEP:
		if s.pers.pep != nil {
			s.pers.pep.Invalidate(bare)
		}
	}
	if err != nil {
		s.log.Warn("reload data another node changed", "what", what.String(), "user", bare, "err", err)
	}
}

// boundHere reports whether a session is bound on this node (so that
// its answers to the server's own requests reach this node, and its
// presence may be changed here); nil on a single server (every session
// is).
func (s *Server) boundHere() func(router.Session) bool {
	if s.cluster == nil {
		return nil
	}
	return func(sess router.Session) bool { return !cluster.IsRemote(sess) }
}

// tellCluster returns the hook a module calls when it changed what of
// an account, so that the other nodes drop their copy; nil on a single
// server.
func (s *Server) tellCluster(what cluster.Data) func(bare string) {
	if s.cluster == nil {
		return nil
	}
	return func(bare string) { s.cluster.Changed(what, bare) }
}

// drainCluster gives the node's rooms to the others before its clients
// are told to go: on a stop, and by `parley node drain`.
func (s *Server) drainCluster(ctx context.Context) int {
	if s.cluster == nil {
		return 0
	}
	n := s.cluster.Drain(ctx)
	if lh := s.liveHelp(); lh != nil {
		lh.Rehome(ctx) // support groups' chats go with the rooms
	}
	return n
}

func (s *Server) stopCluster(ctx context.Context) error {
	if s.cluster == nil {
		return nil
	}
	return s.cluster.Stop(ctx)
}

// Cluster returns the cluster router, nil on a single server.
func (s *Server) Cluster() *cluster.Router { return s.cluster }

// Drain prepares the node to stop without losing anyone: its rooms move
// to the other nodes, the load balancer's health checks fail
// (/healthz answers 503), and its clients are asked to reconnect
// elsewhere (<see-other-host/>); it returns when they have left or
// cluster.drain_timeout has passed. The process keeps running (stop it
// then); a single server has no other node to send anyone to.
func (s *Server) Drain(ctx context.Context) (string, error) {
	if s.cluster == nil {
		return "", errors.New("not a node of a cluster (cluster.node is not set): there is no other node to move to")
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Cluster.DrainTimeout.Duration)
	defer cancel()
	rooms := s.drainCluster(ctx)
	asked, left := 0, 0
	if s.c2s != nil {
		asked, left = s.c2s.Redirect(ctx, s.cluster.ReconnectTo)
	}
	out := fmt.Sprintf("drained: %d rooms moved, %d client streams asked to reconnect elsewhere, %d still connected\n", rooms, asked, left)
	if left > 0 {
		return out, fmt.Errorf("%d clients still connected after %s", left, s.cfg.Cluster.DrainTimeout.Duration)
	}
	return out, nil
}

// nodeCommand serves `parley node ...` on the control channel.
func (s *Server) nodeCommand(ctx context.Context, args []string) (string, error) {
	cmd := "status"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "status":
		return s.clusterStatus(), nil
	case "drain":
		// The control request's own deadline is shorter than a drain
		// may take: the drain has its own (cluster.drain_timeout).
		return s.Drain(context.WithoutCancel(ctx))
	}
	return "", fmt.Errorf("unknown node command %q (status, drain)", cmd)
}

// clusterStatus describes the node and its peers, for `parley node
// status` and /healthz.
func (s *Server) clusterStatus() string {
	cr := s.cluster
	if cr == nil {
		return "single server (cluster.node is not set)\n"
	}
	var b strings.Builder
	b.WriteString(cr.Health())
	for _, p := range cr.Peers() {
		state := "up"
		if p.Draining {
			state = "draining"
		}
		if !p.Synced {
			state += ", syncing"
		}
		fmt.Fprintf(&b, "peer %s: %s, %d sessions, %d rooms held, heard %s ago", p.Node, state, p.Sessions, p.Claims,
			time.Since(p.Seen).Round(time.Millisecond))
		if p.Address != "" {
			fmt.Fprintf(&b, ", clients at %s", p.Address)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// clusterHealth adds the cluster's state to /healthz; a draining node is
// unhealthy, so that a load balancer sends no new client to it.
func (s *Server) clusterHealth(status int, body string) (int, string) {
	if s.cluster == nil {
		return status, body
	}
	if s.cluster.Draining() {
		status, body = http.StatusServiceUnavailable, "draining\n"+strings.TrimPrefix(body, "ok\n")
	}
	return status, body + s.cluster.Health()
}
