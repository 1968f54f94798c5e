package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/account"
	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/im/netpresence"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
)

// userNetworkPresenceCmd is `parley user network-presence USER [REMOTE|off]`:
// seed 000's network presence. With a remote account (a bare JID on
// another server), the web surfaces show that account's presence for the
// user once its owner approves the subscription request Parley sends on
// the user's behalf; off goes back to the user's own presence. Without
// a second argument it shows the setting.
func userNetworkPresenceCmd() *cobra.Command {
	return storeCommand(&cobra.Command{
		Use:   "network-presence USER@DOMAIN [REMOTE-JID|off]",
		Short: "Show the user's presence from an account on another network (off: their own again)",
		Args:  cobra.RangeArgs(1, 2),
	},
		func(ctx context.Context, _ *cobra.Command, st store.Store, cfg config.Config, args []string) error {
			m := &account.Manager{Users: st, IsLocal: cfg.HasHost}
			j, err := jid.Parse(args[0])
			if err != nil || j.Local() == "" || j.Resource() != "" {
				return fmt.Errorf("%q is not a bare user JID", args[0])
			}
			if m.IsLocal != nil && !m.IsLocal(j.Domain()) {
				return fmt.Errorf("%w: %s", account.ErrUnknownDomain, j.Domain())
			}
			owner := j.String()
			if len(args) == 1 {
				l, err := st.NetworkPresence(ctx, owner)
				switch {
				case errors.Is(err, store.ErrNotFound):
					if _, uerr := st.User(ctx, owner); uerr != nil {
						return fmt.Errorf("no account %s", owner)
					}
					fmt.Printf("%s shows their own presence\n", owner)
					return nil
				case err != nil:
					return err
				}
				fmt.Printf("%s shows the presence of %s (since %s)\n", owner, l.Remote, l.Since.Format("2006-01-02 15:04 MST"))
				return nil
			}
			if args[1] == "off" {
				if err := st.ClearNetworkPresence(ctx, owner); errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("no account %s", owner)
				} else if err != nil {
					return err
				}
				fmt.Printf("%s shows their own presence again\n", owner)
				return nil
			}
			local := func(d string) bool { return m.IsLocal != nil && m.IsLocal(d) }
			remote, err := netpresence.Valid(owner, args[1], local)
			if err != nil {
				return fmt.Errorf("%q: %w", args[1], err)
			}
			if err := st.SetNetworkPresence(ctx, owner, remote.String()); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no account %s", owner)
			} else if err != nil {
				return err
			}
			fmt.Printf("%s will show the presence of %s once %s approves the subscription request sent on %s's behalf\n",
				owner, remote, remote, owner)
			return nil
		})
}
