package postgres

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parley-im/parley/store"
)

// The benchmarks mirror store/sqlite's (bench_test.go, archive_test.go,
// batch_bench_test.go), on a PostgreSQL started by the test on this
// machine (internal/pgtest: fsync off, which a production server would
// not run with; the figures compare designs, not installations).

var benchMsg = []byte("<message from='b@x/r' to='a@x' type='chat' id='m1'><body>Hello, how are you doing today?</body>" +
	"<delay xmlns='urn:xmpp:delay' from='x' stamp='2026-11-22T10:00:00.000Z'/></message>")

func benchStore(b *testing.B) *Store {
	s := open(b, newDSN(b))
	b.Cleanup(func() { s.Close() })
	if err := s.CreateUser(context.Background(), store.User{JID: "a@x"}); err != nil {
		b.Fatal(err)
	}
	return s
}

const offlineQuota, mailboxSize = 1000, 500

// BenchmarkStoreOffline: one message stored for a user with up to
// mailboxSize waiting, quota checked.
func BenchmarkStoreOffline(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if n++; n%mailboxSize == 0 {
			b.StopTimer()
			if _, err := s.pool.Exec(ctx, `DELETE FROM offline_messages`); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		if err := s.StoreOffline(ctx, "a@x", benchMsg, store.OfflineLimits{Messages: offlineQuota, Bytes: 10 << 20}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStoreOfflineParallel: many senders at once over 64 recipients;
// unlike SQLite's single writer, PostgreSQL takes them concurrently.
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
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.StoreOffline(ctx, jids[next.Add(1)%owners], benchMsg, store.OfflineLimits{}); err != nil {
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

// archiveFill gives owner n archived messages spread over contacts
// correspondents ("c0@x" ...), one every 10ms from base, with COPY, and
// returns the first and last ids.
func archiveFill(tb testing.TB, s *Store, owner string, n, contacts int, base time.Time) (first, last int64) {
	tb.Helper()
	ctx := context.Background()
	if err := s.pool.QueryRow(ctx, `SELECT nextval('archive_id_seq')`).Scan(&first); err != nil {
		tb.Fatal(err)
	}
	last = first + int64(n) - 1
	i := 0
	_, err := s.pool.CopyFrom(ctx, pgx.Identifier{"archive"}, []string{"id", "owner", "with_jid", "at", "stanza"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == n {
				return nil, nil
			}
			row := []any{first + int64(i), owner, fmt.Sprintf("c%d@x", i%contacts), us(base.Add(time.Duration(i) * 10 * time.Millisecond)), benchMsg}
			i++
			return row, nil
		}))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `SELECT setval('archive_id_seq', $1)`, last); err != nil {
		tb.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `VACUUM ANALYZE archive`); err != nil {
		tb.Fatal(err)
	}
	return first, last
}

// BenchmarkAppendArchive: one message archived (one statement, one
// commit), into an archive that already holds 100k messages.
func BenchmarkAppendArchive(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	archiveFill(b, s, "a@x", 100_000, 20, time.Now().Add(-time.Hour))
	m := store.ArchivedMessage{With: "c1@x", At: time.Now(), Stanza: benchMsg}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.AppendArchive(ctx, "a@x", m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendArchiveBatch: what the server's archive writer does, a
// batch of messages for 64 owners with ids it chose, one round trip and
// one commit per batch; rows/s is the figure to compare with SQLite's.
func BenchmarkAppendArchiveBatch(b *testing.B) {
	for _, size := range []int{1, 32, 512} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			s := benchStore(b)
			benchArchiveBatch(b, s, size)
		})
	}
}

func benchArchiveBatch(b *testing.B, s *Store, size int) {
	ctx := context.Background()
	const owners = 64
	for i := range owners {
		if err := s.CreateUser(ctx, store.User{JID: fmt.Sprintf("u%d@x", i)}); err != nil {
			b.Fatal(err)
		}
	}
	batch := make([]store.ArchiveAppend, size)
	id := time.Now().UnixMicro()
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		for i := range batch {
			id++
			batch[i] = store.ArchiveAppend{Owner: fmt.Sprintf("u%d@x", int(id)%owners), Message: store.ArchivedMessage{
				ID: strconv.FormatInt(id, 10), With: "c@x", At: time.UnixMicro(id), Stanza: benchMsg}}
		}
		errs, err := s.AppendArchiveBatch(ctx, batch)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range errs {
			if e != nil {
				b.Fatal(e)
			}
		}
		rows += size
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkQueryArchive pages (50 a page, with the count) through an
// archive of 100k messages with 20 correspondents, in a database where
// 9 other users have 20k messages each: the cases of store/sqlite's.
func BenchmarkQueryArchive(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 9 {
		owner := fmt.Sprintf("o%d@x", i)
		if err := s.CreateUser(ctx, store.User{JID: owner}); err != nil {
			b.Fatal(err)
		}
		archiveFill(b, s, owner, 20_000, 20, base)
	}
	first, last := archiveFill(b, s, "a@x", 100_000, 20, base) // spans 1000 s
	mid := strconv.FormatInt((first+last)/2, 10)
	ids := make([]string, 10)
	for i := range ids {
		ids[i] = strconv.FormatInt(first+int64(i)*997, 10)
	}
	cases := []struct {
		name string
		q    store.ArchiveQuery
		n    int
	}{
		{"with/last", store.ArchiveQuery{With: "c7@x", Last: true}, 50},
		{"with/after-mid", store.ArchiveQuery{With: "c7@x", AfterID: mid}, 50},
		{"with/before-mid", store.ArchiveQuery{With: "c7@x", BeforeID: mid, Last: true}, 50},
		{"all/last", store.ArchiveQuery{Last: true}, 50},
		{"all/after-mid", store.ArchiveQuery{AfterID: mid}, 50},
		{"start/last-minute", store.ArchiveQuery{Start: base.Add(940 * time.Second)}, 50},
		{"start/first-minute", store.ArchiveQuery{Start: base.Add(60 * time.Second)}, 50},
		{"with-start-end/minute", store.ArchiveQuery{With: "c7@x", Start: base.Add(500 * time.Second), End: base.Add(560 * time.Second)}, 50},
		{"ids/10", store.ArchiveQuery{IDs: ids}, 10},
	}
	for _, c := range cases {
		q := c.q
		q.Max = 50
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := s.QueryArchive(ctx, "a@x", q)
				if err != nil || len(p.Messages) != c.n {
					b.Fatal(len(p.Messages), err)
				}
			}
		})
	}
}

// BenchmarkPruneArchive: retention deleting a day's worth of old
// messages in batches, in a database of 200k; rows/s deleted.
func BenchmarkPruneArchive(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10 {
		owner := fmt.Sprintf("o%d@x", i)
		if err := s.CreateUser(ctx, store.User{JID: owner}); err != nil {
			b.Fatal(err)
		}
		archiveFill(b, s, owner, 20_000, 20, base) // 200 s of messages each
	}
	var deleted int64
	cut := base
	for b.Loop() {
		cut = cut.Add(time.Second) // 100 messages of each owner a step
		n, err := s.PruneArchive(ctx, cut)
		if err != nil {
			b.Fatal(err)
		}
		deleted += n
	}
	b.ReportMetric(float64(deleted)/b.Elapsed().Seconds(), "rows/s")
}
