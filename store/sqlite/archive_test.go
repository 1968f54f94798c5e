package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
)

// archiveFill gives owner n archived messages spread over contacts
// correspondents ("c0@x" ...), one every 10ms from base, in one
// transaction, and returns the first and last ids.
func archiveFill(tb testing.TB, s *Store, owner string, n, contacts int, base time.Time) (first, last int64) {
	tb.Helper()
	ctx := context.Background()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO archive (owner, with_jid, at, stanza) VALUES (?,?,?,?) RETURNING id`)
		if err != nil {
			return err
		}
		defer st.Close()
		for i := range n {
			var id int64
			if err := st.QueryRowContext(ctx, owner, fmt.Sprintf("c%d@x", i%contacts), us(base.Add(time.Duration(i)*10*time.Millisecond)),
				benchMsg).Scan(&id); err != nil {
				return err
			}
			if i == 0 {
				first = id
			}
			last = id
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return first, last
}

// BenchmarkAppendArchive: one message archived (one committed write
// transaction), into an archive that already holds 100k messages.
func BenchmarkAppendArchive(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	base := time.Now().Add(-time.Hour)
	archiveFill(b, s, "a@x", 100_000, 20, base)
	m := store.ArchivedMessage{With: "c1@x", At: time.Now(), Stanza: benchMsg}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.AppendArchive(ctx, "a@x", m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQueryArchive pages (50 a page, with the count) through an
// archive of 100k messages with 20 correspondents (5k each), in a
// database where 9 other users have 20k messages each. The "no index"
// cases drop the index that serves them first, to show what it buys.
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
		n    int // messages in the page
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
	run := func(name string, q store.ArchiveQuery, n int) {
		q.Max = 50
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := s.QueryArchive(ctx, "a@x", q)
				if err != nil || len(p.Messages) != n {
					b.Fatal(len(p.Messages), err)
				}
			}
		})
	}
	for _, c := range cases {
		run(c.name, c.q, c.n)
	}
	for _, drop := range []struct{ index, run string }{{"archive_owner_with", "with/last"}, {"archive_owner_at", "start/last-minute"}} {
		if _, err := s.w.Exec(`DROP INDEX ` + drop.index); err != nil {
			b.Fatal(err)
		}
		for _, c := range cases {
			if c.name == drop.run {
				run(c.name+"/no-"+drop.index, c.q, c.n)
			}
		}
	}
}
