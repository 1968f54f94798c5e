package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
)

// webSessionTests are the conformance tests of store.WebSessions.
var webSessionTests = []storeTest{
	{"WebSessions", testWebSessions},
	{"WebSessionsDeleteUser", testWebSessionsDeleteUser},
	{"WebSessionsPrune", testWebSessionsPrune},
}

func webSession(id, owner string, created time.Time) store.WebSession {
	return store.WebSession{ID: id, Owner: owner, Created: created, LastSeen: created, Expires: created.Add(time.Hour),
		Addr: "192.0.2.1", Agent: "Mozilla/5.0 (test)"}
}

func testWebSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	a1, a2 := webSession("a1", alice, t0), webSession("a2", alice, t0.Add(time.Minute))
	must(t, s.PutWebSession(ctx, a1))
	must(t, s.PutWebSession(ctx, a2))
	must(t, s.PutWebSession(ctx, webSession("b1", bob, t0)))
	wantErr(t, "PutWebSession (same ID)", s.PutWebSession(ctx, webSession("a1", bob, t0)), store.ErrExists)
	wantErr(t, "PutWebSession (no account)", s.PutWebSession(ctx, webSession("n1", "nobody@example.com", t0)), store.ErrNotFound)

	got, err := s.WebSession(ctx, "a1")
	must(t, err)
	if got != a1 {
		t.Fatalf("WebSession(a1) = %+v, want %+v", got, a1)
	}
	_, err = s.WebSession(ctx, "n1")
	wantErr(t, "WebSession (unknown)", err, store.ErrNotFound)

	seen := t0.Add(30 * time.Minute)
	must(t, s.TouchWebSession(ctx, "a1", seen))
	if got, _ := s.WebSession(ctx, "a1"); !got.LastSeen.Equal(seen) || !got.Created.Equal(t0) {
		t.Fatalf("after touch: %+v", got)
	}
	wantErr(t, "TouchWebSession (unknown)", s.TouchWebSession(ctx, "n1", seen), store.ErrNotFound)

	list, err := s.WebSessions(ctx, alice)
	must(t, err)
	if len(list) != 2 || list[0].ID != "a2" || list[1].ID != "a1" {
		t.Fatalf("WebSessions(alice) = %+v, want a2 then a1", list)
	}
	wantErr(t, "DeleteWebSession (another's)", s.DeleteWebSession(ctx, bob, "a1"), store.ErrNotFound)
	must(t, s.DeleteWebSession(ctx, alice, "a1"))
	wantErr(t, "DeleteWebSession (twice)", s.DeleteWebSession(ctx, alice, "a1"), store.ErrNotFound)
	_, err = s.WebSession(ctx, "a1")
	wantErr(t, "WebSession (deleted)", err, store.ErrNotFound)

	must(t, s.PutWebSession(ctx, webSession("a3", alice, t0)))
	n, err := s.DeleteWebSessions(ctx, alice)
	must(t, err)
	if n != 2 {
		t.Fatalf("DeleteWebSessions(alice) = %d, want 2", n)
	}
	if list, _ := s.WebSessions(ctx, alice); len(list) != 0 {
		t.Fatalf("alice still has %+v", list)
	}
	if _, err := s.WebSession(ctx, "b1"); err != nil {
		t.Fatalf("bob's session went with alice's: %v", err)
	}
}

func testWebSessionsDeleteUser(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	must(t, s.PutWebSession(ctx, webSession("a1", alice, time.Now())))
	must(t, s.DeleteUser(ctx, alice))
	_, err := s.WebSession(ctx, "a1")
	wantErr(t, "WebSession of a deleted account", err, store.ErrNotFound)
	mustUser(t, s, alice)
	if list, _ := s.WebSessions(ctx, alice); len(list) != 0 {
		t.Fatalf("a new account inherited %+v", list)
	}
	must(t, s.PutWebSession(ctx, webSession("a2", alice, time.Now())))
	if _, err := s.ImportAccounts(ctx, []store.Account{{User: store.User{JID: alice, SHA1: cred(1), SHA256: cred(2), CreatedAt: time.Now()}}}, true); err != nil {
		t.Fatal(err)
	}
	_, err = s.WebSession(ctx, "a2")
	wantErr(t, "WebSession of a replaced account", err, store.ErrNotFound)
}

func testWebSessionsPrune(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	now := time.Now().UTC()
	old := webSession("old", alice, now.Add(-2*time.Hour)) // expired an hour ago
	fresh := webSession("fresh", alice, now)
	must(t, s.PutWebSession(ctx, old))
	must(t, s.PutWebSession(ctx, fresh))
	n, err := s.PruneWebSessions(ctx, now)
	must(t, err)
	if n != 1 {
		t.Fatalf("PruneWebSessions = %d, want 1", n)
	}
	if _, err := s.WebSession(ctx, "old"); err == nil {
		t.Fatal("the expired session survived")
	}
	if _, err := s.WebSession(ctx, "fresh"); err != nil {
		t.Fatalf("the live session went: %v", err)
	}
}
