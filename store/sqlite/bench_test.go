package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
)

var benchMsg = []byte("<message from='b@x/r' to='a@x' type='chat' id='m1'><body>Hello, how are you doing today?</body>" +
	"<delay xmlns='urn:xmpp:delay' from='x' stamp='2026-11-22T10:00:00.000Z'/></message>")

func benchStore(b *testing.B) *Store {
	s := open(b, filepath.Join(b.TempDir(), "parley.db"))
	b.Cleanup(func() { s.Close() })
	if err := s.CreateUser(context.Background(), store.User{JID: "a@x"}); err != nil {
		b.Fatal(err)
	}
	return s
}

// offlineQuota is the server's default offline.max_messages; the count
// it makes StoreOffline do grows with the mailbox, so the benchmarks
// empty mailboxes every mailboxSize messages, as deliveries would.
const offlineQuota, mailboxSize = 1000, 500

func emptyMailboxes(b *testing.B, s *Store) {
	b.StopTimer()
	if _, err := s.w.Exec(`DELETE FROM offline_messages`); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
}

// BenchmarkStoreOffline: one message stored for a user with up to
// mailboxSize waiting, quota checked: one committed write transaction.
func BenchmarkStoreOffline(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if n++; n%mailboxSize == 0 {
			emptyMailboxes(b, s)
		}
		if err := s.StoreOffline(ctx, "a@x", benchMsg, store.OfflineLimits{Messages: offlineQuota, Bytes: 10 << 20}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStoreOfflineParallel: many senders at once, spread over 64
// recipients; the writes queue on the single writer connection.
func BenchmarkStoreOfflineParallel(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	const owners = 64
	jids := make([]string, owners)
	for i := range jids {
		jids[i] = fmt.Sprintf("u%d@x", i)
		if err := s.CreateUser(ctx, store.User{JID: jids[i]}); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.StoreOffline(ctx, jids[next.Add(1)%owners], benchMsg, store.OfflineLimits{Messages: offlineQuota, Bytes: 10 << 20}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkRoster reads a 100-item roster with its version (at login).
func BenchmarkRoster(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	for i := range 100 {
		if _, err := s.PutRosterItem(ctx, "a@x", store.RosterItem{Contact: fmt.Sprintf("contact%03d@example.com", i),
			Name: fmt.Sprintf("Contact %d", i), Subscription: store.SubBoth, Groups: []string{"Team"}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if items, _, err := s.Roster(ctx, "a@x"); err != nil || len(items) != 100 {
			b.Fatal(len(items), err)
		}
	}
}

// BenchmarkPutRosterItem: one roster change with its version bump.
func BenchmarkPutRosterItem(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	it := store.RosterItem{Contact: "b@x", Subscription: store.SubBoth, Groups: []string{"Team"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.PutRosterItem(ctx, "a@x", it); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUserLookup: the account read of every login.
func BenchmarkUserLookup(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.User(ctx, "a@x"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoginReads: the reads of one login (credentials, a roster of
// 10, the last presence of 5 offline contacts, pending subscription
// requests, the first offline page), with a cancellable context as a
// session's is.
func BenchmarkLoginReads(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := benchStore(b)
	var offline []string
	for i := range 10 {
		c := fmt.Sprintf("contact%03d@x", i)
		if err := s.CreateUser(ctx, store.User{JID: c}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.PutRosterItem(ctx, "a@x", store.RosterItem{Contact: c, Subscription: store.SubBoth}); err != nil {
			b.Fatal(err)
		}
		if i%2 == 0 {
			offline = append(offline, c)
			if err := s.SetLastPresence(ctx, c, []byte("<presence type='unavailable'/>"), time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.User(ctx, "a@x"); err != nil {
			b.Fatal(err)
		}
		if items, _, err := s.Roster(ctx, "a@x"); err != nil || len(items) != 10 {
			b.Fatal(len(items), err)
		}
		if last, err := s.LastPresences(ctx, offline); err != nil || len(last) != len(offline) {
			b.Fatal(len(last), err)
		}
		if _, err := s.SubscriptionRequests(ctx, "a@x"); err != nil {
			b.Fatal(err)
		}
		if _, err := s.OfflinePage(ctx, "a@x", 0, 100, 0); err != nil {
			b.Fatal(err)
		}
	}
}
