package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
)

// netPresenceTests are the conformance tests of store.NetworkPresence.
var netPresenceTests = []storeTest{
	{"NetworkPresence", testNetworkPresence},
	{"NetworkPresenceDeleteUser", testNetworkPresenceDeleteUser},
}

func testNetworkPresence(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	if _, err := s.NetworkPresence(ctx, alice); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("NetworkPresence before any: %v, want ErrNotFound", err)
	}
	if l, err := s.NetworkPresences(ctx); err != nil || len(l) != 0 {
		t.Fatalf("NetworkPresences of a new store: %v %v", l, err)
	}
	before := time.Now().Add(-time.Second)
	must(t, s.SetNetworkPresence(ctx, bob, "bob@partner.example"))
	must(t, s.SetNetworkPresence(ctx, alice, "alice@elsewhere.example"))
	must(t, s.SetNetworkPresence(ctx, alice, "alice@partner.example")) // replaces
	l, err := s.NetworkPresence(ctx, alice)
	if err != nil || l.Owner != alice || l.Remote != "alice@partner.example" || l.Since.Before(before) || l.Since.After(time.Now().Add(time.Second)) || l.Since.Location() != time.UTC {
		t.Fatalf("NetworkPresence(alice) = %+v, %v", l, err)
	}
	all, err := s.NetworkPresences(ctx)
	if err != nil || len(all) != 2 || all[0].Owner != alice || all[1].Owner != bob || all[1].Remote != "bob@partner.example" {
		t.Fatalf("NetworkPresences = %+v, %v", all, err)
	}
	for range 2 { // idempotent
		must(t, s.ClearNetworkPresence(ctx, alice))
	}
	if _, err := s.NetworkPresence(ctx, alice); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after clearing: %v", err)
	}
	if all, _ := s.NetworkPresences(ctx); len(all) != 1 || all[0].Owner != bob {
		t.Fatalf("after clearing alice: %+v", all)
	}
	if err := s.SetNetworkPresence(ctx, "nobody@example.com", "x@partner.example"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("set for an unknown user: %v", err)
	}
	if err := s.ClearNetworkPresence(ctx, "nobody@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("clear for an unknown user: %v", err)
	}
}

func testNetworkPresenceDeleteUser(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	must(t, s.SetNetworkPresence(ctx, alice, "alice@partner.example"))
	must(t, s.DeleteUser(ctx, alice))
	mustUser(t, s, alice)
	if _, err := s.NetworkPresence(ctx, alice); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a new account inherited the deleted one's network presence: %v", err)
	}
	must(t, s.SetNetworkPresence(ctx, alice, "alice@partner.example"))
	if _, err := s.ImportAccounts(ctx, []store.Account{{User: store.User{JID: alice, SHA1: cred(1), SHA256: cred(2), CreatedAt: time.Now()}}}, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.NetworkPresence(ctx, alice); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an imported replacement inherited the old account's network presence: %v", err)
	}
}
