package mam

import (
	"testing"
	"time"
)

func TestIDsOfNodesNeverCollide(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	seen := map[int64]int{}
	var last [4]int64
	// Four nodes choose IDs in the same microseconds, faster than the
	// clock ticks: each node's IDs grow, no two nodes share one.
	for i := range 1000 {
		at := now.Add(time.Duration(i/10) * time.Microsecond)
		for slot := range last {
			id := nextID(last[slot], at, slot)
			if id <= last[slot] {
				t.Fatalf("slot %d: %d after %d", slot, id, last[slot])
			}
			if other, dup := seen[id]; dup {
				t.Fatalf("slots %d and %d chose %d", other, slot, id)
			}
			if int(id&(1<<slotBits-1)) != slot {
				t.Fatalf("id %d does not carry slot %d", id, slot)
			}
			seen[id] = slot
			last[slot] = id
		}
	}
	// An ID's time is when it was chosen, when the clock leads.
	id := nextID(0, now, 5)
	if !IDTime(id).Equal(now) {
		t.Fatalf("IDTime = %v, want %v", IDTime(id), now)
	}
	// IDs of the former form (plain microseconds) stay below new ones.
	old := now.UnixMicro()
	if nextID(old, now, 0) <= old {
		t.Fatal("a new ID below an old-form one")
	}
}
