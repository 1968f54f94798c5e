package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

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
		return open(t, filepath.Join(t.TempDir(), "parley.db"))
	})
}

func TestOpenCreatesDirectoryAndPrivateFile(t *testing.T) {
	// Characters that mean something in a SQLite URI, in the directory name.
	path := filepath.Join(t.TempDir(), "data dir?x=1#frag%41", "sub", "parley.db")
	s := open(t, path)
	defer s.Close()
	if err := s.CreateUser(context.Background(), store.User{JID: "a@x"}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("database not at %s: %v", path, err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("database mode %v, want no group/other access", fi.Mode().Perm())
	}
}

func TestSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "parley.db")
	created := time.Date(2026, 5, 6, 7, 8, 9, 10_000_000, time.UTC)
	s := open(t, path)
	if err := s.CreateUser(ctx, store.User{JID: "a@x", SHA256: store.SCRAMCredential{Salt: []byte("salt"), Iterations: 4096,
		StoredKey: []byte("stored"), ServerKey: []byte("server")}, CreatedAt: created}); err != nil {
		t.Fatal(err)
	}
	v, err := s.PutRosterItem(ctx, "a@x", store.RosterItem{Contact: "b@x", Subscription: store.SubBoth, Groups: []string{"g"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		s.StoreOffline(ctx, "a@x", []byte("<message/>"), store.OfflineLimits{}),
		s.PutSubscriptionRequest(ctx, "a@x", store.SubscriptionRequest{From: "c@x", Stanza: []byte("<presence/>")}),
		s.SetLastPresence(ctx, "a@x", []byte("<presence type='unavailable'/>"), created),
		s.Close(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}

	s = open(t, path) // the migrations run again: nothing to do
	defer s.Close()
	u, err := s.User(ctx, "a@x")
	if err != nil || string(u.SHA256.StoredKey) != "stored" || !u.CreatedAt.Equal(created) {
		t.Fatalf("user after reopen: %+v %v", u, err)
	}
	items, ver, err := s.Roster(ctx, "a@x")
	if err != nil || len(items) != 1 || ver != v || items[0].Groups[0] != "g" {
		t.Fatalf("roster after reopen: %v %d %v", items, ver, err)
	}
	if n, _ := s.CountOffline(ctx, "a@x"); n != 1 {
		t.Fatalf("offline after reopen: %d", n)
	}
	if reqs, _ := s.SubscriptionRequests(ctx, "a@x"); len(reqs) != 1 {
		t.Fatalf("requests after reopen: %v", reqs)
	}
	if _, at, err := s.LastPresence(ctx, "a@x"); err != nil || !at.Equal(created) {
		t.Fatalf("last presence after reopen: %v %v", at, err)
	}
}

// The server and `parley user add` start at the same moment on a new
// data directory: every Open succeeds and the schema is created once.
func TestConcurrentOpenOfNewFile(t *testing.T) {
	for round := range 10 {
		path := filepath.Join(t.TempDir(), "parley.db")
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := Open(context.Background(), path)
				if err != nil {
					t.Errorf("round %d, store %d: %v", round, i, err)
					return
				}
				if err := s.CreateUser(context.Background(), store.User{JID: fmt.Sprintf("u%d@x", i)}); err != nil {
					t.Errorf("round %d, store %d: %v", round, i, err)
				}
				s.Close()
			}()
		}
		wg.Wait()
	}
}

// Two Stores on one file stand for two processes (the CLI writing while
// the server does): both write at once, nothing fails with SQLITE_BUSY,
// and each sees all of the other's rows.
func TestTwoStoresOneFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "parley.db")
	server, cli := open(t, path), open(t, path)
	defer server.Close()
	defer cli.Close()
	if err := server.CreateUser(ctx, store.User{JID: "owner@x"}); err != nil {
		t.Fatal(err)
	}
	const n, quota = 100, 30
	var wg sync.WaitGroup
	errs := make(chan error, 10*n)
	run := func(fn func(i int) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				if err := fn(i); err != nil && !errors.Is(err, store.ErrQuotaExceeded) {
					errs <- err
				}
			}
		}()
	}
	for _, st := range []*Store{server, cli} {
		name := "server"
		if st == cli {
			name = "cli"
		}
		run(func(i int) error { return st.CreateUser(ctx, store.User{JID: fmt.Sprintf("%s%d@x", name, i)}) })
		run(func(i int) error {
			_, err := st.PutRosterItem(ctx, "owner@x", store.RosterItem{Contact: fmt.Sprintf("%s%d@x", name, i), Subscription: store.SubNone})
			return err
		})
		run(func(int) error {
			return st.StoreOffline(ctx, "owner@x", []byte("<message/>"), store.OfflineLimits{Messages: quota})
		})
		run(func(int) error { _, _, err := st.Roster(ctx, "owner@x"); return err })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, st := range []*Store{server, cli} {
		users, err := st.ListUsers(ctx, "x")
		if err != nil || len(users) != 2*n+1 {
			t.Fatalf("%d users, %v", len(users), err)
		}
		items, ver, err := st.Roster(ctx, "owner@x")
		if err != nil || len(items) != 2*n || ver != 2*n {
			t.Fatalf("%d roster items, version %d, %v", len(items), ver, err)
		}
		if c, _ := st.CountOffline(ctx, "owner@x"); c != quota {
			t.Fatalf("%d offline messages with a quota of %d", c, quota)
		}
	}
}

// The Down half of every migration works, and Up re-applies cleanly.
func TestMigrationsDownUp(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "parley.db")
	s := open(t, path)
	defer s.Close()
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, s.w, sub)
	if err != nil {
		t.Fatal(err)
	}
	latest, err := p.GetDBVersion(ctx)
	if err != nil || latest == 0 {
		t.Fatalf("version %d, %v", latest, err)
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.User(ctx, "a@x"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Fatalf("users table still there after down: %v", err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if v, _ := p.GetDBVersion(ctx); v != latest {
		t.Fatalf("version %d after up, want %d", v, latest)
	}
	if err := s.CreateUser(ctx, store.User{JID: "a@x"}); err != nil {
		t.Fatal(err)
	}
}

func TestCanceledContext(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "parley.db"))
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.CreateUser(ctx, store.User{JID: "a@x"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("CreateUser with a canceled context: %v", err)
	}
	if _, err := s.User(context.Background(), "a@x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a canceled CreateUser stored the user: %v", err)
	}
}

// The login's keyed reads run without their context's cancellation
// (uncancelled), but a context already done still fails them, and a
// live cancellable one reads as before.
func TestKeyedReadsHonourDoneContext(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "parley.db"))
	defer s.Close()
	live, stop := context.WithCancel(context.Background())
	defer stop()
	if err := s.CreateUser(live, store.User{JID: "a@x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutRosterItem(live, "a@x", store.RosterItem{Contact: "b@x", Subscription: store.SubBoth}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLastPresence(live, "a@x", []byte("<presence type='unavailable'/>"), time.Now()); err != nil {
		t.Fatal(err)
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	reads := map[string]func(context.Context) error{
		"User":                 func(ctx context.Context) error { _, err := s.User(ctx, "a@x"); return err },
		"Roster":               func(ctx context.Context) error { _, _, err := s.Roster(ctx, "a@x"); return err },
		"LastPresence":         func(ctx context.Context) error { _, _, err := s.LastPresence(ctx, "a@x"); return err },
		"LastPresences":        func(ctx context.Context) error { _, err := s.LastPresences(ctx, []string{"a@x"}); return err },
		"SubscriptionRequests": func(ctx context.Context) error { _, err := s.SubscriptionRequests(ctx, "a@x"); return err },
		"OfflinePage":          func(ctx context.Context) error { _, err := s.OfflinePage(ctx, "a@x", 0, 10, 0); return err },
		"VCard": func(ctx context.Context) error {
			if _, err := s.VCard(ctx, "a@x"); !errors.Is(err, store.ErrNotFound) {
				return err
			}
			return nil
		},
	}
	for name, read := range reads {
		if err := read(done); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: %v", name, err)
		}
		if err := read(live); err != nil {
			t.Errorf("%s with a live context: %v", name, err)
		}
	}
}

// A database from before the usage tables (00021) gets them filled from
// what it stores.
func TestUsageMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "parley.db")
	s := open(t, path)
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, s.w, sub, goose.WithAllowOutofOrder(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO users (jid, sha1_salt, sha1_iter, sha1_stored, sha1_server, sha256_salt, sha256_iter, sha256_stored, sha256_server, created_at)
			VALUES ('a@x', x'', 0, x'', x'', x'', 0, x'', x'', 0)`,
		`INSERT INTO offline_messages (owner, stanza, stored_at) VALUES ('a@x', '12345', 0), ('a@x', '1234567890', 0)`,
		`INSERT INTO archive (owner, with_jid, at, stanza) VALUES ('a@x', 'b@x', 1, '123'), ('a@x', 'b@x', 2, '1234')`,
	} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s = open(t, path) // migrates up
	defer s.Close()
	if u, err := s.OfflineUsage(ctx, "a@x"); err != nil || u != (store.Usage{Messages: 2, Bytes: 15}) {
		t.Fatalf("offline usage %+v, %v", u, err)
	}
	if u, err := s.ArchiveUsage(ctx, "a@x"); err != nil || u != (store.Usage{Messages: 2, Bytes: 7}) {
		t.Fatalf("archive usage %+v, %v", u, err)
	}
	if page, err := s.QueryArchive(ctx, "a@x", store.ArchiveQuery{Max: 10}); err != nil || page.Count != 2 {
		t.Fatalf("archive after the migration: %+v, %v", page, err)
	}
}

// Archive usage counted in memory and lost with its process is counted
// by the next process that writes the archive.
func TestArchiveUsageRecoveredAfterCrash(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "parley.db")
	first := open(t, path)
	if err := first.CreateUser(ctx, store.User{JID: "a@x"}); err != nil {
		t.Fatal(err)
	}
	batch := func(base int64, n int) []store.ArchiveAppend {
		var out []store.ArchiveAppend
		for i := range n {
			out = append(out, store.ArchiveAppend{Owner: "a@x", Message: store.ArchivedMessage{ID: strconv.FormatInt(base+int64(i), 10),
				With: "b@x", At: time.Now(), Stanza: []byte("<message>1234567890</message>")}})
		}
		return out
	}
	if _, err := first.AppendArchiveBatch(ctx, batch(1000, 3)); err != nil {
		t.Fatal(err)
	}
	if u, _ := first.ArchiveUsage(ctx, "a@x"); u != (store.Usage{Messages: 3, Bytes: 87}) {
		t.Fatalf("usage while pending: %+v", u)
	}
	// The process dies: its pools go without Close (which would flush).
	first.r.Close()
	first.w.Close()

	second := open(t, path)
	defer second.Close()
	if _, err := second.AppendArchiveBatch(ctx, batch(2000, 1)); err != nil {
		t.Fatal(err)
	}
	if u, _ := second.ArchiveUsage(ctx, "a@x"); u != (store.Usage{Messages: 4, Bytes: 116}) {
		t.Fatalf("usage after the next writer started: %+v, want the dead writer's 3 messages counted", u)
	}
	// Deletions take off what was counted.
	if _, err := second.PruneArchive(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if u, _ := second.ArchiveUsage(ctx, "a@x"); u != (store.Usage{}) {
		t.Fatalf("usage after pruning everything: %+v", u)
	}
}
