package c2s

import (
	"context"

	"time"

	"github.com/parley-im/parley/xmpp/stream"
)

// Redirect sends this node's clients elsewhere before it stops (a node
// of a cluster being drained): the listeners close, new WebSocket and
// BOSH streams are refused, and every stream ends with
// <see-other-host/> (RFC 6120 §4.9.3.19) naming host() -- a peer's
// address -- or, when host returns "", the domain the client asked for,
// which leads back through the load balancer to another node. It waits
// until the streams have ended or ctx ends, and returns how many streams
// it asked to leave and how many are left.
func (srv *Server) Redirect(ctx context.Context, host func() string) (asked, left int) {
	sessions := srv.closeListeners(&srv.redirecting)
	for _, s := range sessions {
		h := host()
		if h == "" {
			h = s.domain
		}
		if h == "" {
			h = srv.defaultDomain()
		}
		s.Close(stream.SeeOther(h, "this server is restarting: reconnect"))
	}
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		if left = srv.connected(); left == 0 {
			return len(sessions), 0
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return len(sessions), left
		}
	}
}

// connected counts the streams with a connection (sessions waiting for
// a resumption are not in srv.sessions).
func (srv *Server) connected() int {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return len(srv.sessions)
}

// Redirecting reports whether Redirect was called.
func (srv *Server) Redirecting() bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.redirecting
}
