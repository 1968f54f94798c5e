package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/account"
	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/manage"
	"github.com/parley-im/parley/server"
	"github.com/parley-im/parley/store"
)

// userCmd is `parley user`. add, passwd and remove go through a running
// server's control channel when there is one (so that a changed
// password or a removed account also ends the account's sessions, and
// a removal deletes its uploads), and work on the store otherwise; the
// admin console calls the same code (package manage).
func userCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage user accounts (works while the server runs on the same data)",
	}
	cmd.AddCommand(
		userSub("add USER@DOMAIN PASSWORD", "Create an account", 2, func(ctx context.Context, m *manage.Accounts, args []string) error {
			user, err := m.Add(ctx, args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Printf("created %s\n", user)
			return nil
		}),
		userServerFirst(userSub("passwd USER@DOMAIN PASSWORD", "Change an account's password (ends its sessions, tokens and web sign-ins)", 2, func(ctx context.Context, m *manage.Accounts, args []string) error {
			user, err := m.SetPassword(ctx, args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Printf("password changed for %s\n", user)
			return nil
		}), "passwd"),
		userServerFirst(userSub("remove USER@DOMAIN", "Delete an account with its roster and stored messages", 1, func(ctx context.Context, m *manage.Accounts, args []string) error {
			user, err := m.Remove(ctx, args[0])
			if err != nil {
				return err
			}
			fmt.Printf("removed %s\n", user)
			return nil
		}), "remove"),
		userSub("list [DOMAIN]", "List accounts, optionally of one domain", -1, func(ctx context.Context, m *manage.Accounts, args []string) error {
			domain := ""
			if len(args) > 0 {
				domain = args[0]
			}
			users, err := m.List(ctx, domain)
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

// userServerFirst makes a user subcommand run on the running server
// (through its control channel) when there is one, after checking the
// address against this command's configuration (the domains the server
// recorded, and those the configuration names).
func userServerFirst(cmd *cobra.Command, sub string) *cobra.Command {
	inStore := cmd.RunE
	cmd.RunE = func(c *cobra.Command, a []string) error {
		var cf configFlags
		cf.configFile, _ = c.Flags().GetString("config")
		cf.dataDir, _ = c.Flags().GetString("data-dir")
		cfg, err := cf.load(nil)
		if err != nil {
			return err
		}
		// The nodes of a cluster record their domains in the shared
		// store: read them there too (no node's data directory needed).
		var nodes store.Nodes
		if cfg.Storage.Driver == "postgres" {
			st, err := server.OpenStore(cmdContext(c), cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			nodes = st
		}
		if err := useServedDomains(cmdContext(c), &cfg, cf.configFile, nodes); err != nil {
			return err
		}
		if _, err := (&manage.Accounts{IsLocal: cfg.HasHost}).Parse(a[0]); err != nil {
			return explainDomain(cfg, a[0], err)
		}
		ran, err := callServer(c, cfg, "user", append([]string{sub}, a...)...)
		if ran || err != nil {
			return err
		}
		return inStore(c, a)
	}
	return cmd
}

// userSub builds one user subcommand; nargs -1 means zero or one, -2
// one or two.
func userSub(use, short string, nargs int, run func(context.Context, *manage.Accounts, []string) error) *cobra.Command {
	args := cobra.ExactArgs(nargs)
	switch nargs {
	case -1:
		args = cobra.MaximumNArgs(1)
	case -2:
		args = cobra.RangeArgs(1, 2)
	}
	return storeCommand(&cobra.Command{Use: use, Short: short, Args: args},
		func(ctx context.Context, _ *cobra.Command, st store.Store, cfg config.Config, a []string) error {
			err := run(ctx, &manage.Accounts{Store: st, IsLocal: cfg.HasHost}, a)
			if len(a) > 0 {
				err = explainDomain(cfg, a[0], err)
			}
			return err
		})
}

// userOptInCmd builds `parley user share-presence|reminders USER on|off`,
// which write the store (they work whether or not the server runs).
func userOptInCmd(use, short string, set func(*manage.Accounts, context.Context, string, bool) (string, error), done func(user string, on bool) string) *cobra.Command {
	return userSub(use, short, 2, func(ctx context.Context, m *manage.Accounts, args []string) error {
		on, err := manage.OnOff(args[1])
		if err != nil {
			return err
		}
		user, err := set(m, ctx, args[0], on)
		if errors.Is(err, account.ErrInvalidJID) {
			return fmt.Errorf("%q is not a bare user JID", args[0])
		}
		if err != nil {
			return err
		}
		fmt.Println(done(user, on))
		return nil
	})
}

// userSharePresenceCmd is `parley user share-presence USER on|off`: a
// user's opt-in to publishing their presence on the web: the seed-004
// endpoint (/plugins/presence/status) and the presence widget's
// anonymous view, which otherwise show only users of
// presence.public_domains.
func userSharePresenceCmd() *cobra.Command {
	return userOptInCmd("share-presence USER@DOMAIN on|off", "Publish (on) or hide (off) a user's presence on the web (/plugins/presence/status, the widget)",
		(*manage.Accounts).SetSharePresence, func(user string, on bool) string {
			if on {
				return user + " now shares presence over HTTP"
			}
			return user + "'s presence is now private"
		})
}

// userRemindersCmd is `parley user reminders USER@DOMAIN on|off`: the
// user's opt-in to calendar reminders (seed 002; the default is
// calendar.reminders_default).
func userRemindersCmd() *cobra.Command {
	return userOptInCmd("reminders USER@DOMAIN on|off", "Turn a user's calendar reminders on or off",
		(*manage.Accounts).SetReminders, func(user string, on bool) string {
			return fmt.Sprintf("calendar reminders %s for %s", map[bool]string{true: "on", false: "off"}[on], user)
		})
}
