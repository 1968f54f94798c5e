// Package storetest is the conformance suite every store.Store
// implementation must pass. It checks the contracts documented in
// package store, plus the behaviour callers rely on that store.go leaves
// implicit, so that the memory store (tests) and the sqlite store
// (production) behave alike:
//
//   - writes for an owner without an account (PutRosterItem,
//     StoreOffline, PutSubscriptionRequest, SetLastPresence) fail with
//     store.ErrNotFound and store nothing;
//   - times round-trip at least to the millisecond: a store may truncate
//     finer precision but never rounds up;
//   - offline message ids grow and are never reused, even after deletion;
//   - a replaced subscription request keeps its place in the order;
//   - DeleteUser removes only what the user owns, not their entries in
//     other users' rosters;
//   - archive ids are decimal numbers that grow with each message, in
//     all archives, and are never reused; archive times round-trip to
//     the microsecond, in UTC; an archive is in time order, then id
//     order; an archive query's AfterID or BeforeID may name a message
//     outside the selection, but not one of another archive
//     (ErrNotFound);
//   - usage (OfflineUsage, ArchiveUsage) follows every write and
//     deletion, and limits in bytes count stanza bytes.
//
// Each check runs as a subtest on a new store; some start goroutines, so
// run the suite with -race.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
)

// storeTest is one conformance test; each area lists its own (rooms.go, ...).
type storeTest struct {
	name string
	fn   func(*testing.T, store.Store)
}

// Run runs the suite. newStore must return a new, empty store each time
// it is called, and may be called from parallel subtests; the suite
// closes the store at the end of the subtest.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []storeTest{
		{"UserRoundTrip", testUserRoundTrip},
		{"UserCopies", testUserCopies},
		{"SetCredentials", testSetCredentials},
		{"DeleteUser", testDeleteUser},
		{"ListUsers", testListUsers},
		{"RosterRoundTrip", testRosterRoundTrip},
		{"RosterVersions", testRosterVersions},
		{"RosterCopies", testRosterCopies},
		{"RosterConcurrentPuts", testRosterConcurrentPuts},
		{"Offline", testOffline},
		{"OfflineDelete", testOfflineDelete},
		{"OfflineQuota", testOfflineQuota},
		{"OfflineQuotaConcurrent", testOfflineQuotaConcurrent},
		{"OfflineQuotaBytes", testOfflineQuotaBytes},
		{"OfflinePage", testOfflinePage},
		{"SubscriptionRequests", testSubscriptionRequests},
		{"LastPresence", testLastPresence},
		{"LastPresences", testLastPresences},
		{"UnknownOwner", testUnknownOwner},
		{"DeleteUserCascade", testDeleteUserCascade},
		{"VCards", testVCards},
		{"ImportAccounts", testImportAccounts},
		{"ArchiveAppend", testArchiveAppend},
		{"ArchiveAppendConcurrent", testArchiveAppendConcurrent},
		{"ArchiveSelection", testArchiveSelection},
		{"ArchivePaging", testArchivePaging},
		{"ArchivePagingFiltered", testArchivePagingFiltered},
		{"ArchiveRange", testArchiveRange},
		{"ArchiveBatch", testArchiveBatch},
		{"ArchiveUnknownIDs", testArchiveUnknownIDs},
		{"ArchivePrefs", testArchivePrefs},
		{"ArchivePrune", testArchivePrune},
		{"ArchiveDeleteUser", testArchiveDeleteUser},
		{"ArchiveTimeOrder", testArchiveTimeOrder},
		{"ArchiveMaxBytes", testArchiveMaxBytes},
		{"ArchiveUsage", testArchiveUsage},
	}
	tests = append(tests, roomTests...)
	tests = append(tests, siteTests...)
	tests = append(tests, tokenTests...)
	tests = append(tests, sharingTests...)
	tests = append(tests, netPresenceTests...)
	tests = append(tests, pushTests...)
	tests = append(tests, liveHelpTests...)
	tests = append(tests, calendarTests...)
	tests = append(tests, conferenceTests...)
	tests = append(tests, nodeTests...)
	tests = append(tests, personalTests...)
	tests = append(tests, webSessionTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

const (
	alice = "alice@example.com"
	bob   = "bob@example.com"
	carol = "carol@example.com"
)

func cred(seed byte) store.SCRAMCredential {
	return store.SCRAMCredential{Salt: []byte{seed, 1, 2, 3}, Iterations: 4096 + int(seed),
		StoredKey: bytes.Repeat([]byte{seed}, 32), ServerKey: bytes.Repeat([]byte{seed + 1}, 32)}
}

func sameCred(a, b store.SCRAMCredential) bool {
	return bytes.Equal(a.Salt, b.Salt) && a.Iterations == b.Iterations &&
		bytes.Equal(a.StoredKey, b.StoredKey) && bytes.Equal(a.ServerKey, b.ServerKey)
}

func mustUser(t *testing.T, s store.Store, jid string) {
	t.Helper()
	u := store.User{JID: jid, SHA1: cred(1), SHA256: cred(2), CreatedAt: time.Now()}
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("CreateUser(%s): %v", jid, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr fails unless err is target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// msOf reports whether got is want to the millisecond: not after want
// and not before want truncated to the millisecond.
func msOf(got, want time.Time) bool {
	return !got.After(want) && !got.Before(want.Truncate(time.Millisecond))
}

func testUserRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	created := time.Date(2026, 11, 22, 10, 0, 0, 123_000_000, time.FixedZone("CET", 3600))
	u := store.User{JID: alice, SHA1: cred(1), SHA256: cred(7), CreatedAt: created}
	must(t, s.CreateUser(ctx, u))
	got, err := s.User(ctx, alice)
	must(t, err)
	if got.JID != alice || !sameCred(got.SHA1, u.SHA1) || !sameCred(got.SHA256, u.SHA256) || !got.CreatedAt.Equal(created) {
		t.Fatalf("User = %+v, want %+v", got, u)
	}

	dup := store.User{JID: alice, SHA1: cred(9), SHA256: cred(9)}
	wantErr(t, "CreateUser of an existing JID", s.CreateUser(ctx, dup), store.ErrExists)
	if got, _ := s.User(ctx, alice); !sameCred(got.SHA256, u.SHA256) {
		t.Fatal("a failed CreateUser changed the existing account")
	}
	_, err = s.User(ctx, bob)
	wantErr(t, "User of a missing JID", err, store.ErrNotFound)

	// A bare account: empty credentials and a zero time round-trip.
	must(t, s.CreateUser(ctx, store.User{JID: bob}))
	got, err = s.User(ctx, bob)
	must(t, err)
	if !sameCred(got.SHA1, store.SCRAMCredential{}) || !sameCred(got.SHA256, store.SCRAMCredential{}) || !got.CreatedAt.IsZero() {
		t.Fatalf("bare account = %+v", got)
	}

	// Finer than a millisecond: kept at least to the millisecond.
	fine := time.Date(2026, 1, 2, 3, 4, 5, 678_912_345, time.UTC)
	must(t, s.CreateUser(ctx, store.User{JID: carol, CreatedAt: fine}))
	if got, _ := s.User(ctx, carol); !msOf(got.CreatedAt, fine) {
		t.Fatalf("CreatedAt %v stored as %v", fine, got.CreatedAt)
	}
}

func testUserCopies(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := store.User{JID: alice, SHA1: cred(1), SHA256: cred(2)}
	must(t, s.CreateUser(ctx, u))
	u.SHA256.StoredKey[0] ^= 0xff // the caller reuses its buffers
	u.SHA1.Salt[0] ^= 0xff
	got, _ := s.User(ctx, alice)
	if !sameCred(got.SHA256, cred(2)) || !sameCred(got.SHA1, cred(1)) {
		t.Fatal("CreateUser kept the caller's slices")
	}
	got.SHA256.ServerKey[0] ^= 0xff
	if again, _ := s.User(ctx, alice); !sameCred(again.SHA256, cred(2)) {
		t.Fatal("User returned the store's own slices")
	}
	c1, c256 := cred(3), cred(4)
	must(t, s.SetCredentials(ctx, alice, c1, c256))
	c256.StoredKey[0] ^= 0xff
	if again, _ := s.User(ctx, alice); !sameCred(again.SHA256, cred(4)) {
		t.Fatal("SetCredentials kept the caller's slices")
	}
}

func testSetCredentials(t *testing.T, s store.Store) {
	ctx := context.Background()
	created := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	must(t, s.CreateUser(ctx, store.User{JID: alice, SHA1: cred(1), SHA256: cred(2), CreatedAt: created}))
	mustUser(t, s, bob)
	must(t, s.SetCredentials(ctx, alice, cred(5), cred(6)))
	got, _ := s.User(ctx, alice)
	if !sameCred(got.SHA1, cred(5)) || !sameCred(got.SHA256, cred(6)) || !got.CreatedAt.Equal(created) {
		t.Fatalf("after SetCredentials: %+v", got)
	}
	if other, _ := s.User(ctx, bob); !sameCred(other.SHA256, cred(2)) {
		t.Fatal("SetCredentials changed another account")
	}
	wantErr(t, "SetCredentials of a missing JID", s.SetCredentials(ctx, carol, cred(5), cred(6)), store.ErrNotFound)
	if _, err := s.User(ctx, carol); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SetCredentials of a missing JID created it: %v", err)
	}
}

func testDeleteUser(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	must(t, s.DeleteUser(ctx, bob))
	_, err := s.User(ctx, bob)
	wantErr(t, "User after DeleteUser", err, store.ErrNotFound)
	wantErr(t, "DeleteUser twice", s.DeleteUser(ctx, bob), store.ErrNotFound)
	wantErr(t, "DeleteUser of a missing JID", s.DeleteUser(ctx, carol), store.ErrNotFound)
	if _, err := s.User(ctx, alice); err != nil {
		t.Fatalf("DeleteUser removed another account: %v", err)
	}
	mustUser(t, s, bob) // the JID is free again
}

func testListUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	if all, err := s.ListUsers(ctx, ""); err != nil || len(all) != 0 {
		t.Fatalf("ListUsers of an empty store: %v %v", all, err)
	}
	for _, j := range []string{"zed@example.com", bob, alice, "x@ex_ample.com", "y@exxample.com",
		"p@ex%ample.com", "q@sub.example.com", "r@badexample.com", "s@Example.com", "example.com"} {
		mustUser(t, s, j)
	}
	cases := []struct {
		domain string
		want   []string
	}{
		{"", []string{alice, bob, "example.com", "p@ex%ample.com", "q@sub.example.com", "r@badexample.com",
			"s@Example.com", "x@ex_ample.com", "y@exxample.com", "zed@example.com"}},
		{"example.com", []string{alice, bob, "zed@example.com"}},
		{"ex_ample.com", []string{"x@ex_ample.com"}}, // '_' is no wildcard
		{"ex%ample.com", []string{"p@ex%ample.com"}}, // nor is '%'
		{"sub.example.com", []string{"q@sub.example.com"}},
		{"Example.com", []string{"s@Example.com"}}, // exact: JIDs come normalized
		{"nowhere.example", nil},
	}
	for _, c := range cases {
		got, err := s.ListUsers(ctx, c.domain)
		must(t, err)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("ListUsers(%q) = %q, want %q", c.domain, got, c.want)
		}
	}
}
