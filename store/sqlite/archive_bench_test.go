package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
)

// archiveOwners is the population of the archive writer benchmarks:
// the load generator's chat scenario sends between 5,000 users.
const archiveOwners = 5000

// BenchmarkArchiveBatch measures the archive writer's store side:
// AppendArchiveBatch at batch sizes 1, 16 and 128 (the writer commits
// whatever queued during the previous commit, up to 4096), each message
// written twice (the sender's and the recipient's archive) as the
// server does, between random users of archiveOwners, ~150-byte
// stanzas as the load generator sends. rows/s counts archive rows;
// disk-B/msg is the database space a message takes, both copies and
// their index entries.
func BenchmarkArchiveBatch(b *testing.B) {
	for _, size := range []int{1, 16, 128, 1024} {
		b.Run("batch="+strconv.Itoa(size), func(b *testing.B) {
			ctx := context.Background()
			s := benchStore(b)
			jids := make([]string, archiveOwners)
			for i := range jids {
				jids[i] = fmt.Sprintf("bench%d@localhost", i)
				if err := s.CreateUser(ctx, store.User{JID: jids[i]}); err != nil {
					b.Fatal(err)
				}
			}
			rng := rand.New(rand.NewPCG(1, 2))
			batch := make([]store.ArchiveAppend, 0, size)
			id := time.Now().UnixMicro()
			rows := 0
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				from, to := jids[rng.IntN(len(jids))], jids[rng.IntN(len(jids))]
				stanza := fmt.Appendf(nil, "<message xmlns='jabber:client' type='chat' to='%s' from='%s/bench'><body>t=%d</body></message>", to, from, id)
				now := time.Now()
				for _, side := range [2][2]string{{from, to}, {to, from}} {
					id++
					batch = append(batch, store.ArchiveAppend{Owner: side[0],
						Message: store.ArchivedMessage{ID: strconv.FormatInt(id, 10), With: side[1], At: now, Stanza: stanza}})
				}
				if len(batch) >= size {
					if _, err := s.AppendArchiveBatch(ctx, batch); err != nil {
						b.Fatal(err)
					}
					rows += len(batch)
					batch = batch[:0]
				}
			}
			// A short run (-benchtime Nx below the batch) must still store
			// and time what it queued: b.Loop has stopped the timer.
			if len(batch) > 0 {
				b.StartTimer()
				if _, err := s.AppendArchiveBatch(ctx, batch); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				rows += len(batch)
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
			// What a message costs on disk: its two rows with their index
			// entries (SQLite's dbstat: pages of the archive's B-trees).
			var pages int64
			if err := s.r.QueryRowContext(ctx, `SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'archive%'`).Scan(&pages); err == nil && rows > 0 {
				b.ReportMetric(float64(pages)/float64(rows/2), "disk-B/msg")
			}
		})
	}
}
