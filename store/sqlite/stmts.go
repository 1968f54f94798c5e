package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// stmts prepares each distinct read query once (database/sql then
// prepares it again on each pooled connection as needed, and keeps it):
// without it every query is parsed anew, which was a fifth of the
// server's CPU in a login storm (profiled: sqlite3Prepare).
type stmts struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// maxStmts bounds the cache; queries are literals or built from a few
// fixed shapes, so this is never reached in practice.
const maxStmts = 256

func newStmts(db *sql.DB) *stmts { return &stmts{db: db, m: make(map[string]*sql.Stmt)} }

func (c *stmts) get(ctx context.Context, query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st
	}
	if len(c.m) >= maxStmts {
		return nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil // the unprepared query reports the error
	}
	c.m[query] = st
	return st
}

// QueryContext is (*sql.DB).QueryContext through the cache.
func (c *stmts) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := c.get(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.db.QueryContext(ctx, query, args...)
}

// QueryRowContext is (*sql.DB).QueryRowContext through the cache.
func (c *stmts) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := c.get(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.db.QueryRowContext(ctx, query, args...)
}

// Close releases the prepared statements (before the database closes).
func (c *stmts) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.m {
		errs = append(errs, st.Close())
		delete(c.m, q)
	}
	return errors.Join(errs...)
}

// uncancelled returns the context for a read that finds a few rows by
// key (an account's credentials, a roster, last presences, a vCard): ctx's error
// if it is already done, else ctx without its cancellation. Such a read
// takes microseconds and cannot usefully be interrupted, while a
// cancellable context makes database/sql and the driver each start a
// goroutine to watch it, for every query (a login's reads,
// BenchmarkLoginReads: ~100 µs with them, 68-83 µs without).
func uncancelled(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return context.WithoutCancel(ctx), nil
}
