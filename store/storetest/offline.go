package storetest

import (
	"context"
	"errors"
	"fmt"
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
		must(t, s.StoreOffline(ctx, bob, buf, 0))
	}
	after := time.Now()
	must(t, s.StoreOffline(ctx, carol, []byte("<message id='c'/>"), 0))

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
		must(t, s.StoreOffline(ctx, bob, []byte(fmt.Sprintf("<message id='%d'/>", i)), 0))
	}
	must(t, s.StoreOffline(ctx, carol, []byte("<message id='c'/>"), 0))
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
	must(t, s.StoreOffline(ctx, bob, []byte("<message id='new'/>"), 0))
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
		must(t, s.StoreOffline(ctx, bob, []byte(fmt.Sprintf("<message id='%d'/>", i)), 3))
	}
	wantErr(t, "StoreOffline at the quota", s.StoreOffline(ctx, bob, []byte("<message id='x'/>"), 3), store.ErrQuotaExceeded)
	wantErr(t, "StoreOffline over the quota", s.StoreOffline(ctx, bob, []byte("<message id='x'/>"), 2), store.ErrQuotaExceeded)
	if n, _ := s.CountOffline(ctx, bob); n != 3 {
		t.Fatalf("a refused message was stored: %d", n)
	}
	must(t, s.StoreOffline(ctx, carol, []byte("<message/>"), 3)) // quotas are per owner

	msgs, _ := s.OfflineMessages(ctx, bob)
	must(t, s.DeleteOffline(ctx, bob, []int64{msgs[0].ID}))
	must(t, s.StoreOffline(ctx, bob, []byte("<message id='3'/>"), 3)) // room again

	for _, unlimited := range []int{0, -1} {
		must(t, s.StoreOffline(ctx, bob, []byte("<message/>"), unlimited))
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
			err := s.StoreOffline(ctx, bob, []byte(fmt.Sprintf("<message id='%d'/>", i)), quota)
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
