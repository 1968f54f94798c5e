package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// migrationFiles holds the schema history. Files are plain goose SQL
// migrations, and must not say "+goose NO TRANSACTION" (see migrate).
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate brings the database at dsn up to the newest embedded migration.
//
// goose reads which versions are applied outside any lock, so two
// processes opening a new or outdated file at once (the server and
// `parley user add`) would both run the same migration and one would fail
// ("table users already exists"). Here everything happens in one
// transaction that holds the database's write lock from its first
// statement (BEGIN IMMEDIATE): the second process waits under
// busy_timeout, then finds nothing left to do. goose's own per-migration
// transactions become savepoints inside it, so all pending migrations
// apply together or not at all.
func migrate(ctx context.Context, dsn string) (err error) {
	connector, err := msqlite.NewConnector(dsn)
	if err != nil {
		return err
	}
	raw, err := connect(ctx, connector)
	if err != nil {
		return err
	}
	defer raw.Close()
	c, err := newMigrationConn(raw)
	if err != nil {
		return err
	}
	if err := c.exec(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("lock database: %w", err)
	}
	defer func() {
		if err != nil {
			c.exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()

	db := sql.OpenDB(fixedConnector{c, connector.Driver()})
	db.SetMaxOpenConns(1)
	defer db.Close() // closes only the wrapper; raw is closed above
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	// Out-of-order migrations are allowed: features developed in parallel
	// own disjoint version ranges, and a database migrated by a build with
	// a later range must still take an earlier range that lands after it.
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub, goose.WithAllowOutofOrder(true))
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return err
	}
	if err := c.exec(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit migrations: %w", err)
	}
	return nil
}

// connect opens the migration connection. On a new file its
// journal_mode(WAL) pragma converts the database, which means taking the
// write lock while holding a read lock; when another process is doing the
// same, SQLite answers SQLITE_BUSY at once rather than wait under
// busy_timeout (waiting could deadlock). So retry, for up to busyTimeout.
// Once the file is in WAL mode the pragma needs no lock.
func connect(ctx context.Context, connector driver.Connector) (driver.Conn, error) {
	deadline := time.Now().Add(busyTimeout)
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		c, err := connector.Connect(ctx)
		if err == nil || code(err)&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return c, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
	}
}

// fixedConnector hands database/sql the one connection migrate holds.
type fixedConnector struct {
	c driver.Conn
	d driver.Driver
}

func (f fixedConnector) Connect(context.Context) (driver.Conn, error) { return f.c, nil }
func (f fixedConnector) Driver() driver.Driver                        { return f.d }

// migrationConn is a connection already inside migrate's transaction.
// Transactions begun on it are savepoints; closing it is left to migrate.
type migrationConn struct {
	driver.Conn
	execer  driver.ExecerContext
	queryer driver.QueryerContext
	n       int // savepoints begun, for unique names
}

func newMigrationConn(raw driver.Conn) (*migrationConn, error) {
	e, ok1 := raw.(driver.ExecerContext)
	q, ok2 := raw.(driver.QueryerContext)
	if !ok1 || !ok2 {
		return nil, errors.New("driver connection lacks ExecContext/QueryContext")
	}
	return &migrationConn{Conn: raw, execer: e, queryer: q}, nil
}

func (c *migrationConn) exec(ctx context.Context, query string) error {
	_, err := c.execer.ExecContext(ctx, query, nil)
	return err
}

func (c *migrationConn) Close() error { return nil }

func (c *migrationConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *migrationConn) BeginTx(ctx context.Context, _ driver.TxOptions) (driver.Tx, error) {
	c.n++
	sp := &savepoint{c: c, name: fmt.Sprintf("goose_%d", c.n)}
	if err := c.exec(ctx, "SAVEPOINT "+sp.name); err != nil {
		return nil, err
	}
	return sp, nil
}

func (c *migrationConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.execer.ExecContext(ctx, query, args)
}

func (c *migrationConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.queryer.QueryContext(ctx, query, args)
}

type savepoint struct {
	c    *migrationConn
	name string
}

func (s *savepoint) Commit() error {
	return s.c.exec(context.Background(), "RELEASE "+s.name)
}

func (s *savepoint) Rollback() error {
	return errors.Join(s.c.exec(context.Background(), "ROLLBACK TO "+s.name),
		s.c.exec(context.Background(), "RELEASE "+s.name))
}
