package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/account"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
)

// userSharePresenceCmd is `parley user share-presence USER on|off`: a
// user's opt-in to publishing their presence on the seed-004 HTTP
// endpoint (/plugins/presence/status), which otherwise shows only users
// of presence.public_domains.
func userSharePresenceCmd() *cobra.Command {
	return userSub("share-presence USER@DOMAIN on|off", "Publish (on) or hide (off) a user's presence on /plugins/presence/status", 2,
		func(ctx context.Context, m *account.Manager, st store.Store, args []string) error {
			j, err := jid.Parse(args[0])
			if err != nil || j.Local() == "" || j.Resource() != "" {
				return fmt.Errorf("%q is not a bare user JID", args[0])
			}
			if m.IsLocal != nil && !m.IsLocal(j.Domain()) {
				return fmt.Errorf("%w: %s", account.ErrUnknownDomain, j.Domain())
			}
			var on bool
			switch args[1] {
			case "on":
				on = true
			case "off":
			default:
				return fmt.Errorf("the second argument must be on or off, not %q", args[1])
			}
			if err := st.SetPresenceSharing(ctx, j.String(), on); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no account %s", j)
			} else if err != nil {
				return err
			}
			if on {
				fmt.Printf("%s now shares presence over HTTP\n", j)
			} else {
				fmt.Printf("%s's presence is now private\n", j)
			}
			return nil
		})
}
