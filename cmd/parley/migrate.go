package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/store/postgres"
	"github.com/parley-im/parley/store/sqlite"
	"github.com/parley-im/parley/store/transfer"
)

// migrateCmd is `parley migrate`: an installation moves from SQLite to
// PostgreSQL whole (package transfer), where export/import (XEP-0227)
// carries only accounts, rosters, offline messages and vCards.
func migrateCmd() *cobra.Command {
	var (
		cf         configFlags
		fromSQLite string
		to         string
	)
	cmd := &cobra.Command{
		Use:   "migrate --from-sqlite DATA_DIR|FILE [--to DSN]",
		Short: "Copy everything from a SQLite data directory into an empty PostgreSQL database",
		Long: `Migrate copies a whole installation from SQLite to PostgreSQL: accounts with
their SCRAM keys, rosters with their versions, pending subscription requests,
offline messages, last presences, vCards, message archives and archiving
preferences, rooms with their archives, integration sites and tokens, presence
sharing, push registrations, live help, web conferences and the calendar agent's
data. Ids are kept (archive ids that clients page by, token ids that integrating
applications hold).

--from-sqlite names the data directory (its parley.db) or the database file.
--to is the PostgreSQL connection string; without it, the configured storage
(storage.dsn, or PARLEY_STORAGE_DSN, with driver postgres) is used. Both schemas
are brought to this version first. The target must be empty: the copy is one
transaction, so it either completes or writes nothing.

Stop the server first: what it writes after the copy's snapshot stays behind.
See docs/postgres.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmdContext(cmd)
			if fromSQLite == "" {
				return errors.New("--from-sqlite DATA_DIR|FILE is required")
			}
			path, err := sqlitePath(fromSQLite)
			if err != nil {
				return err
			}
			dsn := to
			var cfg config.Config
			if dsn == "" {
				if cfg, err = cf.load(nil); err != nil {
					return err
				}
				if cfg.Storage.Driver != "postgres" {
					return errors.New("no target: give --to postgres://..., or configure storage.driver = \"postgres\" with storage.dsn (PARLEY_STORAGE_DRIVER, PARLEY_STORAGE_DSN)")
				}
				dsn = cfg.Storage.DSN
			}
			out := cmd.OutOrStdout()
			start := time.Now()
			src, err := sqlite.Open(ctx, path)
			if err != nil {
				return err
			}
			defer src.Close()
			dst, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: 2})
			if err != nil {
				return err
			}
			defer dst.Close()
			fmt.Fprintf(out, "copying %s into PostgreSQL\n", path)
			var rows int64
			_, err = transfer.SQLiteToPostgres(ctx, src, dst, func(t transfer.Table) {
				rows += t.Rows
				fmt.Fprintf(out, "  %-24s %10d rows\n", t.Name, t.Rows)
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "copied %d rows in %s; start the server with storage.driver = \"postgres\"\n",
				rows, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&fromSQLite, "from-sqlite", "", "the SQLite data directory (its parley.db) or database file to copy from")
	cmd.Flags().StringVar(&to, "to", "", "PostgreSQL connection string to copy into (default: the configured storage.dsn)")
	return cmd
}

// sqlitePath is the database file of a data directory, or the file
// itself; it must exist (opening would create an empty one).
func sqlitePath(p string) (string, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("--from-sqlite: %w", err)
	}
	if fi.IsDir() {
		p = filepath.Join(p, "parley.db")
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("--from-sqlite: no database in that data directory: %w", err)
		}
	}
	return p, nil
}
