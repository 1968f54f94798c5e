package cluster

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// Test timing: heartbeats every 50 ms, a peer dead after 1 s (the
// race detector on a shared machine delays heartbeats). Tests wait for
// what they expect with a deadline (waitFor), never sleep.
const (
	testHeartbeat = 50 * time.Millisecond
	testTimeout   = time.Second
	waitDeadline  = 10 * time.Second
)

// natsServer starts an in-process NATS server on a free port.
func natsServer(t testing.TB) *natsserver.Server {
	t.Helper()
	srv, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: natsserver.RANDOM_PORT, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	return srv
}

// testNode is one cluster node with its own NATS connection.
type testNode struct {
	t     testing.TB
	r     *Router
	conn  *nats.Conn
	rooms router.Component // the owned rooms' component, with withRooms

	mu           sync.Mutex
	undeliv      []*xml.Element
	offline      []jid.JID
	lost         []router.Resource
	presenceSeen map[string]int
}

func startNode(t testing.TB, srv *natsserver.Server, name string, setup ...func(*testNode)) *testNode {
	t.Helper()
	conn, err := nats.Connect(srv.ClientURL(), nats.Name(name))
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(Config{Name: "test", Node: name, Conn: conn, Heartbeat: testHeartbeat, PeerTimeout: testTimeout,
		Address: name + ".example:5222", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	n := &testNode{t: t, r: r, conn: conn, presenceSeen: map[string]int{}}
	r.SetHooks(Hooks{
		Undeliverable: func(_ context.Context, el *xml.Element, to jid.JID) {
			n.mu.Lock()
			n.undeliv = append(n.undeliv, el)
			n.mu.Unlock()
		},
		DeliverOffline: func(_ context.Context, s router.Session) {
			n.mu.Lock()
			n.offline = append(n.offline, s.JID())
			n.mu.Unlock()
		},
		SessionsLost: func(_ context.Context, lost []router.Resource) {
			n.mu.Lock()
			n.lost = append(n.lost, lost...)
			n.mu.Unlock()
		},
	})
	r.OnPresence(func(bare string) {
		n.mu.Lock()
		n.presenceSeen[bare]++
		n.mu.Unlock()
	})
	for _, fn := range setup {
		fn(n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.stop() })
	return n
}

// stop leaves the cluster cleanly.
func (n *testNode) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n.r.Stop(ctx)
	n.conn.Close()
}

// kill loses the node as a crash would: no goodbye, its connection
// gone, its goroutines stopped.
func (n *testNode) kill() {
	n.conn.Close()
	n.r.started.Store(false)
	n.r.cancel()
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitDeadline)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// session is a local client session that records what it gets.
type session struct {
	j jid.JID

	mu     sync.Mutex
	got    []*xml.Element
	closed *stream.Error
	signal chan struct{}
}

func newSession(s string) *session {
	return &session{j: jid.MustParse(s), signal: make(chan struct{}, 1)}
}

func (s *session) JID() jid.JID { return s.j }

func (s *session) Deliver(el *xml.Element) {
	s.mu.Lock()
	s.got = append(s.got, el)
	s.mu.Unlock()
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

func (s *session) Close(err *stream.Error) {
	s.mu.Lock()
	s.closed = err
	s.mu.Unlock()
}

func (s *session) received() []*xml.Element {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*xml.Element(nil), s.got...)
}

func (s *session) closedWith() *stream.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// waitStanza waits until s got a stanza with the given id.
func (s *session) waitStanza(t *testing.T, id string) *xml.Element {
	t.Helper()
	var found *xml.Element
	waitFor(t, fmt.Sprintf("%s to get stanza %s", s.j, id), func() bool {
		for _, el := range s.received() {
			if el.Attr("id") == id {
				found = el
				return true
			}
		}
		return false
	})
	return found
}

func chat(from, to, id, body string) *xml.Element {
	return xml.NewElement("jabber:client", "message",
		xml.Attr{Name: "from", Value: from}, xml.Attr{Name: "to", Value: to},
		xml.Attr{Name: "type", Value: "chat"}, xml.Attr{Name: "id", Value: id}).
		AddChild(xml.NewElement("jabber:client", "body").SetText(body))
}

func presence(show string) *xml.Element {
	p := xml.NewElement("jabber:client", "presence")
	if show != "" {
		p.AddChild(xml.NewElement("jabber:client", "show").SetText(show))
	}
	return p
}

// sees reports whether n's router has a resource full with the given
// availability.
func (n *testNode) sees(full string, available bool) bool {
	res, ok := n.r.Resource(jid.MustParse(full))
	return ok && res.Available == available
}

// rooms is a fake owned service: it holds a key once it got a stanza
// for it, and records what it got.
type rooms struct {
	node string

	mu       sync.Mutex
	held     map[string]bool
	got      []*xml.Element
	rejoined []*xml.Element
	unloaded []string
}

func newRooms(node string) *rooms { return &rooms{node: node, held: map[string]bool{}} }

func (f *rooms) Receive(_ context.Context, el *xml.Element) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, el)
	if to, err := jid.Parse(el.Attr("to")); err == nil && to.Local() != "" {
		f.held[to.Bare().String()] = true
	}
}

func (f *rooms) Rejoin(_ context.Context, el *xml.Element) {
	f.mu.Lock()
	f.rejoined = append(f.rejoined, el)
	f.mu.Unlock()
	f.Receive(context.Background(), el)
}

func (f *rooms) Loaded(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.held[key]
}

func (f *rooms) Unload(_ context.Context, key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.held, key)
	f.unloaded = append(f.unloaded, key)
}

func (f *rooms) holds(key string) bool { return f.Loaded(key) }

func (f *rooms) count(id string) (got, rejoined int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, el := range f.got {
		if el.Attr("id") == id {
			got++
		}
	}
	for _, el := range f.rejoined {
		if el.Attr("id") == id {
			rejoined++
		}
	}
	return got, rejoined
}

const roomDomain = "conference.example.com"

// withRooms registers a rooms service on the node.
func withRooms(f **rooms) func(*testNode) {
	return func(n *testNode) {
		*f = newRooms(n.r.NodeName())
		n.rooms = n.r.Own(Owned{Domain: roomDomain, Service: *f,
			Key: func(to jid.JID) string {
				if to.Local() == "" {
					return ""
				}
				return to.Bare().String()
			},
			Replay: func(join *xml.Element) *xml.Element {
				c := join.Copy()
				c.SetAttr("replayed", "yes")
				return c
			}})
		n.r.RegisterComponent(roomDomain, n.rooms)
	}
}

func presenceTo(from, to, typ string) *xml.Element {
	p := xml.NewElement("jabber:client", "presence", xml.Attr{Name: "from", Value: from}, xml.Attr{Name: "to", Value: to})
	if typ != "" {
		p.SetAttr("type", typ)
	}
	return p
}
