package main

import (
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
)

// runIn runs a parley subcommand in-process on data directory dir.
func runIn(t *testing.T, dir string, cmd func() *cobra.Command, args ...string) error {
	t.Helper()
	c := cmd()
	c.SetArgs(append(args, "--data-dir", dir))
	c.SilenceUsage, c.SilenceErrors = true, true
	return c.Execute()
}

// Issue 11: `parley serve --domain example.com`, then `parley user add
// alice@example.com` on the same data directory works, without the
// domain being repeated; a refusal says how to fix it.
func TestDataCommandsKnowTheServedDomains(t *testing.T) {
	for _, k := range []string{"PARLEY_HOSTS", "PARLEY_DATA_DIR", "PARLEY_STORAGE_DRIVER"} {
		t.Setenv(k, "") // restored after the test
		os.Unsetenv(k)
	}
	dir := t.TempDir()

	// Before any server ran here: refused, with the way out.
	err := runIn(t, dir, userCmd, "add", "alice@example.com", "pw")
	if err == nil || !strings.Contains(err.Error(), "not served") ||
		!strings.Contains(err.Error(), "parley serve --data-dir "+dir+" --domain example.com") {
		t.Fatalf("before the server ran: %v", err)
	}

	srv := xmpptest.RunServer(t, func(c *config.Config) {
		c.DataDir = dir
		c.Storage.Driver = "sqlite"
		c.Hosts = []string{"example.com"}
	})
	// While it runs, on its data: accepted, and alice can log in.
	if err := runIn(t, dir, userCmd, "add", "alice@example.com", "pw"); err != nil {
		t.Fatalf("user add on the served domain: %v", err)
	}
	c := srv.Dial()
	c.Login("alice", "pw", "r")
	if c.JID != "alice@example.com/r" {
		t.Fatalf("bound %q", c.JID)
	}
	// localhost (the default) is not served from here: the refusal names
	// what is served and the command that would serve both.
	err = runIn(t, dir, userCmd, "add", "bob@localhost", "pw")
	if err == nil || !strings.Contains(err.Error(), "it serves example.com") ||
		!strings.Contains(err.Error(), "parley serve --data-dir "+dir+" --domain example.com,localhost") {
		t.Fatalf("user add on a domain not served: %v", err)
	}
	if err := runIn(t, dir, roomCmd, "create", "lobby@conference.localhost"); err == nil ||
		!strings.Contains(err.Error(), "--domain example.com,localhost") {
		t.Fatalf("room on a domain not served: %v", err)
	}
	if err := runIn(t, dir, roomCmd, "create", "lobby@conference.example.com"); err != nil {
		t.Fatalf("room on the served domain: %v", err)
	}
	// A domain this command's configuration names is accepted beside
	// the recorded ones (added to the configuration, server not yet
	// restarted).
	t.Setenv("PARLEY_HOSTS", "new.example")
	for _, u := range []string{"carol@new.example", "dan@example.com"} {
		if err := runIn(t, dir, userCmd, "add", u, "pw"); err != nil {
			t.Fatalf("user add %s with PARLEY_HOSTS=new.example: %v", u, err)
		}
	}
}
