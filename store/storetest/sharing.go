package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
)

// sharingTests are the conformance tests of store.PresenceSharing.
var sharingTests = []storeTest{
	{"PresenceSharing", testPresenceSharing},
	{"PresenceSharingDeleteUser", testPresenceSharingDeleteUser},
}

func shared(t *testing.T, s store.Store, owner string) bool {
	t.Helper()
	on, err := s.PresenceShared(context.Background(), owner)
	if err != nil {
		t.Fatalf("PresenceShared(%s): %v", owner, err)
	}
	return on
}

func testPresenceSharing(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	if shared(t, s, alice) || shared(t, s, "nobody@example.com") {
		t.Fatal("private by default")
	}
	for range 2 { // idempotent
		must(t, s.SetPresenceSharing(ctx, alice, true))
	}
	if !shared(t, s, alice) || shared(t, s, bob) {
		t.Fatalf("after alice opted in: alice %v bob %v", shared(t, s, alice), shared(t, s, bob))
	}
	for range 2 {
		must(t, s.SetPresenceSharing(ctx, alice, false))
	}
	if shared(t, s, alice) {
		t.Fatal("alice opted out but still shares")
	}
	for _, on := range []bool{true, false} {
		if err := s.SetPresenceSharing(ctx, "nobody@example.com", on); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("SetPresenceSharing(unknown, %v) = %v, want ErrNotFound", on, err)
		}
	}
	if shared(t, s, "nobody@example.com") {
		t.Fatal("an unknown user shares after a failed opt-in")
	}
}

func testPresenceSharingDeleteUser(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	must(t, s.SetPresenceSharing(ctx, alice, true))
	must(t, s.DeleteUser(ctx, alice))
	if shared(t, s, alice) {
		t.Fatal("a deleted user still shares")
	}
	mustUser(t, s, alice)
	if shared(t, s, alice) {
		t.Fatal("a new account inherited the deleted one's choice")
	}
	// A replacing import starts the account afresh too.
	must(t, s.SetPresenceSharing(ctx, alice, true))
	if _, err := s.ImportAccounts(ctx, []store.Account{{User: store.User{JID: alice, SHA1: cred(1), SHA256: cred(2), CreatedAt: time.Now()}}}, true); err != nil {
		t.Fatal(err)
	}
	if shared(t, s, alice) {
		t.Fatal("an imported replacement inherited the old account's choice")
	}
}
