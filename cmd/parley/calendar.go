package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/account"
	"github.com/parley-im/parley/control"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
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

// userRemindersCmd is `parley user reminders USER@DOMAIN on|off`: the
// user's opt-in to calendar reminders (seed 002; the default is
// calendar.reminders_default). It writes the store, so it works whether
// or not the server runs.
func userRemindersCmd() *cobra.Command {
	return userSub("reminders USER@DOMAIN on|off", "Turn a user's calendar reminders on or off", 2,
		func(ctx context.Context, m *account.Manager, st store.Store, args []string) error {
			j, err := jid.Parse(args[0])
			if err != nil || j.Local() == "" || j.Resource() != "" {
				return fmt.Errorf("%q is not a bare user JID", args[0])
			}
			if m.IsLocal != nil && !m.IsLocal(j.Domain()) {
				return fmt.Errorf("%s is not a domain of this server", j.Domain())
			}
			var value string
			switch args[1] {
			case "on":
				value = store.RemindersOn
			case "off":
				value = store.RemindersOff
			default:
				return fmt.Errorf("the second argument must be on or off, not %q", args[1])
			}
			if _, err := st.User(ctx, j.String()); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no account %s", j)
			} else if err != nil {
				return err
			}
			p, err := st.CalendarPrefs(ctx, j.String())
			if err != nil {
				return err
			}
			p.Reminders = value
			if err := st.SetCalendarPrefs(ctx, j.String(), p); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no account %s", j)
			} else if err != nil {
				return err
			}
			fmt.Printf("calendar reminders %s for %s\n", args[1], j)
			return nil
		})
}
