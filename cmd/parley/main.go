// Command parley is the Parley server and its administration tool.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{
		Use:           "parley",
		Short:         "Parley: an enterprise instant-messaging and presence server (XMPP)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCmd(), userCmd(), benchCmd(), versionCmd(), importCmd(), exportCmd(), roomCmd(), siteCmd(), groupCmd(), conferenceCmd())
	root.AddCommand(migrateCmd())
	root.AddCommand(calendarAgentCmd())
	root.AddCommand(nodeCmd())
	root.AddCommand(sessionCmd())
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "parley:", err)
		os.Exit(1)
	}
}
