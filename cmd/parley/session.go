package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// sessionCmd is `parley session list [USER@DOMAIN] [--json]` and
// `parley session kick JID [--reason TEXT]`: the bound client sessions of
// the running server, through its control channel (the admin console's
// Sessions page calls the same code, package manage).
func sessionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "session",
		Short: "List or end the running server's client sessions",
	}
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [USER@DOMAIN]",
		Short: "List the client sessions online (all, or one user's)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			a := []string{"list"}
			if asJSON {
				a = append(a, "--json")
			}
			return serverRan(viaServer(c, "session", append(a, args...)...))
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	var reason string
	kick := &cobra.Command{
		Use:   "kick USER@DOMAIN[/RESOURCE]",
		Short: "End a session (a full JID) or all of a user's sessions (a bare JID)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			a := []string{"kick", args[0]}
			if reason != "" {
				a = append(a, reason)
			}
			return serverRan(viaServer(c, "session", a...))
		},
	}
	kick.Flags().StringVar(&reason, "reason", "", "text sent with the stream error (default: ended by an administrator)")
	for _, sub := range []*cobra.Command{list, kick} {
		var cf configFlags
		cf.register(sub)
		cmd.AddCommand(sub)
	}
	return cmd
}

// serverRan turns "no server runs there" into an error.
func serverRan(ran bool, err error) error {
	if err == nil && !ran {
		return errors.New("the server is not running on this data directory (sessions exist only in a running server)")
	}
	return err
}
