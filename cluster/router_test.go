package cluster

import (
	"strconv"
	"testing"

	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/stream"
)

func TestSessionsReplicateAndStanzasCross(t *testing.T) {
	srv := natsServer(t)
	a := startNode(t, srv, "a")
	b := startNode(t, srv, "b")
	waitFor(t, "the nodes to see each other", func() bool { return len(a.r.Peers()) == 1 && len(b.r.Peers()) == 1 })

	alice := newSession("alice@example.com/phone")
	a.r.Bind(alice)
	waitFor(t, "b to see alice bound", func() bool { return b.sees("alice@example.com/phone", false) })
	a.r.SetPresence(alice, true, 5, presence("away"))
	waitFor(t, "b to see alice available", func() bool { return b.sees("alice@example.com/phone", true) })
	res, _ := b.r.Resource(jid.MustParse("alice@example.com/phone"))
	if res.Priority != 5 || res.Presence == nil || res.Presence.Child("", "show") == nil {
		t.Fatalf("replicated presence: %+v", res)
	}
	if !IsRemote(res.Session) || !b.r.Online("alice@example.com") || b.r.Count() != 0 {
		t.Fatal("alice should be a remote, online resource on b")
	}

	// A stanza delivered to the remote resource reaches the session on a.
	res.Session.Deliver(chat("bob@example.com/x", "alice@example.com/phone", "m1", "hello"))
	got := alice.waitStanza(t, "m1")
	if got.Child("", "body").Text != "hello" {
		t.Fatalf("got %s", got)
	}

	// Carbons and interest travel too.
	a.r.SetCarbons(alice, true)
	waitFor(t, "b to see carbons on", func() bool {
		r, ok := b.r.Resource(jid.MustParse("alice@example.com/phone"))
		return ok && r.Carbons
	})

	// Resources merges local and remote.
	alice2 := newSession("alice@example.com/laptop")
	b.r.Bind(alice2)
	if n := len(b.r.Resources("alice@example.com")); n != 2 {
		t.Fatalf("b sees %d resources of alice, want 2", n)
	}

	// Unbind removes it everywhere; a stanza still on its way is handed
	// to the undeliverable hook.
	a.r.Unbind(alice)
	waitFor(t, "b to forget alice/phone", func() bool { _, ok := b.r.Resource(jid.MustParse("alice@example.com/phone")); return !ok })
	res.Session.Deliver(chat("bob@example.com/x", "alice@example.com/phone", "m2", "late"))
	waitFor(t, "the late message to be undeliverable on a", func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return len(a.undeliv) == 1 && a.undeliv[0].Attr("id") == "m2"
	})
	if a.r.stats.forwarded.Load() != 0 || b.r.stats.forwarded.Load() != 2 {
		t.Fatalf("forwarded a=%d b=%d", a.r.stats.forwarded.Load(), b.r.stats.forwarded.Load())
	}
}

func TestLateNodeFetchesSnapshot(t *testing.T) {
	srv := natsServer(t)
	var ra *rooms
	a := startNode(t, srv, "a", withRooms(&ra))
	var sessions []*session
	for i := range 300 {
		s := newSession("user" + string(rune('a'+i%26)) + "@example.com/r" + strconv.Itoa(i))
		a.r.Bind(s)
		if i%2 == 0 {
			a.r.SetPresence(s, true, i%10, presence("dnd"))
		}
		sessions = append(sessions, s)
	}
	a.rooms.Receive(t.Context(), presenceTo("x@example.com/r", "room@conference.example.com/x", ""))
	if !ra.holds("room@conference.example.com") {
		t.Fatal("a did not take the room")
	}
	var rb *rooms
	b := startNode(t, srv, "b", withRooms(&rb)) // Start waits for a's snapshot
	if got := b.r.RemoteSessions(); got != 300 {
		t.Fatalf("b knows %d of a's sessions after start, want 300", got)
	}
	if !b.sees(sessions[4].j.String(), true) || !b.sees(sessions[5].j.String(), false) {
		t.Fatal("presence not in the snapshot")
	}
	if owner := b.r.ownerOf("room@conference.example.com"); owner != "a" {
		t.Fatalf("claim not in the snapshot: owner %q", owner)
	}
	// Announcements after the snapshot continue it.
	a.r.Unbind(sessions[0])
	waitFor(t, "b to apply the unbind", func() bool { return b.r.RemoteSessions() == 299 })
}

func TestLostAnnouncementResyncs(t *testing.T) {
	srv := natsServer(t)
	a := startNode(t, srv, "a")
	b := startNode(t, srv, "b")
	waitFor(t, "peers", func() bool { return len(b.r.Peers()) == 1 })
	// Change a's table without announcing it, as if the announcement
	// were lost: b finds the gap at the next heartbeat and fetches a's
	// table again.
	s := newSession("carol@example.com/r")
	a.r.pubMu.Lock()
	a.r.Table.Bind(s)
	a.r.seq++
	a.r.pubMu.Unlock()
	waitFor(t, "b to resync and see carol", func() bool { return b.sees("carol@example.com/r", false) })
	if b.r.stats.snapshotsFetched.Load() < 2 {
		t.Fatalf("snapshots fetched %d", b.r.stats.snapshotsFetched.Load())
	}
}

func TestConflictAcrossNodesNewestWins(t *testing.T) {
	srv := natsServer(t)
	a := startNode(t, srv, "a")
	b := startNode(t, srv, "b")
	waitFor(t, "peers", func() bool { return len(a.r.Peers()) == 1 && len(b.r.Peers()) == 1 })
	old := newSession("dave@example.com/desk")
	a.r.Bind(old)
	waitFor(t, "b to see dave", func() bool { return b.sees("dave@example.com/desk", false) })
	fresh := newSession("dave@example.com/desk")
	replaced := b.r.Bind(fresh)
	if replaced == nil || !IsRemote(replaced) {
		t.Fatalf("the bind on b must report a's session replaced, got %v", replaced)
	}
	replaced.Close(stream.Errorf(stream.Conflict, "replaced"))
	waitFor(t, "a's session to be closed with conflict", func() bool {
		e := old.closedWith()
		return e != nil && e.Condition == stream.Conflict
	})
	if fresh.closedWith() != nil {
		t.Fatal("the newer session was closed")
	}
}

func TestConcurrentBindsCloseTheOlder(t *testing.T) {
	srv := natsServer(t)
	a := startNode(t, srv, "a")
	b := startNode(t, srv, "b")
	waitFor(t, "peers", func() bool { return len(a.r.Peers()) == 1 && len(b.r.Peers()) == 1 })
	// Both bind before hearing of the other: the later bind wins on
	// both nodes, without either closing the other by return value.
	first, second := newSession("erin@example.com/r"), newSession("erin@example.com/r")
	a.r.Table.Bind(first) // bound, not yet announced
	a.r.bmu.Lock()
	a.r.bound[first.j] = a.r.now().Add(-1e9)
	a.r.bmu.Unlock()
	b.r.Bind(second)
	waitFor(t, "a to close the older session", func() bool { return first.closedWith() != nil })
	if second.closedWith() != nil {
		t.Fatal("the newer session was closed")
	}
}

func TestDeadPeerSessionsVanish(t *testing.T) {
	srv := natsServer(t)
	a := startNode(t, srv, "a")
	b := startNode(t, srv, "b")
	waitFor(t, "peers", func() bool { return len(b.r.Peers()) == 1 })
	s := newSession("frank@example.com/r")
	a.r.Bind(s)
	a.r.SetPresence(s, true, 0, presence(""))
	waitFor(t, "b to see frank", func() bool { return b.sees("frank@example.com/r", true) })
	a.kill()
	waitFor(t, "b to drop a's sessions", func() bool {
		_, ok := b.r.Resource(jid.MustParse("frank@example.com/r"))
		return !ok && len(b.r.Peers()) == 0
	})
	waitFor(t, "the lost hook", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.lost) == 1 && b.lost[0].Session.JID().String() == "frank@example.com/r" && b.lost[0].Available
	})
	if b.r.stats.peersLost.Load() != 1 {
		t.Fatal("peer loss not counted")
	}
}

func TestLeavingPeerIsForgottenAtOnce(t *testing.T) {
	srv := natsServer(t)
	a := startNode(t, srv, "a")
	b := startNode(t, srv, "b")
	waitFor(t, "peers", func() bool { return len(b.r.Peers()) == 1 })
	a.r.Bind(newSession("gina@example.com/r"))
	waitFor(t, "b to see gina", func() bool { return b.sees("gina@example.com/r", false) })
	a.stop()
	waitFor(t, "b to forget a", func() bool { return len(b.r.Peers()) == 0 && b.r.RemoteSessions() == 0 })
	if b.r.stats.peersLost.Load() != 0 {
		t.Fatal("a clean leave counted as a loss")
	}
}

func TestOfflineNoticeGoesToTheBestResource(t *testing.T) {
	srv := natsServer(t)
	a := startNode(t, srv, "a")
	b := startNode(t, srv, "b")
	waitFor(t, "peers", func() bool { return len(a.r.Peers()) == 1 && len(b.r.Peers()) == 1 })
	low, high := newSession("hank@example.com/low"), newSession("hank@example.com/high")
	a.r.Bind(low)
	a.r.SetPresence(low, true, 1, presence(""))
	b.r.Bind(high)
	b.r.SetPresence(high, true, 9, presence(""))
	waitFor(t, "both resources seen", func() bool { return a.sees("hank@example.com/high", true) && b.sees("hank@example.com/low", true) })
	a.r.OfflineStored("hank@example.com")
	waitFor(t, "b to deliver offline messages to hank/high", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.offline) == 1 && b.offline[0].String() == "hank@example.com/high"
	})
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.offline) != 0 {
		t.Fatal("a delivered too")
	}
}

func TestRemotePresenceTellsWatchers(t *testing.T) {
	srv := natsServer(t)
	a := startNode(t, srv, "a")
	b := startNode(t, srv, "b")
	waitFor(t, "peers", func() bool { return len(b.r.Peers()) == 1 })
	s := newSession("ivy@example.com/r")
	a.r.Bind(s)
	a.r.SetPresence(s, true, 0, presence(""))
	waitFor(t, "b's watcher to hear of ivy", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.presenceSeen["ivy@example.com"] > 0
	})
}
