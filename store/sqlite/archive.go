package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parley-im/parley/store"
)

// us is the stored form of an archive time: UTC Unix microseconds
// (floor, like every store time).
func us(t time.Time) int64 { return t.UnixMicro() }

// usCeil is the smallest stored time not before t: "at >= t" on the
// stored, truncated times is "at >= usCeil(t)".
func usCeil(t time.Time) int64 {
	if t.Nanosecond()%1000 != 0 {
		return t.UnixMicro() + 1
	}
	return t.UnixMicro()
}

func fromUS(v int64) time.Time { return time.UnixMicro(v).UTC() }

// archiveID parses an archive ID: the canonical decimal form only, so
// that "007" or "+7" do not name message 7.
func archiveID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && strconv.FormatInt(n, 10) == s
}

// AppendArchive implements store.Archive; ErrNotFound (the foreign key)
// if owner has no account.
func (s *Store) AppendArchive(ctx context.Context, owner string, m store.ArchivedMessage) (string, error) {
	if err := s.recoverArchiveUsage(ctx); err != nil {
		return "", err
	}
	var id int64
	err := s.w.QueryRowContext(ctx, `INSERT INTO archive (owner, with_jid, at, stanza) VALUES (?,?,?,?) RETURNING id`,
		owner, m.With, us(m.At), blob(m.Stanza)).Scan(&id)
	if err != nil {
		return "", wrap(err, "archive message for %s", owner)
	}
	return strconv.FormatInt(id, 10), s.addArchiveUsage(ctx, map[string]store.Usage{owner: {Messages: 1, Bytes: int64(len(m.Stanza))}}, id)
}

// prepare prepares the archive writer's insert on w.
func (s *Store) prepare(ctx context.Context) error {
	var err error
	s.archiveInsert, err = s.w.PrepareContext(ctx, `INSERT INTO archive (id, owner, with_jid, at, stanza) VALUES (?,?,?,?,?)`)
	return err
}

// AppendArchiveBatch implements store.Archive: one transaction (one
// commit) for the whole batch, which is what lets archiving keep up with
// message routing (group commit), with the insert prepared once for the
// life of the store. Rows go in ID order, which appends to the table (a
// full page at a time); usage is counted in memory (usage.go). A row
// whose owner has no account fails alone.
func (s *Store) AppendArchiveBatch(ctx context.Context, batch []store.ArchiveAppend) ([]error, error) {
	errs := make([]error, len(batch))
	ids := make([]int64, len(batch))
	for i, a := range batch {
		n, ok := archiveID(a.Message.ID)
		if !ok {
			return nil, fmt.Errorf("sqlite: archive batch: id %q: %w", a.Message.ID, store.ErrInvalid)
		}
		ids[i] = n
	}
	if err := s.recoverArchiveUsage(ctx); err != nil {
		return nil, err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, wrap(err, "archive batch")
	}
	defer tx.Rollback()
	insert := tx.StmtContext(ctx, s.archiveInsert)
	defer insert.Close()
	added := make(map[string]store.Usage)
	var maxID int64
	for i, a := range batch {
		_, err := insert.ExecContext(ctx, ids[i], a.Owner, a.Message.With, us(a.Message.At), blob(a.Message.Stanza))
		switch {
		case isForeignKey(err), isUnique(err):
			errs[i] = wrap(err, "archive message for %s", a.Owner)
		case err != nil:
			return nil, wrap(err, "archive batch")
		default:
			u := added[a.Owner]
			u.Messages++
			u.Bytes += int64(len(a.Message.Stanza))
			added[a.Owner] = u
			maxID = max(maxID, ids[i])
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, wrap(err, "archive batch")
	}
	// The messages are stored; failing to write their usage now only
	// delays it (the next flush, or the recovery after a crash, counts
	// them).
	s.addArchiveUsage(ctx, added, maxID)
	return errs, nil
}

// LastArchiveID implements store.Archive: AUTOINCREMENT keeps the
// greatest id ever used in sqlite_sequence, also after deletions.
func (s *Store) LastArchiveID(ctx context.Context) (string, error) {
	var n sql.NullInt64
	err := s.rq.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = 'archive'`).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return "0", nil
	}
	if err != nil {
		return "", wrap(err, "last archive id")
	}
	return strconv.FormatInt(n.Int64, 10), nil
}

// QueryArchive implements store.Archive. The count and the page are read
// in one transaction, so they agree. Both walk the (owner, at) index --
// or (owner, with_jid, at) for a conversation -- whose entries end with
// the id, so the archive order (at, id) is the index order: a page reads
// one index range from its first message and stops one row beyond Max
// (whether it comes tells Complete), and a count reads only the index.
func (s *Store) QueryArchive(ctx context.Context, owner string, q store.ArchiveQuery) (store.ArchivePage, error) {
	return s.queryArchive(ctx, userArchive, owner, q)
}

// archiveTable names a table with the archive's columns and indexes:
// users' archives, or rooms' (00004_rooms.sql). A constant, never input.
type archiveTable string

const (
	userArchive archiveTable = "archive"
	roomArchive archiveTable = "room_archive"
)

// archivePos is where a message sits in its archive's order.
type archivePos struct{ at, id int64 }

func (s *Store) queryArchive(ctx context.Context, table archiveTable, owner string, q store.ArchiveQuery) (store.ArchivePage, error) {
	if q.Max < 1 {
		return store.ArchivePage{}, fmt.Errorf("sqlite: query archive of %s: max %d: %w", owner, q.Max, store.ErrInvalid)
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return store.ArchivePage{}, wrap(err, "query archive of %s", owner)
	}
	defer tx.Rollback()

	// Every id the query names must be a message of this archive.
	var after, before, rangeAfter, rangeBefore *archivePos
	for _, b := range []struct {
		id   string
		into **archivePos
	}{{q.AfterID, &after}, {q.BeforeID, &before}, {q.RangeAfterID, &rangeAfter}, {q.RangeBeforeID, &rangeBefore}} {
		if b.id == "" {
			continue
		}
		n, ok := archiveID(b.id)
		p := &archivePos{id: n}
		if ok {
			err := tx.QueryRowContext(ctx, `SELECT at FROM `+string(table)+` WHERE id = ? AND owner = ?`, n, owner).Scan(&p.at)
			if errors.Is(err, sql.ErrNoRows) {
				ok = false
			} else if err != nil {
				return store.ArchivePage{}, wrap(err, "query archive of %s", owner)
			}
		}
		if !ok {
			return store.ArchivePage{}, fmt.Errorf("sqlite: query archive of %s: no message %q: %w", owner, b.id, store.ErrNotFound)
		}
		*b.into = p
	}

	where, args := archiveSelection(owner, q, rangeAfter, rangeBefore)
	var page store.ArchivePage
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+string(table)+` WHERE `+where, args...).Scan(&page.Count); err != nil {
		return store.ArchivePage{}, wrap(err, "count archive of %s", owner)
	}
	if page.Count == 0 {
		page.Complete = true
		return page, nil
	}
	if after != nil {
		where, args = afterPos(where, args, ">", after)
	}
	if before != nil {
		where, args = afterPos(where, args, "<", before)
	}
	order := "ASC"
	if q.Last {
		order = "DESC"
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, with_jid, at, stanza FROM `+string(table)+` WHERE `+where+
		` ORDER BY at `+order+`, id `+order+` LIMIT ?`, append(args, int64(q.Max)+1)...)
	if err != nil {
		return store.ArchivePage{}, wrap(err, "query archive of %s", owner)
	}
	defer rows.Close()
	page.Complete = true
	size := 0
	for rows.Next() {
		if len(page.Messages) == q.Max {
			page.Complete = false // the row beyond the page
			break
		}
		var m store.ArchivedMessage
		var id, at int64
		if err := rows.Scan(&id, &m.With, &at, &m.Stanza); err != nil {
			return store.ArchivePage{}, wrap(err, "query archive of %s", owner)
		}
		if q.MaxBytes > 0 && len(page.Messages) > 0 && size+len(m.Stanza) > q.MaxBytes {
			page.Complete = false // cut short by the byte budget
			break
		}
		m.ID, m.At = strconv.FormatInt(id, 10), fromUS(at)
		size += len(m.Stanza)
		page.Messages = append(page.Messages, m)
	}
	if err := rows.Err(); err != nil {
		return store.ArchivePage{}, wrap(err, "query archive of %s", owner)
	}
	if q.Last {
		slices.Reverse(page.Messages)
	}
	return page, nil
}

// afterPos narrows where to the messages after (op ">") or before ("<")
// p in archive order: "at >= p.at" (or "<=") is the index range, the
// rest sorts out messages of the same microsecond by id.
func afterPos(where string, args []any, op string, p *archivePos) (string, []any) {
	return where + " AND at " + op + "= ? AND (at " + op + " ? OR id " + op + " ?)", append(args, p.at, p.at, p.id)
}

// archiveSelection is the WHERE clause (and its arguments) of the
// messages of owner's archive q selects, before paging: range bounds
// are the positions of q.RangeAfterID and q.RangeBeforeID, or nil. IDs
// go in as one JSON array, read back with json_each: no limit on their
// number, and no SQL text that varies with it.
func archiveSelection(owner string, q store.ArchiveQuery, rangeAfter, rangeBefore *archivePos) (string, []any) {
	var where strings.Builder
	if len(q.IDs) > 0 {
		// "+owner": look the few ids up by rowid, not the whole archive
		// through its owner index.
		where.WriteString("+owner = ?")
	} else {
		where.WriteString("owner = ?")
	}
	args := []any{owner}
	if q.With != "" {
		where.WriteString(" AND with_jid = ?")
		args = append(args, q.With)
	}
	if !q.Start.IsZero() {
		where.WriteString(" AND at >= ?")
		args = append(args, usCeil(q.Start))
	}
	if !q.End.IsZero() {
		where.WriteString(" AND at <= ?")
		args = append(args, us(q.End))
	}
	w := where.String()
	if rangeAfter != nil {
		w, args = afterPos(w, args, ">", rangeAfter)
	}
	if rangeBefore != nil {
		w, args = afterPos(w, args, "<", rangeBefore)
	}
	if len(q.IDs) > 0 {
		ids := make([]int64, 0, len(q.IDs))
		for _, id := range q.IDs {
			if n, ok := archiveID(id); ok {
				ids = append(ids, n)
			}
		}
		b, _ := json.Marshal(ids) // an []int64 always marshals
		w += " AND id IN (SELECT value FROM json_each(?))"
		args = append(args, string(b))
	}
	return w, args
}

// ArchivePrefs implements store.Archive.
func (s *Store) ArchivePrefs(ctx context.Context, owner string) (store.ArchivePrefs, error) {
	var p store.ArchivePrefs
	var always, never string
	err := s.rq.QueryRowContext(ctx, `SELECT default_mode, always_json, never_json FROM archive_prefs WHERE owner = ?`, owner).
		Scan(&p.Default, &always, &never)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ArchivePrefs{}, nil
	}
	if err != nil {
		return store.ArchivePrefs{}, wrap(err, "archive preferences of %s", owner)
	}
	if err := json.Unmarshal([]byte(always), &p.Always); err != nil {
		return store.ArchivePrefs{}, wrap(err, "archive preferences of %s: always", owner)
	}
	if err := json.Unmarshal([]byte(never), &p.Never); err != nil {
		return store.ArchivePrefs{}, wrap(err, "archive preferences of %s: never", owner)
	}
	if len(p.Always) == 0 {
		p.Always = nil
	}
	if len(p.Never) == 0 {
		p.Never = nil
	}
	return p, nil
}

// SetArchivePrefs implements store.Archive; ErrNotFound (the foreign key)
// if owner has no account. The lists are stored sorted, without
// duplicates.
func (s *Store) SetArchivePrefs(ctx context.Context, owner string, p store.ArchivePrefs) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO archive_prefs (owner, default_mode, always_json, never_json) VALUES (?,?,?,?)
		ON CONFLICT (owner) DO UPDATE SET default_mode = excluded.default_mode,
		always_json = excluded.always_json, never_json = excluded.never_json`,
		owner, p.Default, jidSet(p.Always), jidSet(p.Never))
	return wrap(err, "set archive preferences of %s", owner)
}

// jidSet is l sorted, without duplicates, as a JSON array.
func jidSet(l []string) string {
	l = slices.Clone(l)
	slices.Sort(l)
	return encodeGroups(slices.Compact(l))
}

// PruneArchive implements store.Archive, for users' and rooms'
// archives. It deletes archive by archive,
// each through the (owner, at) index, rather than with one "at < ?"
// that would have to scan the whole table; every archive has an owner in
// users (DeleteUser and ImportAccounts delete the others' rows).
func (s *Store) PruneArchive(ctx context.Context, before time.Time) (int64, error) {
	if err := s.flushArchiveUsage(ctx); err != nil { // the trigger counts only stored usage
		return 0, err
	}
	var total int64
	for _, q := range []string{
		`DELETE FROM archive WHERE owner IN (SELECT jid FROM users) AND at < ?`,
		`DELETE FROM room_archive WHERE owner IN (SELECT jid FROM rooms) AND at < ?`,
	} {
		res, err := s.w.ExecContext(ctx, q, usCeil(before))
		if err != nil {
			return total, wrap(err, "prune archives")
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, wrap(err, "prune archives")
		}
		total += n
	}
	return total, nil
}
