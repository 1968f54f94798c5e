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
	archives[key] = insertArchived(archives[key], archived{*last, m})
	return m.ID
}

// insertArchived inserts a into list, which is in archive order: by
// time, then by id.
func insertArchived(list []archived, a archived) []archived {
	i, _ := slices.BinarySearchFunc(list, a, cmpArchived)
	return slices.Insert(list, i, a)
}

// cmpArchived orders an archive: by time, then by id.
func cmpArchived(x, y archived) int {
	if c := x.m.At.Compare(y.m.At); c != 0 {
		return c
	}
	return cmpInt64(x.id, y.id)
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
			s.archive[a.Owner] = insertArchived(s.archive[a.Owner], archived{id, m})
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

// ArchiveUsage implements store.Archive, adding up owner's archive.
func (s *Store) ArchiveUsage(_ context.Context, owner string) (store.Usage, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var u store.Usage
	for _, a := range s.archive[owner] {
		u.Messages++
		u.Bytes += int64(len(a.m.Stanza))
	}
	return u, nil
}

// LastArchiveID implements store.Archive.
func (s *Store) LastArchiveID(context.Context) (string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return strconv.FormatInt(s.archiveID, 10), nil
}

// QueryArchive implements store.Archive by walking owner's archive,
// which is kept in archive order (time, then id): the reference the
// sqlite store is checked against.
func (s *Store) QueryArchive(_ context.Context, owner string, q store.ArchiveQuery) (store.ArchivePage, error) {
	if q.Max < 1 {
		return store.ArchivePage{}, fmt.Errorf("memory: query archive of %s: max %d: %w", owner, q.Max, store.ErrInvalid)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return queryArchived(s.archive[owner], owner, q)
}

// queryArchived selects a page of one archive (kept in archive order),
// for users' and rooms' archives alike.
func queryArchived(all []archived, owner string, q store.ArchiveQuery) (store.ArchivePage, error) {
	// position returns the message of owner's archive id names.
	position := func(id string) (*archived, error) {
		n, ok := archiveID(id)
		if i := slices.IndexFunc(all, func(a archived) bool { return a.id == n }); ok && i >= 0 {
			return &all[i], nil
		}
		return nil, fmt.Errorf("memory: query archive of %s: no message %q: %w", owner, id, store.ErrNotFound)
	}
	var after, before, rangeAfter, rangeBefore *archived
	for _, b := range []struct {
		id   string
		into **archived
	}{{q.AfterID, &after}, {q.BeforeID, &before}, {q.RangeAfterID, &rangeAfter}, {q.RangeBeforeID, &rangeBefore}} {
		if b.id == "" {
			continue
		}
		p, err := position(b.id)
		if err != nil {
			return store.ArchivePage{}, err
		}
		*b.into = p
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
			rangeAfter != nil && cmpArchived(a, *rangeAfter) <= 0,
			rangeBefore != nil && cmpArchived(a, *rangeBefore) >= 0:
			continue
		}
		page.Count++
		if (after == nil || cmpArchived(a, *after) > 0) && (before == nil || cmpArchived(a, *before) < 0) {
			window = append(window, a)
		}
	}
	page.Complete = len(window) <= q.Max
	if q.Last {
		window = window[max(0, len(window)-q.Max):]
		slices.Reverse(window) // the byte budget counts from the far end
	} else {
		window = window[:min(len(window), q.Max)]
	}
	size := 0
	for _, a := range window {
		if q.MaxBytes > 0 && len(page.Messages) > 0 && size+len(a.m.Stanza) > q.MaxBytes {
			page.Complete = false
			break
		}
		size += len(a.m.Stanza)
		m := a.m
		m.Stanza = slices.Clone(m.Stanza)
		page.Messages = append(page.Messages, m)
	}
	if q.Last {
		slices.Reverse(page.Messages)
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
