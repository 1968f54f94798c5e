package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/parley-im/parley/store"
)

// sameItem compares items, treating nil and empty Groups alike.
func sameItem(a, b store.RosterItem) bool {
	return a.Contact == b.Contact && a.Name == b.Name && a.Subscription == b.Subscription &&
		a.AskOut == b.AskOut && a.PendingIn == b.PendingIn && a.Approved == b.Approved &&
		slices.Equal(a.Groups, b.Groups)
}

func testRosterRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	items, ver, err := s.Roster(ctx, alice)
	if err != nil || len(items) != 0 || ver != 0 {
		t.Fatalf("empty roster: %v version %d %v", items, ver, err)
	}
	full := store.RosterItem{Contact: bob, Name: "Bob ☺", Subscription: store.SubTo, AskOut: true,
		PendingIn: true, Approved: true, Groups: []string{"Friends", "Équipe", `quote " and \`}}
	bare := store.RosterItem{Contact: carol, Subscription: store.SubNone}
	for _, it := range []store.RosterItem{full, bare} {
		if _, err := s.PutRosterItem(ctx, alice, it); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []store.RosterItem{full, bare} {
		got, err := s.RosterItem(ctx, alice, want.Contact)
		if err != nil || !sameItem(got, want) {
			t.Fatalf("RosterItem = %+v, %v; want %+v", got, err, want)
		}
	}
	_, err = s.RosterItem(ctx, alice, "nobody@example.com")
	wantErr(t, "RosterItem of a missing contact", err, store.ErrNotFound)
	_, err = s.RosterItem(ctx, bob, carol)
	wantErr(t, "RosterItem from another owner's roster", err, store.ErrNotFound)

	// Replacing overwrites every field, flags and groups included.
	repl := store.RosterItem{Contact: bob, Name: "", Subscription: store.SubBoth}
	if _, err := s.PutRosterItem(ctx, alice, repl); err != nil {
		t.Fatal(err)
	}
	items, _, err = s.Roster(ctx, alice)
	must(t, err)
	if len(items) != 2 {
		t.Fatalf("roster has %d items: %+v", len(items), items)
	}
	for _, it := range items {
		want := bare
		if it.Contact == bob {
			want = repl
		}
		if !sameItem(it, want) {
			t.Fatalf("roster item %+v, want %+v", it, want)
		}
	}
	if other, _, _ := s.Roster(ctx, bob); len(other) != 0 {
		t.Fatalf("another owner's roster: %+v", other)
	}
}

func testRosterVersions(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	var vers []int64
	step := func(v int64, err error) {
		t.Helper()
		must(t, err)
		if n := len(vers); n > 0 && v <= vers[n-1] {
			t.Fatalf("version %d after %d: versions must increase on every change (%v)", v, vers[n-1], vers)
		}
		vers = append(vers, v)
		if _, cur, _ := s.Roster(ctx, alice); cur != v {
			t.Fatalf("Roster reports version %d, the last change returned %d", cur, v)
		}
	}
	it := store.RosterItem{Contact: bob, Subscription: store.SubNone}
	step(s.PutRosterItem(ctx, alice, it)) // insert
	step(s.PutRosterItem(ctx, alice, it)) // identical replace still counts
	it.Subscription = store.SubBoth
	step(s.PutRosterItem(ctx, alice, it))
	step(s.PutRosterItem(ctx, alice, store.RosterItem{Contact: carol, Subscription: store.SubNone}))
	step(s.DeleteRosterItem(ctx, alice, carol))

	_, err := s.DeleteRosterItem(ctx, alice, carol)
	wantErr(t, "DeleteRosterItem twice", err, store.ErrNotFound)
	if _, cur, _ := s.Roster(ctx, alice); cur != vers[len(vers)-1] {
		t.Fatalf("a failed delete changed the version to %d", cur)
	}
	_, err = s.RosterItem(ctx, alice, carol)
	wantErr(t, "RosterItem after delete", err, store.ErrNotFound)

	// Another owner's changes leave alice's roster alone.
	if _, err := s.PutRosterItem(ctx, bob, store.RosterItem{Contact: alice, Subscription: store.SubBoth}); err != nil {
		t.Fatal(err)
	}
	if items, _, _ := s.Roster(ctx, alice); len(items) != 1 || items[0].Contact != bob {
		t.Fatalf("alice's roster after bob's change: %+v", items)
	}

	// A roster emptied by deletes keeps its version: no items, the
	// version of the last delete.
	step(s.DeleteRosterItem(ctx, alice, bob))
	if items, cur, err := s.Roster(ctx, alice); err != nil || len(items) != 0 || cur != vers[len(vers)-1] {
		t.Fatalf("emptied roster: %+v version %d (want %d) %v", items, cur, vers[len(vers)-1], err)
	}
}

func testRosterCopies(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	it := store.RosterItem{Contact: bob, Subscription: store.SubBoth, Groups: []string{"Friends", "Work"}}
	if _, err := s.PutRosterItem(ctx, alice, it); err != nil {
		t.Fatal(err)
	}
	it.Groups[0] = "caller reused its slice"
	got, _ := s.RosterItem(ctx, alice, bob)
	if got.Groups[0] != "Friends" {
		t.Fatal("PutRosterItem kept the caller's Groups")
	}
	got.Groups[0] = "mutated"
	items, _, _ := s.Roster(ctx, alice)
	if items[0].Groups[0] != "Friends" {
		t.Fatal("RosterItem returned the store's own Groups")
	}
	items[0].Groups[1] = "mutated"
	if again, _ := s.RosterItem(ctx, alice, bob); again.Groups[1] != "Work" {
		t.Fatal("Roster returned the store's own Groups")
	}
}

// Concurrent changes to one roster each get their own version: the
// increment is atomic with the change.
func testRosterConcurrentPuts(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	const writers, each = 4, 25
	vers := make(chan int64, writers*each)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				v, err := s.PutRosterItem(ctx, alice, store.RosterItem{Contact: fmt.Sprintf("c%d-%d@example.com", w, i), Subscription: store.SubNone})
				if err != nil {
					t.Error(err)
					return
				}
				vers <- v
			}
		}()
	}
	wg.Wait()
	close(vers)
	seen := map[int64]bool{}
	var highest int64
	for v := range vers {
		if seen[v] {
			t.Fatalf("version %d returned twice", v)
		}
		seen[v] = true
		highest = max(highest, v)
	}
	items, ver, err := s.Roster(ctx, alice)
	must(t, err)
	if len(items) != writers*each || ver != highest || len(seen) != writers*each {
		t.Fatalf("%d items, version %d, highest returned %d, %d versions returned", len(items), ver, highest, len(seen))
	}
}
