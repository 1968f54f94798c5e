package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/control"
)

// calendarAgentCmd is `parley calendar-agent start|stop|restart|status`:
// it asks the running server through its control channel (the Unix
// socket in the data directory), so it needs the same --config or
// --data-dir as the server.
func calendarAgentCmd() *cobra.Command {
	var cf configFlags
	cmd := &cobra.Command{
		Use:       "calendar-agent start|stop|restart|status",
		Short:     "Start, stop, restart or query the calendar agent of the running server",
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		ValidArgs: []string{"start", "stop", "restart", "status"},
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
			out, err := control.Call(ctx, cfg.ControlSocket(), "calendar-agent", args[0])
			fmt.Print(out)
			if errors.Is(err, control.ErrCommand) {
				return errors.Unwrap(err) // the server's message, without the wrapper's prefix
			}
			return err
		},
	}
	cf.register(cmd)
	return cmd
}
