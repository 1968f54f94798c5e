// Package storetest is the conformance suite every store.Store
// implementation must pass: it checks the contracts documented in
// package store, so memory (tests) and sqlite (production) behave alike.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
)

// Run runs the suite; newStore returns an empty store for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	for name, fn := range map[string]func(*testing.T, store.Store){
		"Users":         testUsers,
		"Rosters":       testRosters,
		"Offline":       testOffline,
		"OfflineQuota":  testOfflineQuotaConcurrent,
		"Presence":      testPresence,
		"DeleteCascade": testDeleteCascade,
	} {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() { s.Close() })
			fn(t, s)
		})
	}
}

func cred(seed byte) store.SCRAMCredential {
	return store.SCRAMCredential{Salt: []byte{seed, 1, 2}, Iterations: 4096,
		StoredKey: bytes.Repeat([]byte{seed}, 32), ServerKey: bytes.Repeat([]byte{seed + 1}, 32)}
}

func mustUser(t *testing.T, s store.Store, jid string) {
	t.Helper()
	if err := s.CreateUser(context.Background(), store.User{JID: jid, SHA1: cred(1), SHA256: cred(2), CreatedAt: time.Now()}); err != nil {
		t.Fatalf("create %s: %v", jid, err)
	}
}

func testUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	created := time.Date(2026, 11, 22, 10, 0, 0, 123_000_000, time.UTC)
	u := store.User{JID: "alice@example.com", SHA1: cred(1), SHA256: cred(7), CreatedAt: created}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, u); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate: %v", err)
	}
	got, err := s.User(ctx, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.SHA256.StoredKey, u.SHA256.StoredKey) || !bytes.Equal(got.SHA1.Salt, u.SHA1.Salt) ||
		got.SHA256.Iterations != 4096 || !got.CreatedAt.Equal(created) {
		t.Fatalf("round trip: %+v", got)
	}
	got.SHA256.StoredKey[0] ^= 0xff
	if again, _ := s.User(ctx, "alice@example.com"); again.SHA256.StoredKey[0] != u.SHA256.StoredKey[0] {
		t.Fatal("User returned shared memory")
	}
	if _, err := s.User(ctx, "nobody@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing user: %v", err)
	}
	if err := s.SetCredentials(ctx, "alice@example.com", cred(3), cred(4)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.User(ctx, "alice@example.com"); !bytes.Equal(got.SHA256.StoredKey, cred(4).StoredKey) {
		t.Fatal("credentials not replaced")
	}
	if err := s.SetCredentials(ctx, "nobody@example.com", cred(3), cred(4)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("set credentials of missing user: %v", err)
	}
	for _, j := range []string{"zed@example.com", "bob@example.com", "x@ex_ample.com", "y@exXample.com"} {
		mustUser(t, s, j)
	}
	all, _ := s.ListUsers(ctx, "")
	if want := []string{"alice@example.com", "bob@example.com", "x@ex_ample.com", "y@exXample.com", "zed@example.com"}; !slices.Equal(all, want) {
		t.Fatalf("list all: %v", all)
	}
	dom, _ := s.ListUsers(ctx, "ex_ample.com")
	if !slices.Equal(dom, []string{"x@ex_ample.com"}) {
		t.Fatalf("'_' must not be a wildcard: %v", dom)
	}
	if err := s.DeleteUser(ctx, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, "bob@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

func testRosters(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, "alice@example.com")
	items, ver, err := s.Roster(ctx, "alice@example.com")
	if err != nil || len(items) != 0 || ver != 0 {
		t.Fatalf("empty roster: %v %d %v", items, ver, err)
	}
	it := store.RosterItem{Contact: "bob@example.com", Name: "Bob", Subscription: store.SubTo, AskOut: true,
		PendingIn: true, Approved: true, Groups: []string{"Friends", "Équipe ☺"}}
	v1, err := s.PutRosterItem(ctx, "alice@example.com", it)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.RosterItem(ctx, "alice@example.com", "bob@example.com")
	if err != nil || fmt.Sprint(got) != fmt.Sprint(it) {
		t.Fatalf("item round trip: %+v %v", got, err)
	}
	got.Groups[0] = "mutated"
	if again, _ := s.RosterItem(ctx, "alice@example.com", "bob@example.com"); again.Groups[0] != "Friends" {
		t.Fatal("RosterItem returned shared memory")
	}
	it.Groups = nil
	it.Subscription = store.SubBoth
	v2, _ := s.PutRosterItem(ctx, "alice@example.com", it)
	v3, _ := s.PutRosterItem(ctx, "alice@example.com", store.RosterItem{Contact: "carol@example.com", Subscription: store.SubNone})
	if !(v1 < v2 && v2 < v3) {
		t.Fatalf("versions not increasing: %d %d %d", v1, v2, v3)
	}
	items, ver, _ = s.Roster(ctx, "alice@example.com")
	if len(items) != 2 || ver != v3 || items[0].Contact != "bob@example.com" || len(items[0].Groups) != 0 || items[0].Subscription != store.SubBoth {
		t.Fatalf("roster: %+v ver %d", items, ver)
	}
	v4, err := s.DeleteRosterItem(ctx, "alice@example.com", "carol@example.com")
	if err != nil || v4 <= v3 {
		t.Fatalf("delete: %d %v", v4, err)
	}
	if _, err := s.DeleteRosterItem(ctx, "alice@example.com", "carol@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if _, err := s.RosterItem(ctx, "alice@example.com", "carol@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted item: %v", err)
	}
}

func testOffline(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, "bob@example.com")
	mustUser(t, s, "carol@example.com")
	for i := range 3 {
		if err := s.StoreOffline(ctx, "bob@example.com", []byte(fmt.Sprintf("<message id='%d'/>", i)), 0); err != nil {
			t.Fatal(err)
		}
	}
	s.StoreOffline(ctx, "carol@example.com", []byte("<message id='c'/>"), 0)
	msgs, err := s.OfflineMessages(ctx, "bob@example.com")
	if err != nil || len(msgs) != 3 || string(msgs[0].Stanza) != "<message id='0'/>" || string(msgs[2].Stanza) != "<message id='2'/>" {
		t.Fatalf("offline: %v %v", msgs, err)
	}
	if msgs[0].Stored.IsZero() {
		t.Fatal("stored time missing")
	}
	carol, _ := s.OfflineMessages(ctx, "carol@example.com")
	// Deleting bob's first message and carol's id under bob's name
	// removes only bob's.
	if err := s.DeleteOffline(ctx, "bob@example.com", []int64{msgs[0].ID, carol[0].ID}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountOffline(ctx, "bob@example.com"); n != 2 {
		t.Fatalf("bob has %d", n)
	}
	if n, _ := s.CountOffline(ctx, "carol@example.com"); n != 1 {
		t.Fatalf("carol lost a message: %d", n)
	}
	if err := s.StoreOffline(ctx, "bob@example.com", []byte("<message/>"), 2); !errors.Is(err, store.ErrQuotaExceeded) {
		t.Fatalf("quota: %v", err)
	}
}

func testOfflineQuotaConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, "bob@example.com")
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.StoreOffline(ctx, "bob@example.com", []byte("<message/>"), 5); err != nil && !errors.Is(err, store.ErrQuotaExceeded) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n, _ := s.CountOffline(ctx, "bob@example.com"); n != 5 {
		t.Fatalf("stored %d with a quota of 5", n)
	}
}

func testPresence(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, "bob@example.com")
	for _, r := range []store.SubscriptionRequest{
		{From: "alice@example.com", Stanza: []byte("<presence type='subscribe'>1</presence>")},
		{From: "carol@example.com", Stanza: []byte("<presence type='subscribe'/>")},
		{From: "alice@example.com", Stanza: []byte("<presence type='subscribe'>2</presence>")},
	} {
		if err := s.PutSubscriptionRequest(ctx, "bob@example.com", r); err != nil {
			t.Fatal(err)
		}
	}
	reqs, err := s.SubscriptionRequests(ctx, "bob@example.com")
	if err != nil || len(reqs) != 2 {
		t.Fatalf("requests: %v %v", reqs, err)
	}
	for _, r := range reqs {
		if r.From == "alice@example.com" && string(r.Stanza) != "<presence type='subscribe'>2</presence>" {
			t.Fatalf("request not replaced: %s", r.Stanza)
		}
	}
	for range 2 {
		if err := s.DeleteSubscriptionRequest(ctx, "bob@example.com", "carol@example.com"); err != nil {
			t.Fatal(err)
		}
	}
	if reqs, _ := s.SubscriptionRequests(ctx, "bob@example.com"); len(reqs) != 1 {
		t.Fatalf("after delete: %v", reqs)
	}
	if _, _, err := s.LastPresence(ctx, "bob@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no last presence yet: %v", err)
	}
	at := time.Date(2026, 11, 22, 9, 30, 0, 250_000_000, time.UTC)
	s.SetLastPresence(ctx, "bob@example.com", []byte("<presence type='unavailable'>a</presence>"), at)
	s.SetLastPresence(ctx, "bob@example.com", []byte("<presence type='unavailable'>b</presence>"), at)
	b, when, err := s.LastPresence(ctx, "bob@example.com")
	if err != nil || string(b) != "<presence type='unavailable'>b</presence>" || !when.Equal(at) {
		t.Fatalf("last presence: %s %v %v", b, when, err)
	}
}

func testDeleteCascade(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, "bob@example.com")
	s.PutRosterItem(ctx, "bob@example.com", store.RosterItem{Contact: "a@example.com", Subscription: store.SubNone})
	s.StoreOffline(ctx, "bob@example.com", []byte("<message/>"), 0)
	s.PutSubscriptionRequest(ctx, "bob@example.com", store.SubscriptionRequest{From: "a@example.com", Stanza: []byte("<presence/>")})
	s.SetLastPresence(ctx, "bob@example.com", []byte("<presence/>"), time.Now())
	if err := s.DeleteUser(ctx, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	mustUser(t, s, "bob@example.com")
	items, ver, _ := s.Roster(ctx, "bob@example.com")
	n, _ := s.CountOffline(ctx, "bob@example.com")
	reqs, _ := s.SubscriptionRequests(ctx, "bob@example.com")
	_, _, lastErr := s.LastPresence(ctx, "bob@example.com")
	if len(items) != 0 || ver != 0 || n != 0 || len(reqs) != 0 || !errors.Is(lastErr, store.ErrNotFound) {
		t.Fatalf("a re-created account inherited data: items %v ver %d offline %d reqs %v last %v", items, ver, n, reqs, lastErr)
	}
}
