package muc

import (
	"context"
	"slices"
	"testing"
	"time"
)

// One querier's archive answers run one at a time, in order, and at most
// maxWaitingQueries wait behind the running one; another querier's run
// beside them.
func TestStreamToOrderAndBound(t *testing.T) {
	s := New(Config{})
	started, release := make(chan struct{}), make(chan struct{})
	if !s.streamTo("bob@x/a", func() { close(started); <-release }) {
		t.Fatal("first job refused")
	}
	<-started
	done := make(chan int, maxWaitingQueries)
	for i := range maxWaitingQueries {
		if !s.streamTo("bob@x/a", func() { done <- i }) {
			t.Fatalf("job %d refused with %d waiting", i, i)
		}
	}
	if s.streamTo("bob@x/a", func() {}) {
		t.Fatal("a job accepted beyond maxWaitingQueries")
	}
	other := make(chan struct{})
	if !s.streamTo("carol@x/a", func() { close(other) }) {
		t.Fatal("another querier's job refused")
	}
	select {
	case <-other:
	case <-time.After(10 * time.Second):
		t.Fatal("another querier waits behind bob's queries")
	}
	close(release)
	var order []int
	for range maxWaitingQueries {
		order = append(order, <-done)
	}
	if !slices.IsSorted(order) {
		t.Fatalf("jobs ran in the order %v", order)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.Stop(ctx)
	if ctx.Err() != nil {
		t.Fatal("Stop did not see the streams end")
	}
	s.streamMu.Lock()
	defer s.streamMu.Unlock()
	if len(s.streamJobs) != 0 {
		t.Fatalf("queues left: %v", s.streamJobs)
	}
}
