package portable

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/sasl"
)

// ImportOptions tune Import. The zero value is usable.
type ImportOptions struct {
	// Replace overwrites existing accounts (with everything they own)
	// instead of skipping them.
	Replace bool
	// IsLocal reports whether the server serves a domain; users of other
	// hosts are imported anyway, with a warning. nil: all are.
	IsLocal func(domain string) bool
	// Warn receives each warning (ignored data, skipped users, ...).
	Warn func(msg string)
	// Iterations is the PBKDF2 count for credentials derived from
	// clear-text passwords; 0 means sasl.DefaultIterations.
	Iterations int
	// BatchSize is the number of accounts per store transaction; 0 means
	// DefaultBatchSize.
	BatchSize int
	// Workers bounds the goroutines deriving SCRAM keys; 0 means
	// GOMAXPROCS.
	Workers int
	// Now stamps new accounts and undated offline messages; nil: time.Now.
	Now func() time.Time
}

// DefaultBatchSize is the number of accounts Import writes per
// transaction unless told otherwise.
const DefaultBatchSize = 1000

// maxErrors is how many input errors the checking pass reports at most.
const maxErrors = 20

// Summary counts what an import wrote (skipped users not included) or an
// export read.
type Summary struct {
	Users       int
	RosterItems int
	Offline     int // offline messages
	VCards      int
	Requests    int // pending subscription requests
	Skipped     int // existing users left alone
	Derived     int // users whose SCRAM keys were derived from a clear-text password
}

func (s Summary) String() string {
	return fmt.Sprintf("%d users, %d roster items, %d offline messages, %d vcards, %d subscription requests, %d skipped",
		s.Users, s.RosterItems, s.Offline, s.VCards, s.Requests, s.Skipped)
}

// Import reads XEP-0227 files (each with <server-data/>, <host/> as
// root; XIncludes are followed) into st.
//
// It reads the input twice. The first pass only checks it: on any error
// (reported with file, line and column, up to 20 of them) nothing is
// written. The second pass writes accounts in transactions of BatchSize,
// deriving SCRAM keys for clear-text passwords in parallel meanwhile;
// if the store fails then, the batches already written stay.
func Import(ctx context.Context, st store.Importer, files []string, opt ImportOptions) (Summary, error) {
	if opt.Warn == nil {
		opt.Warn = func(string) {}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = DefaultBatchSize
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.Iterations == 0 {
		opt.Iterations = sasl.DefaultIterations
	}
	if opt.Iterations < sasl.MinIterations {
		return Summary{}, fmt.Errorf("portable: %d PBKDF2 iterations is below the minimum %d", opt.Iterations, sasl.MinIterations)
	}
	if err := check(ctx, files, opt); err != nil {
		return Summary{}, err
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	read := make(chan []*record, 1)
	derived := make(chan []*record, 1)
	go func() { // reads the input into batches
		defer close(read)
		quiet := &reader{now: opt.Now, warn: func(pos, string) {}}
		batch := make([]*record, 0, opt.BatchSize)
		err := walkAll(files, func(u userElem) error {
			rec, err := quiet.record(u)
			if err != nil {
				return err
			}
			if batch = append(batch, rec); len(batch) == opt.BatchSize {
				select {
				case read <- batch:
				case <-ctx.Done():
					return context.Cause(ctx)
				}
				batch = make([]*record, 0, opt.BatchSize)
			}
			return nil
		}, func(pos, string) {})
		if err == nil && len(batch) > 0 {
			select {
			case read <- batch:
			case <-ctx.Done():
			}
		}
		if err != nil {
			cancel(err)
		}
	}()
	go func() { // derives keys, a batch at a time, in order
		defer close(derived)
		for batch := range read {
			derive(batch, opt.Workers, opt.Iterations)
			select {
			case derived <- batch:
			case <-ctx.Done():
				return
			}
		}
	}()

	var sum Summary
	for batch := range derived {
		if err := context.Cause(ctx); err != nil {
			break
		}
		accts := make([]store.Account, len(batch))
		for i, r := range batch {
			accts[i] = r.acct
		}
		skipped, err := st.ImportAccounts(ctx, accts, opt.Replace)
		if err != nil {
			cancel(err)
			break
		}
		sum.add(batch, skipped, opt.Warn)
	}
	for range derived { // let the stages end
	}
	if err := context.Cause(ctx); err != nil {
		if sum.Users > 0 {
			return sum, fmt.Errorf("%w (%d users were imported before the error; run again to import the rest, existing users are skipped)", err, sum.Users)
		}
		return sum, err
	}
	return sum, nil
}

func (s *Summary) add(batch []*record, skipped []string, warn func(string)) {
	skip := make(map[string]bool, len(skipped))
	for _, j := range skipped {
		skip[j] = true
		warn(j + ": already exists, skipped (use --replace to overwrite)")
	}
	for _, r := range batch {
		if skip[r.acct.User.JID] {
			s.Skipped++
			delete(skip, r.acct.User.JID) // a JID repeated in the input is skipped once per repeat
			continue
		}
		s.Users++
		s.RosterItems += len(r.acct.Roster)
		s.Offline += len(r.acct.Offline)
		s.Requests += len(r.acct.Requests)
		if len(r.acct.VCard) > 0 {
			s.VCards++
		}
		if r.need1 || r.need256 {
			s.Derived++
		}
	}
}

// walkAll walks the files in order.
func walkAll(files []string, fn func(userElem) error, warn func(pos, string)) error {
	w := &walker{fn: fn, warn: warn}
	for _, f := range files {
		if err := w.walk(f); err != nil {
			return err
		}
	}
	return nil
}

// check is the first pass: it reads everything, reports warnings and
// collects errors in the data; a syntax error ends it.
func check(ctx context.Context, files []string, opt ImportOptions) error {
	warn := func(p pos, msg string) { opt.Warn(p.String() + ": " + msg) }
	r := &reader{now: opt.Now, warn: warn}
	var errs []error
	hosts := map[string]int{}
	users := map[string]bool{}
	err := walkAll(files, func(u userElem) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		hosts[u.host]++
		rec, err := r.record(u)
		if err != nil {
			if errs = append(errs, err); len(errs) >= maxErrors {
				return fmt.Errorf("too many errors, stopped")
			}
			return nil
		}
		if users[rec.acct.User.JID] {
			warn(rec.pos, rec.acct.User.JID+": user given twice in the input; this one is skipped, or overwrites the first with --replace")
		}
		users[rec.acct.User.JID] = true
		return nil
	}, warn)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	names := make([]string, 0, len(hosts))
	for h := range hosts {
		names = append(names, h)
	}
	sort.Strings(names)
	for _, h := range names {
		if opt.IsLocal != nil && !opt.IsLocal(h) {
			opt.Warn(fmt.Sprintf("host %s (%d users) is not served by this server's configuration: add it to hosts, or its users cannot log in", h, hosts[h]))
		}
	}
	return nil
}

// derive computes the SCRAM credentials the records still need from
// their clear-text passwords, on up to workers goroutines: PBKDF2 is the
// expensive part of importing passwords.
func derive(batch []*record, workers, iterations int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(batch) {
					return
				}
				r := batch[i]
				if r.need1 {
					r.acct.User.SHA1 = newCredential(sha1.New, r.password, iterations)
				}
				if r.need256 {
					r.acct.User.SHA256 = newCredential(sha256.New, r.password, iterations)
				}
				r.password = ""
			}
		}()
	}
	wg.Wait()
}

func newCredential(h func() hash.Hash, password string, iterations int) store.SCRAMCredential {
	salt := make([]byte, sasl.SaltLen)
	rand.Read(salt)
	return store.SCRAMCredential(sasl.DeriveCredential(h, password, salt, iterations))
}
