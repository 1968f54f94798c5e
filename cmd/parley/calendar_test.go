package main

import (
	"context"
	"strings"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/server"
	"github.com/parley-im/parley/store"
)

// TestUserReminders runs `parley user reminders` against a sqlite data
// directory and reads the setting back; a time zone set by the user is
// kept.
func TestUserReminders(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) error {
		cmd := userCmd()
		cmd.SetArgs(append(args, "--data-dir", dir))
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		return cmd.Execute()
	}
	open := func() store.Store {
		t.Helper()
		cfg := config.Default()
		cfg.DataDir = dir
		st, err := server.OpenStore(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	prefs := func() store.CalendarPrefs {
		t.Helper()
		st := open()
		defer st.Close()
		p, err := st.CalendarPrefs(context.Background(), "bob@localhost")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if err := run("add", "bob@localhost", "pw"); err != nil {
		t.Fatal(err)
	}
	st := open()
	st.SetCalendarPrefs(context.Background(), "bob@localhost", store.CalendarPrefs{TimeZone: "Europe/Rome"})
	st.Close()
	if err := run("reminders", "Bob@LocalHost", "on"); err != nil || prefs() != (store.CalendarPrefs{Reminders: store.RemindersOn, TimeZone: "Europe/Rome"}) {
		t.Fatalf("on: %v, %+v", err, prefs())
	}
	if err := run("reminders", "bob@localhost", "off"); err != nil || prefs().Reminders != store.RemindersOff {
		t.Fatalf("off: %v, %+v", err, prefs())
	}
	for args, want := range map[[2]string]string{
		{"nobody@localhost", "on"}:    "no account nobody@localhost",
		{"bob@localhost", "yes"}:      "on or off",
		{"bob@elsewhere.org", "on"}:   "not served",
		{"bob@localhost/phone", "on"}: "not a bare user JID",
	} {
		if err := run("reminders", args[0], args[1]); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("reminders %v: %v, want %q", args, err, want)
		}
	}
}

// `parley calendar-agent` without a running server says so.
func TestCalendarAgentNotRunning(t *testing.T) {
	cmd := calendarAgentCmd()
	cmd.SetArgs([]string{"status", "--data-dir", t.TempDir()})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "the server is not running") {
		t.Fatalf("%v", err)
	}
	cmd = calendarAgentCmd()
	cmd.SetArgs([]string{"reboot", "--data-dir", t.TempDir()})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "invalid argument") {
		t.Fatalf("%v", err)
	}
}
