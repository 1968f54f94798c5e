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
