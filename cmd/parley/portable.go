package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/portable"
)

// maxWarnings is how many import warnings are printed; the rest are
// counted.
const maxWarnings = 50

func importCmd() *cobra.Command {
	var (
		cf      configFlags
		replace bool
		batch   int
	)
	cmd := &cobra.Command{
		Use:   "import FILE.xml...",
		Short: "Import users, rosters, offline messages and vCards from XEP-0227 files (ejabberd, Prosody)",
		Long: `Import reads XEP-0227 (Portable Import/Export Format) files: the main file of
"ejabberdctl export_piefxis" (its per-host files are XIncluded), Prosody's
per-user files from prosody-migrator (give them all), or "parley export" output.

The input is checked completely before anything is written. Existing users are
skipped with a warning unless --replace is given, which overwrites them with
everything they own. Users with a clear-text password get SCRAM-SHA-1 and
SCRAM-SHA-256 keys derived on import; exported SCRAM keys are kept as they are.
Works while the server runs on the same data. See docs/import-export.md.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			ctx := cmdContext(cmd)
			st, cfg, err := cf.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			warned := 0
			start := time.Now()
			sum, err := portable.Import(ctx, st, files, portable.ImportOptions{
				Replace:   replace,
				IsLocal:   cfg.HasHost,
				BatchSize: batch,
				Warn: func(msg string) {
					if warned++; warned <= maxWarnings {
						fmt.Fprintln(os.Stderr, "warning:", msg)
					}
				},
			})
			if warned > maxWarnings {
				fmt.Fprintf(os.Stderr, "(%d more warnings not shown)\n", warned-maxWarnings)
			}
			if err != nil {
				return err
			}
			fmt.Printf("imported %s in %s (%d with keys derived from clear-text passwords)\n",
				sum, time.Since(start).Round(time.Millisecond), sum.Derived)
			return nil
		},
	}
	cf.register(cmd)
	cmd.Flags().BoolVar(&replace, "replace", false, "overwrite existing users instead of skipping them")
	cmd.Flags().IntVar(&batch, "batch", portable.DefaultBatchSize, "users per database transaction")
	return cmd
}

func exportCmd() *cobra.Command {
	var (
		cf       configFlags
		domain   string
		ejabberd bool
	)
	cmd := &cobra.Command{
		Use:   "export FILE.xml",
		Short: "Export users, rosters, offline messages and vCards as one XEP-0227 file (- for stdout)",
		Long: `Export writes every account with its SCRAM keys, roster, pending subscription
requests, offline messages and vCard as one XEP-0227 document. The file is
created with mode 0600: it holds credentials. Works while the server runs.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmdContext(cmd)
			st, _, err := cf.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			start := time.Now()
			var w io.Writer = os.Stdout
			var f *os.File
			if args[0] != "-" {
				// Write beside the target and rename, so a failed export
				// never leaves a truncated file under the final name.
				f, err = os.CreateTemp(filepath.Dir(args[0]), ".parley-export-*")
				if err != nil {
					return err
				}
				defer os.Remove(f.Name())
				defer f.Close()
				w = f
			}
			sum, err := portable.Export(ctx, st, w, portable.ExportOptions{Domain: domain, Ejabberd: ejabberd})
			if err != nil {
				return err
			}
			if f != nil {
				if err := f.Sync(); err != nil {
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
				if err := os.Rename(f.Name(), args[0]); err != nil {
					return err
				}
			}
			fmt.Fprintf(os.Stderr, "exported %d users, %d roster items, %d offline messages, %d vcards, %d subscription requests in %s\n",
				sum.Users, sum.RosterItems, sum.Offline, sum.VCards, sum.Requests, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&domain, "domain", "", "export only this host")
	cmd.Flags().BoolVar(&ejabberd, "ejabberd", false, "write SCRAM keys the way ejabberd 23.01's import_piefxis expects (SCRAM-SHA-1 only, base64 twice)")
	return cmd
}

func cmdContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}
