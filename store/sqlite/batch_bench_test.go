package sqlite

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
)

// BenchmarkAppendArchiveBatch: what the server's archive writer does, a
// batch of messages for 64 owners with ids it chose, one commit per
// batch; rows/s is the figure to compare with store/postgres's.
func BenchmarkAppendArchiveBatch(b *testing.B) {
	for _, size := range []int{1, 32, 512} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			ctx := context.Background()
			s := benchStore(b)
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
		})
	}
}
