package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/parley-im/parley/store"
)

// nodeTests are the conformance tests of store.Nodes.
var nodeTests = []storeTest{
	{"ServedDomains", testServedDomains},
	{"NodeSlots", testNodeSlots},
	{"NodeSlotsConcurrent", testNodeSlotsConcurrent},
	{"NodeSlotsExhausted", testNodeSlotsExhausted},
	{"SharedSecret", testSharedSecret},
}

// testSharedSecret: the first candidate stored under a name wins, also
// among concurrent callers; other names are independent.
func testSharedSecret(t *testing.T, s store.Store) {
	ctx := context.Background()
	first := []byte("0123456789abcdef-first")
	got, err := s.SharedSecret(ctx, "dialback", first)
	must(t, err)
	if string(got) != string(first) {
		t.Fatalf("first SharedSecret = %q, want the candidate %q", got, first)
	}
	got, err = s.SharedSecret(ctx, "dialback", []byte("0123456789abcdef-later"))
	must(t, err)
	if string(got) != string(first) {
		t.Fatalf("a later candidate replaced the secret: %q", got)
	}
	var wg sync.WaitGroup
	results := make([][]byte, 8)
	errs := make([]error, 8)
	for i := range results {
		wg.Go(func() {
			results[i], errs[i] = s.SharedSecret(ctx, "sasl", []byte(fmt.Sprintf("candidate-%02d-0123456789", i)))
		})
	}
	wg.Wait()
	for i := range results {
		must(t, errs[i])
		if string(results[i]) != string(results[0]) {
			t.Fatalf("concurrent callers got different secrets: %q and %q", results[0], results[i])
		}
	}
	if string(results[0]) == string(first) {
		t.Fatal("two names share one secret")
	}
}

func testServedDomains(t *testing.T, s store.Store) {
	ctx := context.Background()
	got, err := s.ServedDomains(ctx)
	must(t, err)
	if got != nil {
		t.Fatalf("an empty store serves %v", got)
	}
	must(t, s.SetServedDomains(ctx, "", []string{"example.com", "example.net"}))
	must(t, s.SetServedDomains(ctx, "node-b", []string{"example.org", "example.com"}))
	got, err = s.ServedDomains(ctx)
	must(t, err)
	if want := []string{"example.com", "example.net", "example.org"}; !slices.Equal(got, want) {
		t.Fatalf("ServedDomains = %v, want %v (sorted, no duplicates)", got, want)
	}
	// A node's record is replaced as a whole.
	must(t, s.SetServedDomains(ctx, "", []string{"example.com"}))
	got, err = s.ServedDomains(ctx)
	must(t, err)
	if want := []string{"example.com", "example.org"}; !slices.Equal(got, want) {
		t.Fatalf("after a replace: %v, want %v", got, want)
	}
	must(t, s.SetServedDomains(ctx, "node-b", nil))
	must(t, s.SetServedDomains(ctx, "", nil))
	got, err = s.ServedDomains(ctx)
	must(t, err)
	if got != nil {
		t.Fatalf("after clearing: %v", got)
	}
}

func testNodeSlots(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, err := s.NodeSlot(ctx, "a")
	must(t, err)
	b, err := s.NodeSlot(ctx, "b")
	must(t, err)
	if a != 1 || b != 2 {
		t.Fatalf("slots %d, %d: want the lowest free, 1 and 2", a, b)
	}
	again, err := s.NodeSlot(ctx, "a")
	must(t, err)
	if again != a {
		t.Fatalf("a node's slot changed: %d then %d", a, again)
	}
}

func testNodeSlotsConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 16
	slots := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots[i], errs[i] = s.NodeSlot(ctx, fmt.Sprintf("node-%d", i))
		}()
	}
	wg.Wait()
	seen := map[int]bool{}
	for i := range n {
		must(t, errs[i])
		if slots[i] < 1 || slots[i] > store.MaxNodeSlot || seen[slots[i]] {
			t.Fatalf("slots %v: each node needs its own slot in 1..%d", slots, store.MaxNodeSlot)
		}
		seen[slots[i]] = true
	}
}

func testNodeSlotsExhausted(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := 1; i <= store.MaxNodeSlot; i++ {
		slot, err := s.NodeSlot(ctx, fmt.Sprintf("n%d", i))
		must(t, err)
		if slot != i {
			t.Fatalf("node %d got slot %d", i, slot)
		}
	}
	_, err := s.NodeSlot(ctx, "one-too-many")
	wantErr(t, "NodeSlot beyond the last slot", err, store.ErrQuotaExceeded)
	if slot, err := s.NodeSlot(ctx, "n7"); err != nil || slot != 7 {
		t.Fatalf("a known node after exhaustion: %d %v", slot, err)
	}
}
