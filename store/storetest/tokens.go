package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
)

// tokenTests are the conformance tests of store.Tokens.
var tokenTests = []storeTest{
	{"TokenRoundTrip", testTokenRoundTrip},
	{"TokenEntities", testTokenEntities},
	{"TokenTreeDelete", testTokenTreeDelete},
	{"TokenExpiredPurge", testTokenExpiredPurge},
	{"TokenDeleteUser", testTokenDeleteUser},
	{"TokenImportReplace", testTokenImportReplace},
	{"TokenEntityDelete", testTokenEntityDelete},
	{"TokenIDsNotReused", testTokenIDsNotReused},
	{"TokenConcurrentCreate", testTokenConcurrentCreate},
}

var tokenBase = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

func mustToken(t *testing.T, s store.Store, tok store.Token) store.Token {
	t.Helper()
	if tok.Random == "" {
		tok.Random = "r" + fmt.Sprint(time.Now().UnixNano())
	}
	if tok.CreatedAt.IsZero() {
		tok.CreatedAt = tokenBase
	}
	if tok.ExpiresAt.IsZero() {
		tok.ExpiresAt = tokenBase.Add(time.Hour)
	}
	got, err := s.CreateToken(context.Background(), tok)
	if err != nil {
		t.Fatalf("CreateToken(%+v): %v", tok, err)
	}
	return got
}

func testTokenRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	if _, err := s.Token(ctx, 1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Token of an empty store: %v, want ErrNotFound", err)
	}
	in := store.Token{Random: "QAHnRTN3L8E1DVEHL3UFKYuxHcW8ce7p", EntityType: store.EntityUser, EntityID: alice,
		Policy: "SESSION::PRESENCE", ProxyUser: "guest_1", CreatedAt: tokenBase.Add(1500 * time.Microsecond), ExpiresAt: tokenBase.Add(time.Hour)}
	created, err := s.CreateToken(ctx, in)
	must(t, err)
	if created.ID <= 0 {
		t.Fatalf("CreateToken id = %d, want > 0", created.ID)
	}
	got, err := s.Token(ctx, created.ID)
	must(t, err)
	want := in
	want.ID = created.ID
	want.CreatedAt = tokenBase.Add(time.Millisecond) // truncated, never rounded up
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Token = %+v\nwant %+v", got, want)
	}
	if !reflect.DeepEqual(created, want) {
		t.Fatalf("CreateToken returned %+v\nwant %+v", created, want)
	}
	child := mustToken(t, s, store.Token{EntityType: store.EntityUser, EntityID: alice, Policy: "PRESENCE", ParentID: created.ID})
	if child.ID <= created.ID {
		t.Fatalf("child id %d not above parent %d", child.ID, created.ID)
	}
	got, err = s.Token(ctx, child.ID)
	must(t, err)
	if got.ParentID != created.ID {
		t.Fatalf("child's ParentID = %d, want %d", got.ParentID, created.ID)
	}
	n, err := s.CountTokens(ctx, store.EntityUser, alice)
	must(t, err)
	if n != 2 {
		t.Fatalf("CountTokens = %d, want 2", n)
	}
}

// testTokenEntities: a token needs an existing entity and parent.
func testTokenEntities(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustSite(t, s, "12345")
	for _, tok := range []store.Token{
		{EntityType: store.EntityUser, EntityID: "nobody@example.com", Policy: "SESSION"},
		{EntityType: store.EntitySite, EntityID: "999", Policy: "SESSION"},
		{EntityType: store.EntitySite, EntityID: alice, Policy: "SESSION"},   // a user is not a site
		{EntityType: store.EntityUser, EntityID: "12345", Policy: "SESSION"}, // nor a site a user
		{EntityType: store.EntityUser, EntityID: alice, Policy: "SESSION", ParentID: 12345},
	} {
		tok.Random, tok.ExpiresAt = "x", tokenBase
		if _, err := s.CreateToken(ctx, tok); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("CreateToken(%+v) = %v, want ErrNotFound", tok, err)
		}
	}
	if _, err := s.CreateToken(ctx, store.Token{EntityType: "GROUP", EntityID: alice, Random: "x"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("CreateToken of entity type GROUP = %v, want ErrInvalid", err)
	}
	mustToken(t, s, store.Token{EntityType: store.EntitySite, EntityID: "12345", Policy: "SESSION"})
	for _, c := range []struct {
		typ, id string
		want    int
	}{{store.EntitySite, "12345", 1}, {store.EntityUser, alice, 0}, {store.EntityUser, "12345", 0}} {
		n, err := s.CountTokens(ctx, c.typ, c.id)
		must(t, err)
		if n != c.want {
			t.Errorf("CountTokens(%s, %s) = %d, want %d", c.typ, c.id, n, c.want)
		}
	}
}

// testTokenTreeDelete: deleting a token deletes its descendants, not
// its parent or siblings.
func testTokenTreeDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustSite(t, s, "12345")
	site := func(parent int64) store.Token {
		return mustToken(t, s, store.Token{EntityType: store.EntitySite, EntityID: "12345", Policy: "SESSION", ParentID: parent})
	}
	root := site(0)
	a := site(root.ID)
	a1 := site(a.ID)
	a11 := site(a1.ID)
	b := site(root.ID)
	if _, err := s.DeleteToken(ctx, 99999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteToken of a missing token: %v, want ErrNotFound", err)
	}
	n, err := s.DeleteToken(ctx, a.ID)
	must(t, err)
	if n != 3 {
		t.Fatalf("DeleteToken(a) deleted %d, want 3 (a, a1, a11)", n)
	}
	for _, id := range []int64{a.ID, a1.ID, a11.ID} {
		if _, err := s.Token(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("token %d survived its ancestor: %v", id, err)
		}
	}
	for _, id := range []int64{root.ID, b.ID} {
		if _, err := s.Token(ctx, id); err != nil {
			t.Fatalf("token %d deleted with a sibling or child: %v", id, err)
		}
	}
	if _, err := s.CreateToken(ctx, store.Token{EntityType: store.EntitySite, EntityID: "12345", ParentID: a.ID, Random: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("CreateToken under a deleted parent: %v, want ErrNotFound", err)
	}
	n, err = s.DeleteToken(ctx, root.ID)
	must(t, err)
	if n != 2 {
		t.Fatalf("DeleteToken(root) deleted %d, want 2", n)
	}
}

// testTokenExpiredPurge: DeleteExpiredTokens deletes tokens expiring at
// or before the time, with their descendants.
func testTokenExpiredPurge(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustSite(t, s, "12345")
	tok := func(parent int64, exp time.Duration) store.Token {
		return mustToken(t, s, store.Token{EntityType: store.EntitySite, EntityID: "12345", Policy: "SESSION",
			ParentID: parent, ExpiresAt: tokenBase.Add(exp)})
	}
	early := tok(0, time.Minute)
	earlyChild := tok(early.ID, 2*time.Hour) // a child outliving its parent's expiry still goes with it
	exact := tok(0, 2*time.Minute)
	late := tok(0, 3*time.Minute)
	lateChild := tok(late.ID, 3*time.Minute)
	n, err := s.DeleteExpiredTokens(ctx, tokenBase.Add(2*time.Minute))
	must(t, err)
	if n != 3 {
		t.Fatalf("DeleteExpiredTokens deleted %d, want 3", n)
	}
	for _, id := range []int64{early.ID, earlyChild.ID, exact.ID} {
		if _, err := s.Token(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("expired token %d kept: %v", id, err)
		}
	}
	for _, id := range []int64{late.ID, lateChild.ID} {
		if _, err := s.Token(ctx, id); err != nil {
			t.Fatalf("live token %d purged: %v", id, err)
		}
	}
	n, err = s.DeleteExpiredTokens(ctx, tokenBase)
	must(t, err)
	if n != 0 {
		t.Fatalf("second purge deleted %d", n)
	}
}

// testTokenDeleteUser: deleting a user deletes the user's tokens.
func testTokenDeleteUser(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	mustSite(t, s, "12345")
	a := mustToken(t, s, store.Token{EntityType: store.EntityUser, EntityID: alice, Policy: "SESSION"})
	ac := mustToken(t, s, store.Token{EntityType: store.EntityUser, EntityID: alice, Policy: "PRESENCE", ParentID: a.ID})
	b := mustToken(t, s, store.Token{EntityType: store.EntityUser, EntityID: bob, Policy: "SESSION"})
	st := mustToken(t, s, store.Token{EntityType: store.EntitySite, EntityID: "12345", Policy: "PROXY", ProxyUser: alice})
	must(t, s.DeleteUser(ctx, alice))
	for _, id := range []int64{a.ID, ac.ID} {
		if _, err := s.Token(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("token %d of the deleted user: %v, want ErrNotFound", id, err)
		}
	}
	for _, id := range []int64{b.ID, st.ID} {
		if _, err := s.Token(ctx, id); err != nil {
			t.Fatalf("token %d of another entity: %v", id, err)
		}
	}
	// A new account of the same name does not inherit tokens.
	mustUser(t, s, alice)
	n, err := s.CountTokens(ctx, store.EntityUser, alice)
	must(t, err)
	if n != 0 {
		t.Fatalf("re-created user holds %d tokens", n)
	}
}

// testTokenImportReplace: an account replaced by ImportAccounts loses
// its tokens like a deleted one (its credentials may have changed).
func testTokenImportReplace(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	a := mustToken(t, s, store.Token{EntityType: store.EntityUser, EntityID: alice, Policy: "SESSION"})
	b := mustToken(t, s, store.Token{EntityType: store.EntityUser, EntityID: bob, Policy: "SESSION"})
	skipped, err := s.ImportAccounts(ctx, []store.Account{{User: store.User{JID: alice, CreatedAt: tokenBase}}}, false)
	must(t, err)
	if len(skipped) != 1 {
		t.Fatalf("skipped %v", skipped)
	}
	if _, err := s.Token(ctx, a.ID); err != nil {
		t.Fatalf("a skipped import removed a token: %v", err)
	}
	_, err = s.ImportAccounts(ctx, []store.Account{{User: store.User{JID: alice, CreatedAt: tokenBase}}}, true)
	must(t, err)
	if _, err := s.Token(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("token of a replaced account: %v, want ErrNotFound", err)
	}
	if _, err := s.Token(ctx, b.ID); err != nil {
		t.Fatalf("another user's token: %v", err)
	}
}

func testTokenEntityDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustSite(t, s, "12345")
	r := mustToken(t, s, store.Token{EntityType: store.EntitySite, EntityID: "12345", Policy: "SESSION"})
	mustToken(t, s, store.Token{EntityType: store.EntitySite, EntityID: "12345", Policy: "PRESENCE", ParentID: r.ID})
	mustToken(t, s, store.Token{EntityType: store.EntitySite, EntityID: "12345", Policy: "SESSION"})
	u := mustToken(t, s, store.Token{EntityType: store.EntityUser, EntityID: alice, Policy: "SESSION"})
	n, err := s.DeleteEntityTokens(ctx, store.EntitySite, "12345")
	must(t, err)
	if n != 3 {
		t.Fatalf("DeleteEntityTokens deleted %d, want 3", n)
	}
	if _, err := s.Token(ctx, u.ID); err != nil {
		t.Fatalf("another entity's token: %v", err)
	}
	if _, err := s.Site(ctx, "12345"); err != nil {
		t.Fatalf("the site itself went: %v", err)
	}
	n, err = s.DeleteEntityTokens(ctx, store.EntitySite, "12345")
	must(t, err)
	if n != 0 {
		t.Fatalf("second DeleteEntityTokens deleted %d", n)
	}
}

func testTokenIDsNotReused(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustSite(t, s, "12345")
	var last int64
	for range 3 {
		tok := mustToken(t, s, store.Token{EntityType: store.EntitySite, EntityID: "12345", Policy: "SESSION"})
		if tok.ID <= last {
			t.Fatalf("token id %d after %d", tok.ID, last)
		}
		last = tok.ID
		_, err := s.DeleteToken(ctx, tok.ID)
		must(t, err)
	}
}

func testTokenConcurrentCreate(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustSite(t, s, "12345")
	const n = 20
	var wg sync.WaitGroup
	ids := make([]int64, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := s.CreateToken(ctx, store.Token{EntityType: store.EntitySite, EntityID: "12345", Policy: "SESSION",
				Random: fmt.Sprint("r", i), ExpiresAt: tokenBase})
			ids[i], errs[i] = tok.ID, err
		}()
	}
	wg.Wait()
	seen := map[int64]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("CreateToken %d: %v", i, errs[i])
		}
		if seen[ids[i]] {
			t.Fatalf("id %d handed out twice", ids[i])
		}
		seen[ids[i]] = true
		got, err := s.Token(ctx, ids[i])
		must(t, err)
		if got.Random != fmt.Sprint("r", i) {
			t.Fatalf("token %d has random %q, want r%d", ids[i], got.Random, i)
		}
	}
}
