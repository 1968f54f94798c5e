package memory

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/parley-im/parley/store"
)

// archived is one archived message; id is the number its ID spells.
type archived struct {
	id int64
	m  store.ArchivedMessage
}

// usUTC is t as the stores keep archive times: UTC, whole microseconds.
func usUTC(t time.Time) time.Time { return time.UnixMicro(t.UnixMicro()).UTC() }

// archiveID parses an archive ID: the canonical decimal form only, so
// that "007" or "+7" do not name message 7.
func archiveID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && strconv.FormatInt(n, 10) == s
}

// sortedSet is a sorted copy of l without duplicates; nil if empty.
func sortedSet(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	l = slices.Clone(l)
	slices.Sort(l)
	return slices.Compact(l)
}

// AppendArchive implements store.Archive. IDs come from one counter for
// all archives and are never reused.
func (s *Store) AppendArchive(_ context.Context, owner string, m store.ArchivedMessage) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[owner]; !ok {
		return "", store.ErrNotFound
	}
	return appendArchived(s.archive, &s.archiveID, owner, m), nil
}

// appendArchived appends m to archives[key] under the next id of *last
// (s.mu held), and returns the id.
func appendArchived(archives map[string][]archived, last *int64, key string, m store.ArchivedMessage) string {
	*last++
	m.ID = strconv.FormatInt(*last, 10)
	m.At = usUTC(m.At)
	m.Stanza = slices.Clone(m.Stanza)
	archives[key] = append(archives[key], archived{*last, m})
	return m.ID
}

// AppendArchiveBatch implements store.Archive.
func (s *Store) AppendArchiveBatch(_ context.Context, batch []store.ArchiveAppend) ([]error, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range batch {
		if _, ok := archiveID(a.Message.ID); !ok {
			return nil, fmt.Errorf("memory: archive batch: id %q: %w", a.Message.ID, store.ErrInvalid)
		}
	}
	errs := make([]error, len(batch))
	for i, a := range batch {
		id, _ := archiveID(a.Message.ID)
		_, known := s.users[a.Owner]
		switch {
		case !known:
			errs[i] = store.ErrNotFound
		case id <= s.archiveID && s.archiveIDUsed(id):
			errs[i] = store.ErrExists
		default:
			m := a.Message
			m.At = usUTC(m.At)
			m.Stanza = slices.Clone(m.Stanza)
			s.archive[a.Owner] = append(s.archive[a.Owner], archived{id, m})
			slices.SortStableFunc(s.archive[a.Owner], func(x, y archived) int { return cmpInt64(x.id, y.id) })
			s.archiveID = max(s.archiveID, id)
		}
	}
	return errs, nil
}

// archiveIDUsed reports whether any archive holds id (s.mu held).
func (s *Store) archiveIDUsed(id int64) bool {
	for _, list := range s.archive {
		if slices.ContainsFunc(list, func(a archived) bool { return a.id == id }) {
			return true
		}
	}
	return false
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// LastArchiveID implements store.Archive.
func (s *Store) LastArchiveID(context.Context) (string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return strconv.FormatInt(s.archiveID, 10), nil
}

// QueryArchive implements store.Archive by walking owner's archive,
// which is kept in id order: the reference the sqlite store is checked
// against.
func (s *Store) QueryArchive(_ context.Context, owner string, q store.ArchiveQuery) (store.ArchivePage, error) {
	if q.Max < 1 {
		return store.ArchivePage{}, fmt.Errorf("memory: query archive of %s: max %d: %w", owner, q.Max, store.ErrInvalid)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return queryArchived(s.archive[owner], owner, q)
}

// queryArchived selects a page of one archive (kept in id order), for
// users' and rooms' archives alike.
func queryArchived(all []archived, owner string, q store.ArchiveQuery) (store.ArchivePage, error) {
	// position returns the id of the message of owner's archive id names.
	position := func(id string) (int64, error) {
		n, ok := archiveID(id)
		if ok && slices.ContainsFunc(all, func(a archived) bool { return a.id == n }) {
			return n, nil
		}
		return 0, fmt.Errorf("memory: query archive of %s: no message %q: %w", owner, id, store.ErrNotFound)
	}
	var after, before int64
	var err error
	if q.AfterID != "" {
		if after, err = position(q.AfterID); err != nil {
			return store.ArchivePage{}, err
		}
	}
	if q.BeforeID != "" {
		if before, err = position(q.BeforeID); err != nil {
			return store.ArchivePage{}, err
		}
	}
	var rangeAfter, rangeBefore int64
	if q.RangeAfterID != "" {
		if rangeAfter, err = position(q.RangeAfterID); err != nil {
			return store.ArchivePage{}, err
		}
	}
	if q.RangeBeforeID != "" {
		if rangeBefore, err = position(q.RangeBeforeID); err != nil {
			return store.ArchivePage{}, err
		}
	}
	var ids map[int64]bool
	if len(q.IDs) > 0 {
		ids = make(map[int64]bool, len(q.IDs))
		for _, id := range q.IDs {
			if n, ok := archiveID(id); ok {
				ids[n] = true
			}
		}
	}

	var page store.ArchivePage
	var window []archived // the selection between AfterID and BeforeID
	for _, a := range all {
		switch {
		case q.With != "" && a.m.With != q.With,
			!q.Start.IsZero() && a.m.At.Before(q.Start),
			!q.End.IsZero() && a.m.At.After(q.End),
			ids != nil && !ids[a.id],
			q.RangeAfterID != "" && a.id <= rangeAfter,
			q.RangeBeforeID != "" && a.id >= rangeBefore:
			continue
		}
		page.Count++
		if (q.AfterID == "" || a.id > after) && (q.BeforeID == "" || a.id < before) {
			window = append(window, a)
		}
	}
	page.Complete = len(window) <= q.Max
	if q.Last {
		window = window[max(0, len(window)-q.Max):]
	} else {
		window = window[:min(len(window), q.Max)]
	}
	for _, a := range window {
		m := a.m
		m.Stanza = slices.Clone(m.Stanza)
		page.Messages = append(page.Messages, m)
	}
	return page, nil
}

// ArchivePrefs implements store.Archive.
func (s *Store) ArchivePrefs(_ context.Context, owner string) (store.ArchivePrefs, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.prefs[owner]
	p.Always, p.Never = slices.Clone(p.Always), slices.Clone(p.Never)
	return p, nil
}

// SetArchivePrefs implements store.Archive; the lists are kept sorted,
// without duplicates.
func (s *Store) SetArchivePrefs(_ context.Context, owner string, p store.ArchivePrefs) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[owner]; !ok {
		return store.ErrNotFound
	}
	s.prefs[owner] = store.ArchivePrefs{Default: p.Default, Always: sortedSet(p.Always), Never: sortedSet(p.Never)}
	return nil
}

// PruneArchive implements store.Archive, for users' and rooms' archives.
func (s *Store) PruneArchive(_ context.Context, before time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, archives := range []map[string][]archived{s.archive, s.roomArchive} {
		for owner, msgs := range archives {
			kept := slices.DeleteFunc(msgs, func(a archived) bool { return a.m.At.Before(before) })
			n += int64(len(msgs) - len(kept))
			archives[owner] = kept
		}
	}
	return n, nil
}
