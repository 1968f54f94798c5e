package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
)

func stanzas(msgs []store.OfflineMessage) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Stanza)
	}
	return out
}

func testOffline(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, bob)
	mustUser(t, s, carol)
	if msgs, err := s.OfflineMessages(ctx, bob); err != nil || len(msgs) != 0 {
		t.Fatalf("no messages yet: %v %v", msgs, err)
	}
	before := time.Now()
	buf := make([]byte, 0, 64)
	for i := range 5 {
		buf = fmt.Appendf(buf[:0], "<message id='%d'/>", i) // the caller reuses buf
		must(t, s.StoreOffline(ctx, bob, buf, store.OfflineLimits{}))
	}
	after := time.Now()
	must(t, s.StoreOffline(ctx, carol, []byte("<message id='c'/>"), store.OfflineLimits{}))

	msgs, err := s.OfflineMessages(ctx, bob)
	must(t, err)
	want := "[<message id='0'/> <message id='1'/> <message id='2'/> <message id='3'/> <message id='4'/>]"
	if got := fmt.Sprint(stanzas(msgs)); got != want {
		t.Fatalf("OfflineMessages = %s, want %s, oldest first", got, want)
	}
	for i, m := range msgs {
		if i > 0 && m.ID <= msgs[i-1].ID {
			t.Fatalf("ids not increasing: %d after %d", m.ID, msgs[i-1].ID)
		}
		if m.Stored.Before(before.Truncate(time.Millisecond)) || m.Stored.After(after) {
			t.Fatalf("Stored %v, not between %v and %v", m.Stored, before, after)
		}
	}
	if n, err := s.CountOffline(ctx, bob); err != nil || n != 5 {
		t.Fatalf("CountOffline = %d, %v", n, err)
	}
	if n, err := s.CountOffline(ctx, "nobody@example.com"); err != nil || n != 0 {
		t.Fatalf("CountOffline of a stranger = %d, %v", n, err)
	}

	msgs[0].Stanza[1] = 'X'
	if again, _ := s.OfflineMessages(ctx, bob); string(again[0].Stanza) != "<message id='0'/>" {
		t.Fatal("OfflineMessages returned the store's own bytes")
	}
}

func testOfflineDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, bob)
	mustUser(t, s, carol)
	for i := range 4 {
		must(t, s.StoreOffline(ctx, bob, []byte(fmt.Sprintf("<message id='%d'/>", i)), store.OfflineLimits{}))
	}
	must(t, s.StoreOffline(ctx, carol, []byte("<message id='c'/>"), store.OfflineLimits{}))
	msgs, _ := s.OfflineMessages(ctx, bob)
	carolMsgs, _ := s.OfflineMessages(ctx, carol)

	// Deleting under bob's name removes only bob's messages, and ids that
	// do not exist are no error.
	must(t, s.DeleteOffline(ctx, bob, []int64{msgs[0].ID, msgs[2].ID, carolMsgs[0].ID, -1, 1 << 60}))
	left, _ := s.OfflineMessages(ctx, bob)
	if got := fmt.Sprint(stanzas(left)); got != "[<message id='1'/> <message id='3'/>]" {
		t.Fatalf("after delete: %s", got)
	}
	if n, _ := s.CountOffline(ctx, carol); n != 1 {
		t.Fatalf("carol's message was deleted through bob: %d left", n)
	}
	must(t, s.DeleteOffline(ctx, bob, nil))
	must(t, s.DeleteOffline(ctx, bob, []int64{msgs[0].ID})) // twice
	must(t, s.DeleteOffline(ctx, "nobody@example.com", []int64{left[0].ID}))
	if n, _ := s.CountOffline(ctx, bob); n != 2 {
		t.Fatalf("bob has %d messages, want 2", n)
	}

	// Ids are never reused, even once the newest message is gone: an id
	// read before a delivery must not name a message stored after it.
	must(t, s.DeleteOffline(ctx, bob, []int64{left[0].ID, left[1].ID}))
	if n, _ := s.CountOffline(ctx, bob); n != 0 {
		t.Fatalf("bob has %d messages, want 0", n)
	}
	must(t, s.StoreOffline(ctx, bob, []byte("<message id='new'/>"), store.OfflineLimits{}))
	fresh, _ := s.OfflineMessages(ctx, bob)
	if len(fresh) != 1 || fresh[0].ID <= msgs[3].ID || fresh[0].ID <= carolMsgs[0].ID {
		t.Fatalf("new message got id %d; ids up to %d were used", fresh[0].ID, max(msgs[3].ID, carolMsgs[0].ID))
	}
}

func testOfflineQuota(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, bob)
	mustUser(t, s, carol)
	for i := range 3 {
		must(t, s.StoreOffline(ctx, bob, []byte(fmt.Sprintf("<message id='%d'/>", i)), store.OfflineLimits{Messages: 3}))
	}
	wantErr(t, "StoreOffline at the quota", s.StoreOffline(ctx, bob, []byte("<message id='x'/>"), store.OfflineLimits{Messages: 3}), store.ErrQuotaExceeded)
	wantErr(t, "StoreOffline over the quota", s.StoreOffline(ctx, bob, []byte("<message id='x'/>"), store.OfflineLimits{Messages: 2}), store.ErrQuotaExceeded)
	if n, _ := s.CountOffline(ctx, bob); n != 3 {
		t.Fatalf("a refused message was stored: %d", n)
	}
	must(t, s.StoreOffline(ctx, carol, []byte("<message/>"), store.OfflineLimits{Messages: 3})) // quotas are per owner

	msgs, _ := s.OfflineMessages(ctx, bob)
	must(t, s.DeleteOffline(ctx, bob, []int64{msgs[0].ID}))
	must(t, s.StoreOffline(ctx, bob, []byte("<message id='3'/>"), store.OfflineLimits{Messages: 3})) // room again

	for _, unlimited := range []int{0, -1} {
		must(t, s.StoreOffline(ctx, bob, []byte("<message/>"), store.OfflineLimits{Messages: unlimited}))
	}
	if n, _ := s.CountOffline(ctx, bob); n != 5 {
		t.Fatalf("max <= 0 must mean no limit: %d stored, want 5", n)
	}
}

// Concurrent StoreOffline calls never let an owner pass max: the count
// and the insert are one atomic step.
func testOfflineQuotaConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, bob)
	const tries, quota = 20, 5
	var wg sync.WaitGroup
	var mu sync.Mutex
	stored, refused := 0, 0
	for i := range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.StoreOffline(ctx, bob, []byte(fmt.Sprintf("<message id='%d'/>", i)), store.OfflineLimits{Messages: quota})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				stored++
			case errors.Is(err, store.ErrQuotaExceeded):
				refused++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	n, err := s.CountOffline(ctx, bob)
	must(t, err)
	if n != quota || stored != quota || refused != tries-quota {
		t.Fatalf("quota %d: %d stored (%d reported), %d refused", quota, n, stored, refused)
	}
}

// Limits in bytes count the stored stanzas, per owner; OfflineUsage
// follows stores and deletions.
func testOfflineQuotaBytes(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, bob)
	mustUser(t, s, carol)
	msg := func(n int) []byte { return []byte("<message>" + strings.Repeat("x", n-19) + "</message>") } // n bytes
	limits := store.OfflineLimits{Bytes: 100}
	must(t, s.StoreOffline(ctx, bob, msg(60), limits))
	must(t, s.StoreOffline(ctx, bob, msg(40), limits)) // exactly at the limit
	wantErr(t, "StoreOffline past the byte limit", s.StoreOffline(ctx, bob, msg(20), limits), store.ErrQuotaExceeded)
	if u, err := s.OfflineUsage(ctx, bob); err != nil || u != (store.Usage{Messages: 2, Bytes: 100}) {
		t.Fatalf("OfflineUsage = %+v, %v; want 2 messages, 100 bytes", u, err)
	}
	must(t, s.StoreOffline(ctx, carol, msg(100), limits)) // per owner
	wantErr(t, "a single message over the limit", s.StoreOffline(ctx, carol, msg(101), store.OfflineLimits{Bytes: 100}), store.ErrQuotaExceeded)

	msgs, _ := s.OfflineMessages(ctx, bob)
	must(t, s.DeleteOffline(ctx, bob, []int64{msgs[0].ID}))
	if u, _ := s.OfflineUsage(ctx, bob); u != (store.Usage{Messages: 1, Bytes: 40}) {
		t.Fatalf("OfflineUsage after a delete = %+v", u)
	}
	must(t, s.StoreOffline(ctx, bob, msg(60), limits)) // room again
	// Both limits apply; the first one reached refuses.
	wantErr(t, "count limit with bytes left", s.StoreOffline(ctx, bob, msg(19), store.OfflineLimits{Messages: 2, Bytes: 1000}), store.ErrQuotaExceeded)
	if n, _ := s.CountOffline(ctx, bob); n != 2 {
		t.Fatalf("CountOffline = %d, want 2", n)
	}
	must(t, s.DeleteUser(ctx, bob))
	mustUser(t, s, bob)
	if u, _ := s.OfflineUsage(ctx, bob); u != (store.Usage{}) {
		t.Fatalf("a re-created account starts with usage %+v", u)
	}
	if u, _ := s.OfflineUsage(ctx, "nobody@example.com"); u != (store.Usage{}) {
		t.Fatalf("usage of a stranger = %+v", u)
	}
}

// OfflinePage reads a mailbox in pages bounded in count and bytes,
// always at least one message.
func testOfflinePage(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, bob)
	mustUser(t, s, carol)
	sizes := []int{30, 30, 200, 30, 30, 30}
	for i, n := range sizes {
		must(t, s.StoreOffline(ctx, bob, []byte(fmt.Sprintf("<message id='%d'>%s</message>", i, strings.Repeat("x", n-28))), store.OfflineLimits{}))
	}
	must(t, s.StoreOffline(ctx, carol, []byte("<message id='c'/>"), store.OfflineLimits{}))
	all, _ := s.OfflineMessages(ctx, bob)
	ids := func(msgs []store.OfflineMessage) []int64 {
		out := make([]int64, len(msgs))
		for i, m := range msgs {
			out[i] = m.ID
		}
		return out
	}
	page := func(after int64, max, maxBytes int) []int64 {
		t.Helper()
		p, err := s.OfflinePage(ctx, bob, after, max, maxBytes)
		must(t, err)
		return ids(p)
	}
	want := ids(all)
	for _, c := range []struct {
		name     string
		after    int64
		max, mb  int
		from, to int
	}{
		{"no limits", 0, 0, 0, 0, 6},
		{"count", 0, 2, 0, 0, 2},
		{"after", want[1], 2, 0, 2, 4},
		{"bytes stop before the large one", 0, 0, 100, 0, 2},
		{"the large one alone", want[1], 0, 100, 2, 3},
		{"bytes exactly", want[2], 0, 60, 3, 5},
		{"after the last", want[5], 10, 100, 6, 6},
	} {
		if got := page(c.after, c.max, c.mb); fmt.Sprint(got) != fmt.Sprint(want[c.from:c.to]) {
			t.Fatalf("%s: page %v, want %v", c.name, got, want[c.from:c.to])
		}
	}
	p, _ := s.OfflinePage(ctx, bob, 0, 1, 0)
	if string(p[0].Stanza) != string(all[0].Stanza) || !p[0].Stored.Equal(all[0].Stored) {
		t.Fatalf("page message %+v, want %+v", p[0], all[0])
	}
}
