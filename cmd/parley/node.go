package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/control"
)

// nodeCmd is `parley node status|drain`: a node of a cluster, asked
// through its control channel (the Unix socket in its data directory),
// so it needs the node's --config or --data-dir. drain moves the node's
// rooms to the other nodes and sends its clients to them
// (<see-other-host/>); stop the node afterwards (docs/cluster.md).
func nodeCmd() *cobra.Command {
	var cf configFlags
	cmd := &cobra.Command{
		Use:       "node status|drain",
		Short:     "Show this cluster node's state, or drain it before a planned stop",
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		ValidArgs: []string{"status", "drain"},
		RunE: func(c *cobra.Command, args []string) error {
			cfg, err := cf.load(nil)
			if err != nil {
				return err
			}
			if !cfg.Control.Enabled {
				return errors.New("the control channel is off (control.enabled = false)")
			}
			ctx, cancel := context.WithTimeout(cmdContext(c), 40*time.Second)
			defer cancel()
			out, err := control.Call(ctx, cfg.ControlSocket(), "node", args[0])
			fmt.Print(out)
			if errors.Is(err, control.ErrCommand) {
				// The server's message, without the wrapper's prefix.
				return errors.New(strings.TrimPrefix(err.Error(), control.ErrCommand.Error()+": "))
			}
			return err
		},
	}
	cf.register(cmd)
	return cmd
}
