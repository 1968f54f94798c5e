package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/storetest"
)

func open(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "sub", "dir", "parley.db"))
	})
}

func TestSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "parley.db")
	s := open(t, path)
	s.CreateUser(ctx, store.User{JID: "a@x"})
	s.PutRosterItem(ctx, "a@x", store.RosterItem{Contact: "b@x", Subscription: store.SubBoth, Groups: []string{"g"}})
	s.StoreOffline(ctx, "a@x", []byte("<message/>"), 0)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path) // migrations run again: idempotent
	defer s.Close()
	items, ver, err := s.Roster(ctx, "a@x")
	if err != nil || len(items) != 1 || ver != 1 || items[0].Groups[0] != "g" {
		t.Fatalf("roster after reopen: %v %d %v", items, ver, err)
	}
	if n, _ := s.CountOffline(ctx, "a@x"); n != 1 {
		t.Fatalf("offline after reopen: %d", n)
	}
}

// The CLI writes to the database while the server does: two stores on
// one file must both succeed without SQLITE_BUSY errors.
func TestTwoProcessesOneFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "parley.db")
	server, cli := open(t, path), open(t, path)
	defer server.Close()
	defer cli.Close()
	server.CreateUser(ctx, store.User{JID: "owner@x"})
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range 100 {
			errs <- cli.CreateUser(ctx, store.User{JID: fmt.Sprintf("u%d@x", i)})
		}
	}()
	go func() {
		defer wg.Done()
		for i := range 100 {
			_, err := server.PutRosterItem(ctx, "owner@x", store.RosterItem{Contact: fmt.Sprintf("c%d@x", i), Subscription: store.SubNone})
			errs <- err
			errs <- server.StoreOffline(ctx, "owner@x", []byte("<message/>"), 0)
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	users, _ := server.ListUsers(ctx, "x")
	items, _, _ := cli.Roster(ctx, "owner@x")
	if len(users) != 101 || len(items) != 100 {
		t.Fatalf("users %d items %d", len(users), len(items))
	}
}

func BenchmarkStoreOffline(b *testing.B) {
	ctx := context.Background()
	s := open(b, filepath.Join(b.TempDir(), "parley.db"))
	defer s.Close()
	s.CreateUser(ctx, store.User{JID: "a@x"})
	msg := []byte("<message from='b@x/r' to='a@x' type='chat'><body>Hello, how are you doing today?</body></message>")
	b.ReportAllocs()
	for range b.N {
		if err := s.StoreOffline(ctx, "a@x", msg, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRoster(b *testing.B) {
	ctx := context.Background()
	s := open(b, filepath.Join(b.TempDir(), "parley.db"))
	defer s.Close()
	s.CreateUser(ctx, store.User{JID: "a@x"})
	for i := range 100 {
		s.PutRosterItem(ctx, "a@x", store.RosterItem{Contact: fmt.Sprintf("c%d@x", i), Subscription: store.SubBoth, Groups: []string{"Team"}})
	}
	b.ReportAllocs()
	for range b.N {
		if items, _, err := s.Roster(ctx, "a@x"); err != nil || len(items) != 100 {
			b.Fatal(err)
		}
	}
}

func BenchmarkUserLookup(b *testing.B) {
	ctx := context.Background()
	s := open(b, filepath.Join(b.TempDir(), "parley.db"))
	defer s.Close()
	s.CreateUser(ctx, store.User{JID: "a@x"})
	b.ReportAllocs()
	for range b.N {
		if _, err := s.User(ctx, "a@x"); err != nil {
			b.Fatal(err)
		}
	}
}
