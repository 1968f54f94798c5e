// Package transfer moves a Parley installation from its SQLite store to
// PostgreSQL (`parley migrate`): every table, every row, ids included,
// in one PostgreSQL transaction, from one consistent snapshot of the
// SQLite file.
//
// The copy is generic: it takes the tables and columns from the two
// schemas, which mirror each other version by version
// (store/postgres/migrations), and converts each value by the
// PostgreSQL column's type (an INTEGER 0/1 into a BOOLEAN, ...). So a
// table added to both schemas is copied without any change here, and
// everything the store holds moves: accounts with their SCRAM keys,
// rosters and their versions, pending subscription requests, offline
// messages, last presences, vCards, message archives with their ids
// (clients page them by id), archiving preferences, rooms with their
// archives, sites and tokens with their ids (integrating applications
// hold them), presence sharing, push registrations, live help, web
// conferences with their attendance and timelines, the calendar agent's
// settings, alarms and delivered marks.
//
// Identity sequences are then moved past every copied id, and past the
// greatest id SQLite ever handed out (sqlite_sequence), so that no id is
// used twice, as on SQLite. Tables the store derives from others (what
// each user stores, for the quotas) are not copied but counted again
// from what was copied (postgres.Recount).
package transfer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/parley-im/parley/store/postgres"
	"github.com/parley-im/parley/store/sqlite"
)

// Sentinel errors.
var (
	// ErrNotEmpty: the target database already holds Parley data.
	ErrNotEmpty = errors.New("transfer: the PostgreSQL database is not empty")
	// ErrSchema: the two schemas do not mirror each other.
	ErrSchema = errors.New("transfer: the SQLite and PostgreSQL schemas differ")
)

// Table is what was copied of one table.
type Table struct {
	Name string
	Rows int64
}

// SQLiteToPostgres copies everything src holds into dst, which must be
// empty (ErrNotEmpty otherwise). Both are open, so both schemas are at
// the newest version of this build. progress, if not nil, is called
// after each table. On error nothing is written.
func SQLiteToPostgres(ctx context.Context, src *sqlite.Store, dst *postgres.Store, progress func(Table)) ([]Table, error) {
	var out []Table
	err := src.Snapshot(ctx, func(stx *sql.Tx) error {
		return pgx.BeginFunc(ctx, dst.Pool(), func(ptx pgx.Tx) error {
			tables, err := targetTables(ctx, ptx)
			if err != nil {
				return err
			}
			srcTables, err := sourceTables(ctx, stx)
			if err != nil {
				return err
			}
			for _, name := range srcTables {
				if _, ok := tables[name]; !ok {
					return fmt.Errorf("%w: table %s has no PostgreSQL twin (store/postgres/migrations)", ErrSchema, name)
				}
			}
			order, err := copyOrder(ctx, ptx, tables)
			if err != nil {
				return err
			}
			for _, name := range order {
				var hasRows bool
				if err := ptx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+pgx.Identifier{name}.Sanitize()+`)`).Scan(&hasRows); err != nil {
					return fmt.Errorf("transfer: %s: %w", name, err)
				}
				if hasRows {
					return fmt.Errorf("%w: table %s has rows; parley migrate copies into an empty database", ErrNotEmpty, name)
				}
			}
			seqs, err := sqliteSequences(ctx, stx)
			if err != nil {
				return err
			}
			for _, name := range order {
				if !slices.Contains(srcTables, name) || slices.Contains(postgres.DerivedTables, name) {
					continue // newer on PostgreSQL's side, or derived: nothing to copy
				}
				n, err := copyTable(ctx, stx, ptx, name, tables[name])
				if err != nil {
					return err
				}
				if err := advanceIdentities(ctx, ptx, name, tables[name], seqs[name]); err != nil {
					return err
				}
				t := Table{Name: name, Rows: n}
				out = append(out, t)
				if progress != nil {
					progress(t)
				}
			}
			return postgres.Recount(ctx, ptx)
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// column is one column of a PostgreSQL table.
type column struct {
	name     string
	typ      string // format_type: "bigint", "boolean", "text", "bytea", ...
	identity bool
	optional bool // nullable, or with a default: may be left out
}

// targetTables lists the tables of the current schema with their
// columns, except goose's.
func targetTables(ctx context.Context, tx pgx.Tx) (map[string][]column, error) {
	rows, err := tx.Query(ctx, `SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attidentity <> '',
			NOT a.attnotnull OR a.atthasdef OR a.attidentity <> ''
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname <> 'goose_db_version'
		ORDER BY c.relname, a.attnum`)
	if err != nil {
		return nil, fmt.Errorf("transfer: list PostgreSQL tables: %w", err)
	}
	defer rows.Close()
	out := map[string][]column{}
	for rows.Next() {
		var table string
		var c column
		if err := rows.Scan(&table, &c.name, &c.typ, &c.identity, &c.optional); err != nil {
			return nil, fmt.Errorf("transfer: list PostgreSQL tables: %w", err)
		}
		out[table] = append(out[table], c)
	}
	return out, rows.Err()
}

// sourceTables lists the SQLite database's tables, except goose's and
// SQLite's own.
func sourceTables(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name <> 'goose_db_version' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("transfer: list SQLite tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("transfer: list SQLite tables: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// copyOrder puts every table after the tables its foreign keys refer
// to, so each row finds what it refers to already copied (a table that
// refers to itself, tokens, is copied in id order, parents first).
func copyOrder(ctx context.Context, tx pgx.Tx, tables map[string][]column) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT c.relname, r.relname FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE k.contype = 'f' AND n.nspname = current_schema()`)
	if err != nil {
		return nil, fmt.Errorf("transfer: foreign keys: %w", err)
	}
	deps := map[string][]string{}
	for rows.Next() {
		var from, to string
		if err := rows.Scan(&from, &to); err != nil {
			rows.Close()
			return nil, fmt.Errorf("transfer: foreign keys: %w", err)
		}
		if from != to {
			deps[from] = append(deps[from], to)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("transfer: foreign keys: %w", err)
	}
	names := make([]string, 0, len(tables))
	for n := range tables {
		names = append(names, n)
	}
	slices.Sort(names)
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string) error
	visit = func(n string) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("%w: foreign keys form a cycle through %s", ErrSchema, n)
		case 2:
			return nil
		}
		state[n] = 1
		for _, d := range deps[n] {
			if err := visit(d); err != nil {
				return err
			}
		}
		state[n] = 2
		order = append(order, n)
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// sqliteSequences is the greatest id AUTOINCREMENT ever handed out, per
// table.
func sqliteSequences(ctx context.Context, tx *sql.Tx) (map[string]int64, error) {
	out := map[string]int64{}
	var exists int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'`).Scan(&exists)
	if err != nil || exists == 0 {
		return out, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT name, seq FROM sqlite_sequence`)
	if err != nil {
		return nil, fmt.Errorf("transfer: sqlite_sequence: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		var v int64
		if err := rows.Scan(&n, &v); err != nil {
			return nil, fmt.Errorf("transfer: sqlite_sequence: %w", err)
		}
		out[n] = v
	}
	return out, rows.Err()
}

// copyTable streams one table from SQLite into PostgreSQL with COPY and
// returns how many rows it copied, checked against a count on both
// sides.
func copyTable(ctx context.Context, stx *sql.Tx, ptx pgx.Tx, name string, cols []column) (int64, error) {
	srcCols, err := sqliteColumns(ctx, stx, name)
	if err != nil {
		return 0, err
	}
	byName := map[string]column{}
	for _, c := range cols {
		byName[c.name] = c
	}
	var copied []column
	for _, sc := range srcCols {
		c, ok := byName[sc]
		if !ok {
			return 0, fmt.Errorf("%w: column %s.%s has no PostgreSQL twin", ErrSchema, name, sc)
		}
		copied = append(copied, c)
	}
	for _, c := range cols {
		if !slices.Contains(srcCols, c.name) && !c.optional {
			return 0, fmt.Errorf("%w: column %s.%s is required on PostgreSQL and absent on SQLite", ErrSchema, name, c.name)
		}
	}
	quoted := make([]string, len(srcCols))
	for i, c := range srcCols {
		quoted[i] = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
	}
	// rowid order: arrival order, which PostgreSQL-only identity columns
	// (subscription_requests.seq) then follow, and parents before
	// children in a table that refers to itself.
	rows, err := stx.QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM "`+name+`" ORDER BY rowid`)
	if err != nil {
		return 0, fmt.Errorf("transfer: read %s: %w", name, err)
	}
	defer rows.Close()
	vals := make([]any, len(srcCols))
	ptrs := make([]any, len(srcCols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var convErr error
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if !rows.Next() {
			return nil, rows.Err()
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out := make([]any, len(vals))
		for i, v := range vals {
			if out[i], convErr = convert(v, copied[i].typ); convErr != nil {
				return nil, fmt.Errorf("column %s: %w", copied[i].name, convErr)
			}
		}
		return out, nil
	})
	n, err := ptx.CopyFrom(ctx, pgx.Identifier{name}, srcCols, src)
	if err != nil {
		return 0, fmt.Errorf("transfer: copy %s: %w", name, err)
	}
	var want, got int64
	if err := stx.QueryRowContext(ctx, `SELECT count(*) FROM "`+name+`"`).Scan(&want); err != nil {
		return 0, fmt.Errorf("transfer: count %s: %w", name, err)
	}
	if err := ptx.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{name}.Sanitize()).Scan(&got); err != nil {
		return 0, fmt.Errorf("transfer: count %s: %w", name, err)
	}
	if n != want || got != want {
		return 0, fmt.Errorf("transfer: %s: %d rows in SQLite, %d copied, %d in PostgreSQL", name, want, n, got)
	}
	return n, nil
}

func sqliteColumns(ctx context.Context, tx *sql.Tx, table string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		return nil, fmt.Errorf("transfer: columns of %s: %w", table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("transfer: columns of %s: %w", table, err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// convert turns a SQLite value into what the PostgreSQL column takes.
func convert(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "boolean":
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("%T for a boolean", v)
		}
		return n != 0, nil
	case "bytea":
		switch b := v.(type) {
		case []byte:
			return b, nil
		case string:
			return []byte(b), nil
		}
		return nil, fmt.Errorf("%T for bytea", v)
	case "text":
		switch s := v.(type) {
		case string:
			return s, nil
		case []byte:
			return string(s), nil
		}
		return nil, fmt.Errorf("%T for text", v)
	}
	return v, nil
}

// advanceIdentities moves each identity column's sequence past the
// greatest id copied, and past sqliteSeq (the greatest id SQLite handed
// out, including deleted rows').
func advanceIdentities(ctx context.Context, tx pgx.Tx, table string, cols []column, sqliteSeq int64) error {
	for _, c := range cols {
		if !c.identity {
			continue
		}
		col := pgx.Identifier{c.name}.Sanitize()
		_, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), m) FROM
			(SELECT GREATEST((SELECT max(`+col+`) FROM `+pgx.Identifier{table}.Sanitize()+`), $3) AS m) s WHERE m >= 1`,
			pgx.Identifier{table}.Sanitize(), c.name, sqliteSeq)
		if err != nil {
			return fmt.Errorf("transfer: sequence of %s.%s: %w", table, c.name, err)
		}
	}
	return nil
}
