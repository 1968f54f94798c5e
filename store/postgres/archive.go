package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

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

// archiveTable names a table with the archive's columns and indexes:
// users' archives, or rooms' (00004_rooms.sql). A constant, never input.
type archiveTable string

const (
	userArchive archiveTable = "archive"
	roomArchive archiveTable = "room_archive"
)

// addUsage adds the rows an insert returned (owner, size) to
// archive_usage, one row per owner, in owner order (two batches from two
// nodes lock the rows they share in the same order).
const addUsage = `INSERT INTO archive_usage (owner, messages, bytes)
		SELECT owner, count(*), sum(size) FROM ins GROUP BY owner ORDER BY owner
		ON CONFLICT (owner) DO UPDATE SET messages = archive_usage.messages + excluded.messages,
			bytes = archive_usage.bytes + excluded.bytes`

// AppendArchive implements store.Archive; ErrNotFound (the foreign key)
// if owner has no account.
func (s *Store) AppendArchive(ctx context.Context, owner string, m store.ArchivedMessage) (string, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `WITH ins AS (INSERT INTO archive (owner, with_jid, at, stanza) VALUES ($1,$2,$3,$4)
		RETURNING id, owner, octet_length(stanza) AS size), u AS (`+addUsage+`) SELECT id FROM ins`,
		owner, m.With, us(m.At), blob(m.Stanza)).Scan(&id)
	if err != nil {
		return "", wrap(err, "archive message for %s", owner)
	}
	return strconv.FormatInt(id, 10), nil
}

// insertBatch stores a batch given as column arrays in one multi-row
// INSERT: the rows whose owner has an account, except those whose id is
// taken, and adds them to their owners' usage. It returns the ids it
// stored and the owners it found, so that each other row can be told
// why it failed. The owners are read in the statement's snapshot; the
// foreign key then locks each one until commit, and a user deleted in
// between fails the statement (retried).
const insertBatch = `WITH b AS (
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bytea[]) AS b(id, owner, with_jid, at, stanza)),
	o AS (SELECT jid FROM users WHERE jid = ANY($2::text[])),
	ins AS (INSERT INTO archive (id, owner, with_jid, at, stanza)
		SELECT b.id, b.owner, b.with_jid, b.at, b.stanza FROM b WHERE b.owner IN (SELECT jid FROM o)
		ON CONFLICT (id) DO NOTHING RETURNING id, owner, octet_length(stanza) AS size),
	u AS (` + addUsage + `)
	SELECT id, NULL FROM ins UNION ALL SELECT NULL, jid FROM o`

// advanceSequence moves the archive's id sequence past $1, so that
// AppendArchive continues above the batch. setval is not transactional;
// the advisory lock (held until commit) makes concurrent batches read
// and set it one at a time, so it never moves back.
const advanceSequence = `SELECT setval('archive_id_seq',
	GREATEST($1, (SELECT CASE WHEN is_called THEN last_value END FROM archive_id_seq)))`

// batchTries bounds the retries of a batch whose statement failed
// because an owner was deleted while it ran.
const batchTries = 3

// AppendArchiveBatch implements store.Archive: the whole batch is one
// pipelined round trip, one transaction: the multi-row insert with the
// owners' usage, then the sequence. A row whose owner has no account (ErrNotFound) or whose id
// is taken (ErrExists, also by an earlier row of the batch) fails alone.
func (s *Store) AppendArchiveBatch(ctx context.Context, batch []store.ArchiveAppend) ([]error, error) {
	errs := make([]error, len(batch))
	n := len(batch)
	ids, owners, withs := make([]int64, 0, n), make([]string, 0, n), make([]string, 0, n)
	ats, stanzas, rows := make([]int64, 0, n), make([][]byte, 0, n), make([]int, 0, n)
	seen := make(map[int64]bool, n)
	var top int64
	for i, a := range batch {
		id, ok := archiveID(a.Message.ID)
		if !ok {
			return nil, fmt.Errorf("postgres: archive batch: id %q: %w", a.Message.ID, store.ErrInvalid)
		}
		if seen[id] {
			errs[i] = fmt.Errorf("postgres: archive message %d for %s: %w", id, a.Owner, store.ErrExists)
			continue
		}
		seen[id] = true
		top = max(top, id)
		ids, owners, withs = append(ids, id), append(owners, a.Owner), append(withs, a.Message.With)
		ats, stanzas, rows = append(ats, us(a.Message.At)), append(stanzas, blob(a.Message.Stanza)), append(rows, i)
	}
	if len(rows) == 0 {
		return errs, nil
	}
	var stored map[int64]bool
	var found map[string]bool
	for try := 1; ; try++ {
		stored, found = make(map[int64]bool, len(ids)), make(map[string]bool)
		b := &pgx.Batch{}
		b.Queue(insertBatch, ids, owners, withs, ats, stanzas).Query(func(r pgx.Rows) error {
			for r.Next() {
				var id *int64
				var owner *string
				if err := r.Scan(&id, &owner); err != nil {
					return err
				}
				if id != nil {
					stored[*id] = true
				} else if owner != nil {
					found[*owner] = true
				}
			}
			return r.Err()
		})
		b.Queue(`SELECT pg_advisory_xact_lock($1, hashtext('archive'))`, lockArchive)
		b.Queue(advanceSequence, top)
		err := s.pool.SendBatch(ctx, b).Close()
		if err == nil {
			break
		}
		if sqlState(err) != codeForeignKey || try == batchTries {
			return nil, wrap(err, "archive batch")
		}
	}
	for k, i := range rows {
		switch {
		case stored[ids[k]]:
		case !found[owners[k]]:
			errs[i] = fmt.Errorf("postgres: archive message for %s: no such owner: %w", owners[k], store.ErrNotFound)
		default:
			errs[i] = fmt.Errorf("postgres: archive message %d for %s: %w", ids[k], owners[k], store.ErrExists)
		}
	}
	return errs, nil
}

// LastArchiveID implements store.Archive: the sequence's last value,
// which AppendArchive and AppendArchiveBatch both advance and which
// deletions never move back.
func (s *Store) LastArchiveID(ctx context.Context) (string, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM archive_id_seq`).Scan(&n)
	if err != nil {
		return "", wrap(err, "last archive id")
	}
	return strconv.FormatInt(n, 10), nil
}

// QueryArchive implements store.Archive.
func (s *Store) QueryArchive(ctx context.Context, owner string, q store.ArchiveQuery) (store.ArchivePage, error) {
	return s.queryArchive(ctx, userArchive, owner, q)
}

// params numbers a statement's arguments.
type params []any

func (p *params) add(v any) string {
	*p = append(*p, v)
	return "$" + strconv.Itoa(len(*p))
}

// archivePos is where a message sits in its archive's order.
type archivePos struct{ at, id int64 }

// queryArchive answers a query in one REPEATABLE READ transaction, so
// that its statements agree: the positions (time, id) of the messages
// the query names, which must be of this archive, then, in one
// pipelined round trip, the count of the selection and the page. Both
// walk the (owner, at, id) index -- or (owner, with_jid, at, id) for a
// conversation --, the page in the paging direction one row beyond Max
// (whether it comes tells Complete). The page's byte budget is applied
// by PostgreSQL with a running sum: the stanzas past it (and the row
// beyond Max) come back NULL, so a page of large messages costs no more
// than its budget in memory here; their lengths come from the TOAST
// pointers, not the values.
func (s *Store) queryArchive(ctx context.Context, table archiveTable, owner string, q store.ArchiveQuery) (store.ArchivePage, error) {
	if q.Max < 1 {
		return store.ArchivePage{}, fmt.Errorf("postgres: query archive of %s: max %d: %w", owner, q.Max, store.ErrInvalid)
	}
	var bounds []int64
	for _, id := range []string{q.AfterID, q.BeforeID, q.RangeAfterID, q.RangeBeforeID} {
		if id == "" {
			continue
		}
		n, ok := archiveID(id)
		if !ok {
			return store.ArchivePage{}, fmt.Errorf("postgres: query archive of %s: no message %q: %w", owner, id, store.ErrNotFound)
		}
		if !slices.Contains(bounds, n) {
			bounds = append(bounds, n)
		}
	}
	budget := int64(math.MaxInt64)
	if q.MaxBytes > 0 {
		budget = int64(q.MaxBytes)
	}
	var p store.ArchivePage
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		pos := make(map[int64]archivePos, len(bounds))
		if len(bounds) > 0 {
			rows, err := tx.Query(ctx, `SELECT id, at FROM `+string(table)+` WHERE owner = $1 AND id = ANY($2)`, owner, bounds)
			if err != nil {
				return err
			}
			for rows.Next() {
				var ap archivePos
				if err := rows.Scan(&ap.id, &ap.at); err != nil {
					return err
				}
				pos[ap.id] = ap
			}
			if err := rows.Err(); err != nil {
				return err
			}
			if len(pos) != len(bounds) {
				return store.ErrNotFound
			}
		}
		at := func(id string) *archivePos {
			if n, ok := archiveID(id); ok && id != "" {
				ap := pos[n]
				return &ap
			}
			return nil
		}
		var countArgs params
		countSQL := `SELECT count(*) FROM ` + string(table) + ` WHERE owner = ` + countArgs.add(owner) +
			archiveSelection(&countArgs, q, at(q.RangeAfterID), at(q.RangeBeforeID))
		var args params
		where := `owner = ` + args.add(owner) + archiveSelection(&args, q, at(q.RangeAfterID), at(q.RangeBeforeID))
		if ap := at(q.AfterID); ap != nil {
			where += ` AND (at, id) > (` + args.add(ap.at) + `, ` + args.add(ap.id) + `)`
		}
		if ap := at(q.BeforeID); ap != nil {
			where += ` AND (at, id) < (` + args.add(ap.at) + `, ` + args.add(ap.id) + `)`
		}
		order := "ASC"
		if q.Last {
			order = "DESC"
		}
		by := `at ` + order + `, id ` + order
		pageSQL := `SELECT id, with_jid, at, CASE WHEN n = 1 OR size <= ` + args.add(budget) + ` THEN stanza END FROM (
			SELECT id, with_jid, at, stanza, row_number() OVER w AS n, sum(octet_length(stanza)) OVER w AS size
			FROM ` + string(table) + ` WHERE ` + where + ` WINDOW w AS (ORDER BY ` + by + `) ORDER BY ` + by +
			` LIMIT ` + args.add(int64(q.Max)+1) + `) page ORDER BY ` + by
		b := &pgx.Batch{}
		b.Queue(countSQL, countArgs...).QueryRow(func(r pgx.Row) error { return r.Scan(&p.Count) })
		p.Complete = true
		b.Queue(pageSQL, args...).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var m store.ArchivedMessage
				var id, at int64
				if err := rows.Scan(&id, &m.With, &at, &m.Stanza); err != nil {
					return err
				}
				if len(p.Messages) == q.Max || m.Stanza == nil {
					p.Complete = false // the row beyond the page, or past its byte budget
					continue
				}
				m.ID, m.At = strconv.FormatInt(id, 10), fromUS(at)
				p.Messages = append(p.Messages, m)
			}
			return rows.Err()
		})
		return tx.SendBatch(ctx, b).Close()
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.ArchivePage{}, fmt.Errorf("postgres: query archive of %s: a bound is not a message of it: %w", owner, store.ErrNotFound)
	}
	if err != nil {
		return store.ArchivePage{}, wrap(err, "query archive of %s", owner)
	}
	if q.Last {
		slices.Reverse(p.Messages)
	}
	return p, nil
}

// archiveSelection is the rest of the WHERE clause (after the owner) of
// the messages q selects, before paging, with the range bounds at the
// positions given (or nil); its arguments go into args.
func archiveSelection(args *params, q store.ArchiveQuery, rangeAfter, rangeBefore *archivePos) string {
	var where strings.Builder
	if q.With != "" {
		where.WriteString(" AND with_jid = " + args.add(q.With))
	}
	if !q.Start.IsZero() {
		where.WriteString(" AND at >= " + args.add(usCeil(q.Start)))
	}
	if !q.End.IsZero() {
		where.WriteString(" AND at <= " + args.add(us(q.End)))
	}
	if rangeAfter != nil {
		where.WriteString(" AND (at, id) > (" + args.add(rangeAfter.at) + ", " + args.add(rangeAfter.id) + ")")
	}
	if rangeBefore != nil {
		where.WriteString(" AND (at, id) < (" + args.add(rangeBefore.at) + ", " + args.add(rangeBefore.id) + ")")
	}
	if len(q.IDs) > 0 {
		ids := make([]int64, 0, len(q.IDs))
		for _, id := range q.IDs {
			if n, ok := archiveID(id); ok {
				ids = append(ids, n)
			}
		}
		where.WriteString(" AND id = ANY(" + args.add(ids) + "::bigint[])")
	}
	return where.String()
}

// ArchivePrefs implements store.Archive.
func (s *Store) ArchivePrefs(ctx context.Context, owner string) (store.ArchivePrefs, error) {
	var p store.ArchivePrefs
	var always, never string
	err := s.pool.QueryRow(ctx, `SELECT default_mode, always_json, never_json FROM archive_prefs WHERE owner = $1`, owner).
		Scan(&p.Default, &always, &never)
	if errors.Is(err, pgx.ErrNoRows) {
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
	_, err := s.pool.Exec(ctx, `INSERT INTO archive_prefs (owner, default_mode, always_json, never_json) VALUES ($1,$2,$3,$4)
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

// Retention deletes in bounded steps, so that pruning a large archive
// never holds one long transaction: the owners a step at a time (each
// owner's messages found through the (owner, at) index rather than by
// scanning the table), and at most pruneRows rows per statement.
const (
	pruneOwners = 1000
	pruneRows   = 10000
)

// PruneArchive implements store.Archive, for users' and rooms'
// archives. Each DELETE commits on its own: a prune stopped half-way
// (ctx) has deleted only messages it had to delete.
func (s *Store) PruneArchive(ctx context.Context, before time.Time) (int64, error) {
	cut := usCeil(before)
	var total int64
	for _, t := range []struct {
		table  archiveTable
		owners string
	}{{userArchive, `SELECT jid FROM users WHERE jid > $1 ORDER BY jid LIMIT $2`},
		{roomArchive, `SELECT jid FROM rooms WHERE jid > $1 ORDER BY jid LIMIT $2`}} {
		last := ""
		for {
			rows, err := s.pool.Query(ctx, t.owners, last, pruneOwners)
			if err != nil {
				return total, wrap(err, "prune archives")
			}
			owners, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return total, wrap(err, "prune archives")
			}
			if len(owners) == 0 {
				break
			}
			for {
				tag, err := s.pool.Exec(ctx, `DELETE FROM `+string(t.table)+` WHERE ctid = ANY(ARRAY(
					SELECT ctid FROM `+string(t.table)+` WHERE owner = ANY($1) AND at < $2 LIMIT $3))`, owners, cut, pruneRows)
				if err != nil {
					return total, wrap(err, "prune archives")
				}
				total += tag.RowsAffected()
				if tag.RowsAffected() < pruneRows {
					break
				}
			}
			if len(owners) < pruneOwners {
				break
			}
			last = owners[len(owners)-1]
		}
	}
	return total, nil
}
