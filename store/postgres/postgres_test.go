package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/parley-im/parley/internal/pgtest"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/storetest"
)

func open(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newDSN is a fresh, empty schema on the test process's PostgreSQL.
func newDSN(t testing.TB) string { return pgtest.Shared(t).NewSchema(t) }

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, newDSN(t)) })
}

// One schema history: a PostgreSQL migration for every SQLite one, with
// the same version and name.
func TestMigrationsMirrorSQLite(t *testing.T) {
	names := func(fsys fs.FS) []string {
		entries, err := fs.ReadDir(fsys, ".")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".sql") {
				out = append(out, e.Name())
			}
		}
		return out
	}
	pg, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	want, got := names(os.DirFS("../sqlite/migrations")), names(pg)
	if !slices.Equal(got, want) {
		t.Fatalf("PostgreSQL migrations %v\nSQLite migrations     %v\nevery SQLite migration needs its PostgreSQL twin (same file name)", got, want)
	}
}

// Nodes of a cluster start at the same moment on a new database: every
// Open succeeds and the schema is created once.
func TestConcurrentOpenOfNewSchema(t *testing.T) {
	for round := range 5 {
		dsn := newDSN(t)
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := Open(context.Background(), dsn, Options{MaxConns: 2})
				if err != nil {
					t.Errorf("round %d, store %d: %v", round, i, err)
					return
				}
				defer s.Close()
				if err := s.CreateUser(context.Background(), store.User{JID: fmt.Sprintf("u%d@x", i)}); err != nil {
					t.Errorf("round %d, store %d: %v", round, i, err)
				}
			}()
		}
		wg.Wait()
	}
}

// Two Stores on one database stand for two nodes: both write at once,
// the offline quota holds across them, each sees all of the other's rows.
func TestTwoStoresOneDatabase(t *testing.T) {
	ctx := context.Background()
	dsn := newDSN(t)
	a, b := open(t, dsn), open(t, dsn)
	defer a.Close()
	defer b.Close()
	if err := a.CreateUser(ctx, store.User{JID: "owner@x"}); err != nil {
		t.Fatal(err)
	}
	const n, quota = 50, 30
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
	for name, st := range map[string]*Store{"a": a, "b": b} {
		run(func(i int) error { return st.CreateUser(ctx, store.User{JID: fmt.Sprintf("%s%d@x", name, i)}) })
		run(func(i int) error {
			_, err := st.PutRosterItem(ctx, "owner@x", store.RosterItem{Contact: fmt.Sprintf("%s%d@x", name, i), Subscription: store.SubNone})
			return err
		})
		run(func(int) error {
			return st.StoreOffline(ctx, "owner@x", []byte("<message/>"), store.OfflineLimits{Messages: quota})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, st := range []*Store{a, b} {
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
	dsn := newDSN(t)
	s := open(t, dsn)
	defer s.Close()
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub)
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
	s := open(t, newDSN(t))
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

// A DSN with a password: errors never show it.
func TestOpenErrorHidesPassword(t *testing.T) {
	srv := pgtest.Shared(t)
	dsn := fmt.Sprintf("postgres://nobody:s3cretpw@%s:%d/nowhere?sslmode=disable&connect_timeout=5", srv.Host, srv.Port)
	_, err := Open(context.Background(), dsn, Options{})
	if err == nil {
		t.Fatal("Open with an unknown role succeeded")
	}
	if strings.Contains(err.Error(), "s3cretpw") {
		t.Fatalf("error shows the password: %v", err)
	}
	_, err = Open(context.Background(), "postgres://u:s3cretpw@[bad", Options{})
	if err == nil || strings.Contains(err.Error(), "s3cretpw") {
		t.Fatalf("parse error %v: want an error without the password", err)
	}
}
