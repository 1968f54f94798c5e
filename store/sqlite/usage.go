package sqlite

import (
	"context"
	"database/sql"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/parley-im/parley/store"
)

// archiveUsage counts archive inserts in memory and writes them to
// archive_usage every usageFlushEvery (00021_storage_usage.sql): on the
// message path one archive_usage update per row, or per owner and
// batch, cost as much as an index insertion. ArchiveUsage adds what is
// pending to what is stored, so it is exact at every moment.
//
// archive_usage_state.through is the greatest archive id counted in
// archive_usage; rows above it are in pending. Deletions (retention,
// account deletion, import) first flush, so the rows they delete are
// counted, and the delete trigger takes them off. A process that dies
// with rows pending leaves rows above through that nobody counts: the
// next Store that writes the archive counts them first (recover). Only
// one process writes archives (the server); others (the CLI) never
// recover, and flush nothing.
//
// mu guards the fields below and is never held while waiting for the
// database: ArchiveUsage, on the message path (the quota), reads the
// stored row without it, and retries if a flush committed meanwhile (gen
// changed) -- the same rows are never counted both pending and stored.
// flushMu makes flushes (and the recovery) one at a time.
type archiveUsage struct {
	flushMu sync.Mutex

	mu        sync.Mutex
	pending   map[string]store.Usage
	through   int64 // greatest id inserted by this Store (pending or stored)
	flushed   time.Time
	recovered bool
	gen       uint64        // flushes committed
	flushing  chan struct{} // while a flush's transaction runs; closed when it ends
}

// usageFlushEvery is how often pending archive usage is written: the
// rows a crash leaves to recover are at most this old.
const usageFlushEvery = 5 * time.Second

// upsertArchiveUsage adds to an owner's archive_usage row, unless the
// owner was deleted meanwhile (by another process).
const upsertArchiveUsage = `INSERT INTO archive_usage (owner, messages, bytes)
	SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM users WHERE jid = ?1)
	ON CONFLICT (owner) DO UPDATE SET messages = messages + excluded.messages, bytes = bytes + excluded.bytes`

// recoverArchiveUsage counts the rows a dead writer left uncounted, once,
// before this Store's first archive write.
func (s *Store) recoverArchiveUsage(ctx context.Context) error {
	s.au.mu.Lock()
	recovered := s.au.recovered
	s.au.mu.Unlock()
	if recovered {
		return nil
	}
	s.au.flushMu.Lock()
	defer s.au.flushMu.Unlock()
	s.au.mu.Lock()
	recovered = s.au.recovered
	s.au.mu.Unlock()
	if recovered {
		return nil
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var through int64
		if err := tx.QueryRowContext(ctx, `SELECT through FROM archive_usage_state`).Scan(&through); err != nil {
			return wrap(err, "archive usage state")
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO archive_usage (owner, messages, bytes)
			SELECT owner, COUNT(*), SUM(length(stanza)) FROM archive WHERE id > ? GROUP BY owner
			ON CONFLICT (owner) DO UPDATE SET messages = messages + excluded.messages, bytes = bytes + excluded.bytes`, through)
		if err != nil {
			return wrap(err, "recover archive usage")
		}
		_, err = tx.ExecContext(ctx, `UPDATE archive_usage_state SET through = max(through, (SELECT COALESCE(MAX(id), 0) FROM archive))`)
		return wrap(err, "recover archive usage")
	})
	if err == nil {
		s.au.mu.Lock()
		s.au.recovered = true
		s.au.flushed = time.Now()
		s.au.gen++ // the stored rows changed
		s.au.mu.Unlock()
	}
	return err
}

// addArchiveUsage records what a committed archive write added; it
// flushes when due.
func (s *Store) addArchiveUsage(ctx context.Context, added map[string]store.Usage, maxID int64) error {
	s.au.mu.Lock()
	if s.au.pending == nil {
		s.au.pending = make(map[string]store.Usage)
	}
	for owner, u := range added {
		p := s.au.pending[owner]
		p.Messages += u.Messages
		p.Bytes += u.Bytes
		s.au.pending[owner] = p
	}
	s.au.through = max(s.au.through, maxID)
	due := time.Since(s.au.flushed) >= usageFlushEvery
	s.au.mu.Unlock()
	if due {
		return s.flushArchiveUsage(ctx)
	}
	return nil
}

// flushArchiveUsage writes pending archive usage (a small transaction:
// one row per owner that wrote). What is added meanwhile stays pending.
func (s *Store) flushArchiveUsage(ctx context.Context) error {
	s.au.flushMu.Lock()
	defer s.au.flushMu.Unlock()
	s.au.mu.Lock()
	if len(s.au.pending) == 0 {
		s.au.mu.Unlock()
		return nil
	}
	snap, through := maps.Clone(s.au.pending), s.au.through
	done := make(chan struct{})
	s.au.flushing = done
	s.au.mu.Unlock()

	err := s.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, upsertArchiveUsage)
		if err != nil {
			return wrap(err, "archive usage")
		}
		defer st.Close()
		for _, owner := range slices.Sorted(maps.Keys(snap)) {
			u := snap[owner]
			if _, err := st.ExecContext(ctx, owner, u.Messages, u.Bytes); err != nil {
				return wrap(err, "archive usage of %s", owner)
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE archive_usage_state SET through = max(through, ?)`, through)
		return wrap(err, "archive usage state")
	})

	s.au.mu.Lock()
	defer s.au.mu.Unlock()
	if err == nil {
		for owner, u := range snap {
			p := s.au.pending[owner]
			p.Messages -= u.Messages
			p.Bytes -= u.Bytes
			if p == (store.Usage{}) {
				delete(s.au.pending, owner)
			} else {
				s.au.pending[owner] = p
			}
		}
		s.au.flushed = time.Now()
		s.au.gen++
	}
	s.au.flushing = nil
	close(done)
	return err
}

// ArchiveUsage implements store.Archive: the stored row plus what this
// Store has pending.
func (s *Store) ArchiveUsage(ctx context.Context, owner string) (store.Usage, error) {
	for {
		s.au.mu.Lock()
		if wait := s.au.flushing; wait != nil {
			s.au.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return store.Usage{}, ctx.Err()
			}
		}
		gen, p := s.au.gen, s.au.pending[owner]
		s.au.mu.Unlock()
		u, err := s.usage(ctx, "archive_usage", owner)
		if err != nil {
			return u, err
		}
		s.au.mu.Lock()
		stable := s.au.gen == gen && s.au.flushing == nil
		s.au.mu.Unlock()
		if stable {
			return store.Usage{Messages: u.Messages + p.Messages, Bytes: u.Bytes + p.Bytes}, nil
		}
	}
}
