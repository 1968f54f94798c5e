package mam

import "time"

// Archive IDs are chosen by the writer, from the clock: microseconds
// since 1970 shifted left by slotBits, plus the slot of the node that
// chose the ID (0 for a single server; 1 to 1023 for the nodes of a
// cluster, from store.Nodes). So the nodes sharing one store never
// choose the same ID, and IDs grow with time across the cluster (up to
// the difference between the nodes' clocks), as archive queries page by
// ID. A node choosing more than one ID per microsecond runs ahead of
// its clock until the rate falls. 53 bits of microseconds last until the
// year 2255.
const slotBits = 10

// nextID is the ID after last for a message archived at now by the node
// with the given slot.
func nextID(last int64, now time.Time, slot int) int64 {
	t := max(now.UnixMicro(), last>>slotBits+1)
	return t<<slotBits | int64(slot)
}

// IDTime is the time an archive ID was chosen (to the microsecond).
func IDTime(id int64) time.Time { return time.UnixMicro(id >> slotBits).UTC() }
