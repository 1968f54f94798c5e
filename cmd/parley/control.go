package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/control"
)

// viaServer runs a command on the server running on the command's data
// directory, through its control channel, and prints its output. ran is
// false (and err nil) when no server runs there: the caller then does
// the work on the store itself.
func viaServer(c *cobra.Command, command string, args ...string) (ran bool, err error) {
	var cf configFlags
	cf.configFile, _ = c.Flags().GetString("config")
	cf.dataDir, _ = c.Flags().GetString("data-dir")
	cfg, err := cf.load(nil)
	if err != nil {
		return false, err
	}
	return callServer(c, cfg, command, args...)
}

func callServer(c *cobra.Command, cfg config.Config, command string, args ...string) (bool, error) {
	if !cfg.Control.Enabled || cfg.ControlSocketTooLong() {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(cmdContext(c), 40*time.Second)
	defer cancel()
	out, err := control.Call(ctx, cfg.ControlSocket(), command, args...)
	switch {
	case err == nil:
		fmt.Fprint(c.OutOrStdout(), out)
		return true, nil
	case errors.Is(err, control.ErrCommand):
		fmt.Fprint(c.OutOrStdout(), out)
		return true, errors.New(strings.TrimPrefix(err.Error(), control.ErrCommand.Error()+": "))
	case errors.Is(err, control.ErrNotRunning):
		return false, nil
	}
	return true, err
}

// serverFirst makes cmd run on the running server through the control
// channel when there is one (command and the arguments args gives), and
// on the store otherwise (cmd's own RunE).
func serverFirst(cmd *cobra.Command, command string, args func([]string) []string) *cobra.Command {
	inStore := cmd.RunE
	cmd.RunE = func(c *cobra.Command, a []string) error {
		ran, err := viaServer(c, command, args(a)...)
		if ran || err != nil {
			return err
		}
		return inStore(c, a)
	}
	return cmd
}
