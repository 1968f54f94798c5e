package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/account"
	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/store"
)

func userCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage user accounts (works while the server runs on the same data)",
	}
	cmd.AddCommand(
		userSub("add USER@DOMAIN PASSWORD", "Create an account", 2, func(ctx context.Context, m *account.Manager, _ store.Store, args []string) error {
			if err := m.Add(ctx, args[0], args[1]); err != nil {
				return err
			}
			fmt.Printf("created %s\n", args[0])
			return nil
		}),
		userSub("passwd USER@DOMAIN PASSWORD", "Change an account's password", 2, func(ctx context.Context, m *account.Manager, _ store.Store, args []string) error {
			if err := m.SetPassword(ctx, args[0], args[1]); err != nil {
				return err
			}
			fmt.Printf("password changed for %s\n", args[0])
			return nil
		}),
		userSub("remove USER@DOMAIN", "Delete an account with its roster and stored messages", 1, func(ctx context.Context, m *account.Manager, _ store.Store, args []string) error {
			if err := m.Remove(ctx, args[0]); err != nil {
				return err
			}
			fmt.Printf("removed %s\n", args[0])
			return nil
		}),
		userSub("list [DOMAIN]", "List accounts, optionally of one domain", -1, func(ctx context.Context, _ *account.Manager, st store.Store, args []string) error {
			domain := ""
			if len(args) > 0 {
				domain = args[0]
			}
			users, err := st.ListUsers(ctx, domain)
			if err != nil {
				return err
			}
			for _, u := range users {
				fmt.Println(u)
			}
			return nil
		}),
		userSharePresenceCmd(),
		userRemindersCmd(),
		userNetworkPresenceCmd(),
	)
	return cmd
}

// userSub builds one user subcommand; nargs -1 means zero or one, -2
// one or two.
func userSub(use, short string, nargs int, run func(context.Context, *account.Manager, store.Store, []string) error) *cobra.Command {
	args := cobra.ExactArgs(nargs)
	switch nargs {
	case -1:
		args = cobra.MaximumNArgs(1)
	case -2:
		args = cobra.RangeArgs(1, 2)
	}
	return storeCommand(&cobra.Command{Use: use, Short: short, Args: args},
		func(ctx context.Context, _ *cobra.Command, st store.Store, cfg config.Config, a []string) error {
			err := run(ctx, &account.Manager{Users: st, IsLocal: cfg.HasHost}, st, a)
			if len(a) > 0 {
				err = explainDomain(cfg, a[0], err)
			}
			return err
		})
}
