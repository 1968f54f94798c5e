package cluster

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/jid"
)

// threeWithRooms starts three nodes, each with the rooms service.
func threeWithRooms(t *testing.T) ([]*testNode, []*rooms) {
	srv := natsServer(t)
	rs := make([]*rooms, 3)
	ns := make([]*testNode, 3)
	for i, name := range []string{"a", "b", "c"} {
		ns[i] = startNode(t, srv, name, withRooms(&rs[i]))
	}
	waitFor(t, "three synced nodes", func() bool {
		for _, n := range ns {
			peers := n.r.Peers()
			if len(peers) != 2 || !peers[0].Synced || !peers[1].Synced {
				return false
			}
		}
		return true
	})
	return ns, rs
}

func TestRoomLivesOnOneNode(t *testing.T) {
	ns, rs := threeWithRooms(t)
	const room = "lobby@" + roomDomain
	// Joins from sessions on every node go to one owner.
	for i, n := range ns {
		s := newSession("u" + string(rune('0'+i)) + "@example.com/r")
		n.r.Bind(s)
		p := presenceTo(s.j.String(), room+"/nick"+string(rune('0'+i)), "")
		p.SetAttr("id", "join"+string(rune('0'+i)))
		n.rooms.Receive(t.Context(), p)
	}
	owner := -1
	waitFor(t, "the three joins at one owner", func() bool {
		for i, r := range rs {
			a, _ := r.count("join0")
			b, _ := r.count("join1")
			c, _ := r.count("join2")
			if a+b+c == 3 {
				owner = i
				return true
			}
		}
		return false
	})
	for i, r := range rs {
		if i != owner && r.holds(room) {
			t.Fatalf("node %d holds the room too", i)
		}
	}
	for _, n := range ns {
		want := ns[owner].r.NodeName()
		waitFor(t, "every node to agree on the owner", func() bool { return n.r.ownerOf(room) == want })
	}
	// A disco query to the service domain itself is answered locally.
	q := presenceTo("u0@example.com/r", roomDomain, "")
	q.SetAttr("id", "svc")
	ns[(owner+1)%3].rooms.Receive(t.Context(), q)
	if got, _ := rs[(owner+1)%3].count("svc"); got != 1 {
		t.Fatal("a stanza to the service domain went elsewhere")
	}
}

func TestRoomMovesWhenItsNodeDies(t *testing.T) {
	ns, rs := threeWithRooms(t)
	const room = "ops@" + roomDomain
	owner := ns[0].r.ownerOf(room)
	var dead, other int
	for i, n := range ns {
		if n.r.NodeName() == owner {
			dead = i
		}
	}
	other = (dead + 1) % 3
	// A session on another node joins; the room is taken by its owner.
	s := newSession("kim@example.com/r")
	ns[other].r.Bind(s)
	join := presenceTo(s.j.String(), room+"/kim", "")
	join.SetAttr("id", "kimjoin")
	ns[other].rooms.Receive(t.Context(), join)
	waitFor(t, "the owner to take the room", func() bool { return rs[dead].holds(room) })
	waitFor(t, "the others to see the claim", func() bool {
		return ns[other].r.ownerOf(room) == owner && ns[(dead+2)%3].r.ownerOf(room) == owner
	})

	ns[dead].kill()
	// The join is replayed on the room's next owner, marked as a rejoin.
	var next int
	waitFor(t, "the join replayed on a new owner", func() bool {
		for i, r := range rs {
			if i == dead {
				continue
			}
			if _, re := r.count("kimjoin"); re == 1 {
				next = i
				return true
			}
		}
		return false
	})
	if !rs[next].holds(room) {
		t.Fatal("the new owner does not hold the room")
	}
	r := rs[next]
	r.mu.Lock()
	replayed := r.rejoined[0].Attr("replayed")
	r.mu.Unlock()
	if replayed != "yes" {
		t.Fatal("the replay was not rewritten by Replay")
	}
	if ns[other].r.stats.replays.Load() != 1 {
		t.Fatalf("replays %d", ns[other].r.stats.replays.Load())
	}
}

func TestLeavingRoomIsNotReplayed(t *testing.T) {
	ns, rs := threeWithRooms(t)
	const room = "quiet@" + roomDomain
	s := newSession("lee@example.com/r")
	ns[0].r.Bind(s)
	ns[0].rooms.Receive(t.Context(), presenceTo(s.j.String(), room+"/lee", ""))
	ns[0].rooms.Receive(t.Context(), presenceTo(s.j.String(), room+"/lee", "unavailable"))
	if got := ns[0].r.joinsOf(room); len(got) != 0 {
		t.Fatalf("a left room is still tracked: %v", got)
	}
	s2 := newSession("lee@example.com/other")
	ns[0].r.Bind(s2)
	ns[0].rooms.Receive(t.Context(), presenceTo(s2.j.String(), room+"/lee2", ""))
	ns[0].r.Unbind(s2)
	if got := ns[0].r.joinsOf(room); len(got) != 0 {
		t.Fatalf("an unbound session's join is still tracked: %v", got)
	}
	_ = rs
}

func TestDrainMovesRooms(t *testing.T) {
	ns, rs := threeWithRooms(t)
	// Find a room the first node owns.
	room := ""
	for i := 0; room == ""; i++ {
		k := "r" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "@" + roomDomain
		if ns[0].r.ownerOf(k) == "a" {
			room = k
		}
	}
	s := newSession("max@example.com/r")
	ns[1].r.Bind(s)
	join := presenceTo(s.j.String(), room+"/max", "")
	join.SetAttr("id", "maxjoin")
	ns[1].rooms.Receive(t.Context(), join)
	waitFor(t, "a to take the room", func() bool { return rs[0].holds(room) })
	waitFor(t, "b to see a's claim", func() bool {
		ns[1].r.regMu.RLock()
		defer ns[1].r.regMu.RUnlock()
		return len(ns[1].r.claims[room]) == 1
	})

	if n := ns[0].r.Drain(t.Context()); n != 1 {
		t.Fatalf("drain gave up %d keys, want 1", n)
	}
	if rs[0].holds(room) {
		t.Fatal("the draining node still holds the room")
	}
	waitFor(t, "the join replayed elsewhere", func() bool {
		_, b := rs[1].count("maxjoin")
		_, c := rs[2].count("maxjoin")
		return b+c == 1
	})
	waitFor(t, "peers to see a draining", func() bool {
		for _, p := range ns[1].r.Peers() {
			if p.Node == "a" {
				return p.Draining
			}
		}
		return false
	})
	// New rooms avoid the draining node; its clients are sent to a peer.
	for i := range 20 {
		if o := ns[1].r.ownerOf("new" + string(rune('a'+i)) + "@" + roomDomain); o == "a" {
			t.Fatal("a draining node was given a new room")
		}
	}
	if addr := ns[0].r.ReconnectTo(); addr != "b.example:5222" && addr != "c.example:5222" {
		t.Fatalf("ReconnectTo = %q", addr)
	}
}

// TestDrainingNodePassesLateStanzasOn: a peer whose view lags (a's
// release still in flight) sends a a room's stanza as a second hop, or a
// first hop whose owner a sees is the sender. a, draining, does not take
// the room back: it passes the stanza on once more, and the node it
// lands on handles it.
func TestDrainingNodePassesLateStanzasOn(t *testing.T) {
	ns, rs := threeWithRooms(t)
	ns[0].r.Drain(t.Context())
	waitFor(t, "peers to see a draining", func() bool {
		for _, n := range ns[1:] {
			for _, p := range n.r.Peers() {
				if p.Node == "a" && !p.Draining {
					return false
				}
			}
		}
		return true
	})
	for i, flags := range []byte{compSecondHop, 0} {
		room := "late" + strconv.Itoa(i) + "@" + roomDomain
		s := newSession("lou" + strconv.Itoa(i) + "@example.com/r")
		ns[1].r.Bind(s)
		join := presenceTo(s.j.String(), room+"/lou", "")
		join.SetAttr("id", "late"+strconv.Itoa(i))
		from := ns[0].r.ownerOf(room) // the sender is the owner a sees
		ns[0].r.fromPeer(from, flags, join)
		id := join.Attr("id")
		waitFor(t, "the late join handled on a node that is not draining", func() bool {
			b, _ := rs[1].count(id)
			c, _ := rs[2].count(id)
			return b+c == 1
		})
		if a, _ := rs[0].count(id); a != 0 || rs[0].holds(room) {
			t.Fatalf("the draining node took %s back", room)
		}
	}
}

func TestOlderClaimWins(t *testing.T) {
	ns, rs := threeWithRooms(t)
	const room = "race@" + roomDomain
	// Two nodes take the room at once (each before hearing of the
	// other): the later claim yields, and its members rejoin.
	s := newSession("ned@example.com/r")
	ns[1].r.Bind(s)
	join := presenceTo(s.j.String(), room+"/ned", "")
	join.SetAttr("id", "nedjoin")
	ns[1].r.trackJoin(join, jid.MustParse(room+"/ned"), room)
	rs[0].Receive(t.Context(), join)
	rs[1].Receive(t.Context(), join)
	ns[0].r.claim(room)
	if ns[1].r.claim(room) { // a's claim arrived first: b gives up at once
		ns[1].r.yield(room)
	}
	waitFor(t, "b to give the room up", func() bool { return !rs[1].holds(room) })
	if !rs[0].holds(room) {
		t.Fatal("the older claim lost")
	}
	waitFor(t, "ned's join replayed on a", func() bool { _, re := rs[0].count("nedjoin"); return re == 1 })
	for _, n := range ns {
		waitFor(t, "all to agree", func() bool { return n.r.ownerOf(room) == "a" })
	}
}

// TestYieldTwiceReplaysOnce: one lost claim can be yielded twice (the
// claim that served a stanza saw the older claim, and so did the peer
// messages); the joins are replayed once.
func TestYieldTwiceReplaysOnce(t *testing.T) {
	ns, _ := threeWithRooms(t)
	const room = "twice@" + roomDomain
	b := ns[1].r
	s := newSession("ora@example.com/r")
	b.Bind(s)
	join := presenceTo(s.j.String(), room+"/ora", "")
	b.trackJoin(join, jid.MustParse(room+"/ora"), room)
	b.claim(room)
	b.yield(room)
	b.yield(room)
	// The key's tasks run in order on one worker: the first barrier runs
	// after both yields, the second after the replays they queued.
	for range 2 {
		done := make(chan struct{})
		b.submit(room, func() { close(done) })
		<-done
	}
	if n := b.stats.replays.Load(); n != 1 {
		t.Fatalf("%d replays of one join, want 1", n)
	}
}

func TestCallRunsOnTheHolder(t *testing.T) {
	srv := natsServer(t)
	reg := func(n *testNode) {
		name := n.r.NodeName()
		n.r.HandleCall("whoami", func(_ context.Context, key string, args []string) (string, error) {
			if len(args) == 1 && args[0] == "fail" {
				return "", errors.New("refused on " + name)
			}
			return name + ":" + key, nil
		})
	}
	a := startNode(t, srv, "a", reg)
	b := startNode(t, srv, "b", reg)
	waitFor(t, "peers", func() bool { return len(a.r.Peers()) == 1 && len(b.r.Peers()) == 1 })
	for i := range 20 {
		key := "k" + strconv.Itoa(i) + "@" + roomDomain
		want := a.r.ownerOf(key)
		out, err := a.r.Call(t.Context(), key, "whoami")
		if err != nil || out != want+":"+key {
			t.Fatalf("Call(%s) = %q, %v; want it run on %s", key, out, err, want)
		}
	}
	_, err := b.r.Call(t.Context(), "k0@"+roomDomain, "whoami", "fail")
	if !errors.Is(err, ErrCall) || !strings.Contains(err.Error(), "refused on") {
		t.Fatalf("an operation's error: %v", err)
	}
	if _, err := a.r.Call(t.Context(), "k0@"+roomDomain, "nosuch"); !errors.Is(err, ErrCall) {
		t.Fatalf("an unknown operation: %v", err)
	}
}

func TestAtSessionFollowsTheUser(t *testing.T) {
	srv := natsServer(t)
	const guests = "guest.example.com"
	svcs := map[string]*rooms{}
	comps := map[string]router.Component{}
	reg := func(n *testNode) {
		f := newRooms(n.r.NodeName())
		svcs[n.r.NodeName()] = f
		comps[n.r.NodeName()] = n.r.AtSession(guests, f)
	}
	a := startNode(t, srv, "a", reg)
	b := startNode(t, srv, "b", reg)
	waitFor(t, "peers", func() bool { return len(a.r.Peers()) == 1 && len(b.r.Peers()) == 1 })
	a.r.Bind(newSession("g1@" + guests + "/web"))
	waitFor(t, "b to see the guest", func() bool { return b.sees("g1@"+guests+"/web", false) })
	// An agent on b answers the guest: the guest's node's service gets it.
	m := chat("agent@example.com/x", "g1@"+guests, "r1", "hello")
	comps["b"].Receive(t.Context(), m)
	waitFor(t, "a's service to get the answer", func() bool { got, _ := svcs["a"].count("r1"); return got == 1 })
	// A guest with no session: the local service answers.
	comps["b"].Receive(t.Context(), chat("agent@example.com/x", "gone@"+guests, "r2", "hello?"))
	if got, _ := svcs["b"].count("r2"); got != 1 {
		t.Fatal("a stanza for a guest without a session left the node")
	}
	if got, _ := svcs["b"].count("r1"); got != 0 {
		t.Fatal("b handled a stanza for a's guest")
	}
}
