package cluster

import (
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// counting is a session that counts deliveries and signals when a
// target is reached; optionally it echoes each stanza to another
// session (a round trip).
type counting struct {
	j      jid.JID
	n      atomic.Int64
	target atomic.Int64
	done   chan struct{}
	echo   router.Session
}

func (c *counting) JID() jid.JID        { return c.j }
func (c *counting) Close(*stream.Error) {}
func (c *counting) reset(target int64) {
	c.n.Store(0)
	c.target.Store(target)
	c.done = make(chan struct{})
}
func (c *counting) wait(b *testing.B) { b.Helper(); <-c.done }
func newCounting(s string) *counting  { return &counting{j: jid.MustParse(s)} }
func (c *counting) Deliver(el *xml.Element) {
	if c.echo != nil {
		c.echo.Deliver(el)
	}
	if c.n.Add(1) == c.target.Load() {
		close(c.done)
	}
}

const benchBody = "Hello, how are you doing today?"

func benchMessage() *xml.Element {
	el, err := xml.ParseElement([]byte("<message xmlns='jabber:client' from='alice@example.com/a' to='bob@example.com/b' type='chat' id='m1'><body>"+benchBody+"</body></message>"), ns.Client, xml.DefaultLimits)
	if err != nil {
		panic(err)
	}
	return el
}

// twoNodes starts nodes a and b with bob's session bound on b, and
// returns bob's remote session as a sees it.
func twoNodes(b *testing.B) (a, bn *testNode, bob *counting, remote router.Session) {
	srv := natsServer(b)
	a = startNode(b, srv, "a")
	bn = startNode(b, srv, "b")
	for len(a.r.Peers()) != 1 || len(bn.r.Peers()) != 1 {
		time.Sleep(time.Millisecond)
	}
	bob = newCounting("bob@example.com/b")
	bn.r.Bind(bob)
	for {
		if res, ok := a.r.Resource(bob.j); ok {
			return a, bn, bob, res.Session
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkForward is a stanza delivered to a session on another node:
// serialized into node a's batch for b, published to NATS (in process,
// over loopback TCP), read and parsed by b, delivered to b's session.
// One op is one delivered stanza; CPU is both nodes' and NATS's.
func BenchmarkForward(b *testing.B) {
	_, _, bob, remote := twoNodes(b)
	el := benchMessage()
	bob.reset(int64(b.N))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		remote.Deliver(el)
	}
	bob.wait(b)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkForwardRoundTrip is one stanza to a session on another node
// and back (its session echoes it to a session on the first node), one
// at a time: half an op is the cross-node latency at low load.
func BenchmarkForwardRoundTrip(b *testing.B) {
	a, bn, bob, remote := twoNodes(b)
	alice := newCounting("alice@example.com/a")
	a.r.Bind(alice)
	for {
		if res, ok := bn.r.Resource(alice.j); ok {
			bob.echo = res.Session
			break
		}
		time.Sleep(time.Millisecond)
	}
	el := benchMessage()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		alice.reset(1)
		remote.Deliver(el)
		alice.wait(b)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/2, "µs-one-way")
}

// BenchmarkLocalDeliver is the same delivery on one node: the session
// table lookup and the session's Deliver, for comparison.
func BenchmarkLocalDeliver(b *testing.B) {
	l := router.New()
	bob := newCounting("bob@example.com/b")
	l.Bind(bob)
	el := benchMessage()
	bob.reset(int64(b.N))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if res, ok := l.Resource(bob.j); ok {
			res.Session.Deliver(el)
		}
	}
	bob.wait(b)
}

// BenchmarkResources is the lookup every routed message and presence
// broadcast makes, on a single node's table and on a cluster node whose
// user has one local and two remote resources.
func BenchmarkResources(b *testing.B) {
	b.Run("local", func(b *testing.B) {
		l := router.New()
		l.Bind(newCounting("bob@example.com/1"))
		b.ReportAllocs()
		for b.Loop() {
			if len(l.Resources("bob@example.com")) != 1 {
				b.Fatal()
			}
		}
	})
	b.Run("cluster", func(b *testing.B) {
		r := &Router{Table: router.New(), peers: map[string]*peer{}, byBare: map[string][]*remoteRes{}}
		r.Table.Bind(newCounting("bob@example.com/1"))
		for i, node := range []string{"x", "y"} {
			j := jid.MustParse("bob@example.com/" + strconv.Itoa(i+2))
			r.byBare["bob@example.com"] = append(r.byBare["bob@example.com"],
				&remoteRes{jid: j, node: node, res: router.Resource{Session: &remoteSession{r: r, node: node, jid: j}}})
		}
		b.ReportAllocs()
		for b.Loop() {
			if len(r.Resources("bob@example.com")) != 3 {
				b.Fatal()
			}
		}
	})
}

// BenchmarkReplicaMemory is what one session of another node costs in
// a node's replica: its bind, an available presence and its flags, as
// announced. Reported as heap bytes per replicated session.
func BenchmarkReplicaMemory(b *testing.B) {
	presence := xml.NewElement(ns.Client, "presence").
		AddChild(xml.NewElement(ns.Client, "show").SetText("away")).
		AddChild(xml.NewElement(ns.Client, "status").SetText("in a meeting until 3")).
		AddChild(xml.NewElement("http://jabber.org/protocol/caps", "c",
			xml.Attr{Name: "hash", Value: "sha-1"}, xml.Attr{Name: "node", Value: "https://conversations.im"},
			xml.Attr{Name: "ver", Value: "ESNXCpdM9mbNN9zm2sBwdOoCXyY="}))
	const sessions = 20000
	for b.Loop() {
		r := &Router{Table: router.New(), cfg: Config{XMLLimits: xml.DefaultLimits, Now: time.Now},
			peers: map[string]*peer{}, byBare: map[string][]*remoteRes{}, claims: map[string][]claimant{},
			bound: map[jid.JID]time.Time{}, mine: map[string]time.Time{}}
		p := &peer{name: "x", res: map[jid.JID]*remoteRes{}, claims: map[string]time.Time{}, synced: true}
		r.peers["x"] = p
		frames := make([]frame, 0, 3*sessions)
		for i := range sessions {
			full := "user" + strconv.Itoa(i) + "@example.com/Conversations.abcd"
			frames = append(frames,
				frame{Kind: fBind, JID: full, At: time.Now()},
				frame{Kind: fPresence, JID: full, Available: true, Priority: 0, Stanza: presence.Bytes(ns.Client)},
				frame{Kind: fFlags, JID: full, Flags: flagCarbons | flagInterested})
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		var ev events
		for i := range frames {
			r.applyEntry(p, &frames[i], &ev)
		}
		frames = nil
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/sessions, "B/session")
		runtime.KeepAlive(r)
	}
}
