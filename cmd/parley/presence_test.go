package main

import (
	"context"
	"strings"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/server"
)

// TestUserSharePresence runs `parley user share-presence` against a
// sqlite data directory and reads the choice back from the store.
func TestUserSharePresence(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) error {
		cmd := userCmd()
		cmd.SetArgs(append(args, "--data-dir", dir))
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		return cmd.Execute()
	}
	shared := func() bool {
		t.Helper()
		cfg := config.Default()
		cfg.DataDir = dir
		st, err := server.OpenStore(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		on, err := st.PresenceShared(context.Background(), "bob@localhost")
		if err != nil {
			t.Fatal(err)
		}
		return on
	}
	if err := run("add", "bob@localhost", "pw"); err != nil {
		t.Fatal(err)
	}
	if err := run("share-presence", "Bob@LocalHost", "on"); err != nil || !shared() {
		t.Fatalf("on: %v, shared %v", err, shared())
	}
	if err := run("share-presence", "bob@localhost", "off"); err != nil || shared() {
		t.Fatalf("off: %v, shared %v", err, shared())
	}
	for args, want := range map[[2]string]string{
		{"nobody@localhost", "on"}:    "no account nobody@localhost",
		{"bob@localhost", "maybe"}:    "on or off",
		{"bob@elsewhere.org", "on"}:   "not served",
		{"bob@localhost/phone", "on"}: "not a bare user JID",
	} {
		if err := run("share-presence", args[0], args[1]); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("share-presence %v: %v, want %q", args, err, want)
		}
	}
}

// TestUserNetworkPresence runs `parley user network-presence` against a
// sqlite data directory: set, show, replace, off, and its refusals.
func TestUserNetworkPresence(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) error {
		cmd := userCmd()
		cmd.SetArgs(append(args, "--data-dir", dir))
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		return cmd.Execute()
	}
	remote := func() string {
		t.Helper()
		cfg := config.Default()
		cfg.DataDir = dir
		st, err := server.OpenStore(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		l, err := st.NetworkPresence(context.Background(), "alice@localhost")
		if err != nil {
			return ""
		}
		return l.Remote
	}
	if err := run("add", "alice@localhost", "pw"); err != nil {
		t.Fatal(err)
	}
	if err := run("network-presence", "alice@localhost"); err != nil || remote() != "" {
		t.Fatalf("show when unset: %v, %q", err, remote())
	}
	if err := run("network-presence", "Alice@LocalHost", "Alice@Partner.Example"); err != nil || remote() != "alice@partner.example" {
		t.Fatalf("set: %v, %q", err, remote())
	}
	if err := run("network-presence", "alice@localhost"); err != nil {
		t.Fatalf("show: %v", err)
	}
	if err := run("network-presence", "alice@localhost", "a@other.example"); err != nil || remote() != "a@other.example" {
		t.Fatalf("replace: %v, %q", err, remote())
	}
	if err := run("network-presence", "alice@localhost", "off"); err != nil || remote() != "" {
		t.Fatalf("off: %v, %q", err, remote())
	}
	for args, want := range map[[2]string]string{
		{"nobody@localhost", "x@partner.example"}:    "no account nobody@localhost",
		{"alice@localhost", "partner.example"}:       "not the bare JID of an account",
		{"alice@localhost", "x@partner.example/r"}:   "not the bare JID of an account",
		{"alice@localhost", "bob@localhost"}:         "not of another network",
		{"alice@elsewhere.org", "x@partner.example"}: "not served",
	} {
		if err := run("network-presence", args[0], args[1]); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("network-presence %v: %v, want %q", args, err, want)
		}
	}
}
