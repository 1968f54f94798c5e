package mam

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
)

// gatedStore is an archive whose batch writes wait for the test: each
// AppendArchiveBatch call takes one value from gate (an error to fail
// the batch with, or nil), so the test decides when and how batches
// end, until open lets every batch through.
type gatedStore struct {
	*memory.Store
	gate     chan error
	opened   chan struct{}
	openOnce sync.Once
	mu       sync.Mutex
	batches  [][]store.ArchiveAppend
}

func (g *gatedStore) open() { g.openOnce.Do(func() { close(g.opened) }) }

func (g *gatedStore) AppendArchiveBatch(ctx context.Context, batch []store.ArchiveAppend) ([]error, error) {
	select {
	case err := <-g.gate:
		if err != nil {
			return nil, err
		}
	case <-g.opened:
	}
	g.mu.Lock()
	g.batches = append(g.batches, batch)
	g.mu.Unlock()
	return g.Store.AppendArchiveBatch(ctx, batch)
}

func newGated(t *testing.T, quota int64, owners ...string) (*writer, *gatedStore) {
	t.Helper()
	g := &gatedStore{Store: memory.New(), gate: make(chan error), opened: make(chan struct{})}
	for _, o := range owners {
		if err := g.CreateUser(context.Background(), store.User{JID: o}); err != nil {
			t.Fatal(err)
		}
	}
	w := newWriter(g, slog.New(slog.DiscardHandler), time.Now, quota, 0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		g.open()
		<-done
	})
	return w, g
}

func msg(n int) store.ArchivedMessage {
	return store.ArchivedMessage{With: "b@x", Stanza: make([]byte, n)}
}

// sync returns only once the batch holding what was queued before it
// is stored; a failed batch is retried, not dropped.
func TestWriterSyncWaitsForTheCommitAndRetries(t *testing.T) {
	w, g := newGated(t, 0, "a@x")
	ctx := context.Background()
	id, err := w.append(ctx, "a@x", msg(10))
	if err != nil {
		t.Fatal(err)
	}
	synced := make(chan error, 1)
	go func() { synced <- w.sync(ctx) }()
	g.gate <- errors.New("disk full") // the first try fails
	select {
	case err := <-synced:
		t.Fatalf("sync returned (%v) though nothing was stored", err)
	default:
	}
	g.gate <- nil // the retry is stored
	if err := <-synced; err != nil {
		t.Fatal(err)
	}
	page, _ := g.QueryArchive(ctx, "a@x", store.ArchiveQuery{Max: 10})
	if page.Count != 1 || page.Messages[0].ID != id {
		t.Fatalf("after sync the archive holds %+v, want message %s", page, id)
	}
	// A message's time is its ID's.
	n, _ := strconv.ParseInt(id, 10, 64)
	if !page.Messages[0].At.Equal(IDTime(n)) {
		t.Fatalf("archive time %v for id %s", page.Messages[0].At, id)
	}
	// sync with ctx ending first reports it.
	w.append(ctx, "a@x", msg(10))
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := w.sync(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("sync with a canceled context: %v", err)
	}
}

// The queue is bounded in bytes: an append that does not fit waits for
// the writer (back-pressure), or gives up with its context.
func TestWriterQueueBoundedInBytes(t *testing.T) {
	w, g := newGated(t, 0, "a@x")
	ctx := context.Background()
	// The writer takes the first message and blocks on the gate with it.
	if _, err := w.append(ctx, "a@x", msg(10)); err != nil {
		t.Fatal(err)
	}
	xmppWait(t, "the writer to take its first batch", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return len(w.queue) == 0
	})
	// Fill the queue to its byte bound.
	big := queueBytes / 4
	for range 4 {
		if _, err := w.append(ctx, "a@x", msg(big)); err != nil {
			t.Fatal(err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	appended := make(chan error, 1)
	go func() {
		_, err := w.append(cctx, "a@x", msg(big))
		appended <- err
	}()
	cancel()
	if err := <-appended; !errors.Is(err, context.Canceled) {
		t.Fatalf("append to a full queue: %v, want it to wait until its context ends", err)
	}
	// Once the writer moves on, appends fit again.
	go func() {
		_, err := w.append(ctx, "a@x", msg(big))
		appended <- err
	}()
	g.open()
	if err := <-appended; err != nil {
		t.Fatal(err)
	}
	if err := w.sync(ctx); err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, b := range g.batches {
		size := 0
		for _, a := range b {
			size += len(a.Message.Stanza)
		}
		if len(b) > 1 && size > maxBatchBytes {
			t.Fatalf("a batch of %d messages holds %d bytes, over %d", len(b), size, maxBatchBytes)
		}
	}
}

// The quota counts what is stored and what is queued; a refused
// message takes nothing.
func TestWriterQuota(t *testing.T) {
	w, g := newGated(t, 100, "a@x", "b@x")
	ctx := context.Background()
	for _, n := range []int{40, 40} {
		if _, err := w.append(ctx, "a@x", msg(n)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.append(ctx, "a@x", msg(30)); !errors.Is(err, ErrQuota) {
		t.Fatalf("past the quota with messages still queued: %v", err)
	}
	if _, err := w.append(ctx, "b@x", msg(30)); err != nil {
		t.Fatalf("another owner: %v", err)
	}
	if _, err := w.append(ctx, "a@x", msg(20)); err != nil {
		t.Fatalf("exactly up to the quota: %v", err)
	}
	g.open()
	if err := w.sync(ctx); err != nil {
		t.Fatal(err)
	}
	if u, _ := g.ArchiveUsage(ctx, "a@x"); u.Bytes != 100 {
		t.Fatalf("a's archive holds %d bytes, want 100", u.Bytes)
	}
	if _, err := w.append(ctx, "a@x", msg(1)); !errors.Is(err, ErrQuota) {
		t.Fatalf("past the quota once stored: %v", err)
	}
}

// xmppWait polls cond (state with no event to wait on), failing after
// five seconds.
func xmppWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
