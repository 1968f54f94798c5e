package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/conference"
	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/sqlite"
	"github.com/parley-im/parley/xmpp/xml"
)

func runConference(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	root := &cobra.Command{Use: "parley", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(conferenceCmd())
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append(append([]string{"conference"}, args...), "--data-dir", dir))
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// parley conference list, show and end on a data directory with a
// scheduled conference.
func TestConferenceCLI(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUser(ctx, store.User{JID: "alice@localhost"}); err != nil {
		t.Fatal(err)
	}
	m := conference.New(conference.Options{Store: st, Domain: "localhost", MUCDomain: "conference.localhost"})
	start, end := time.Now().Add(time.Hour), time.Now().Add(2*time.Hour)
	r, err := m.Schedule(ctx, conference.Caller{Site: "12345"}, conference.Spec{Title: "Board meeting", Start: &start, End: &end,
		Key: ptrOf("s3cret"), Host: &conference.Person{FirstName: "Alice", UserID: "alice"},
		Attendees: []conference.Person{{FirstName: "Guest", Email: "guest@example.org"}}, Type: conference.TypeRegular}, "http://x")
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	id := r.Conference.ID

	out, err := runConference(t, dir, "list")
	if err != nil || !strings.Contains(out, id) || !strings.Contains(out, "Board meeting") || !strings.Contains(out, "Not Started") || !strings.Contains(out, "site 12345") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	out, _ = runConference(t, dir, "list", "--state", "ended")
	if strings.Contains(out, id) {
		t.Fatalf("list --state ended: %s", out)
	}
	if _, err := runConference(t, dir, "list", "--state", "later"); err == nil {
		t.Fatal("a bad --state accepted")
	}
	out, err = runConference(t, dir, "show", id)
	if err != nil || !strings.Contains(out, "Board meeting") || !strings.Contains(out, "Alice (alice@localhost)") ||
		!strings.Contains(out, "Guest <guest@example.org>") || !strings.Contains(out, "key:         required") || strings.Contains(out, "s3cret") {
		t.Fatalf("show: %v\n%s", err, out)
	}
	out, err = runConference(t, dir, "show", id, "--json", "--links", "--base-url", "https://chat.example.com")
	var v conferenceView
	if err != nil || json.Unmarshal([]byte(out), &v) != nil || v.ID != id || v.Type != "REGULAR" || v.Links == nil ||
		!strings.HasPrefix((*v.Links)["host"], "https://chat.example.com/conference/"+id+"#key=1_") || strings.Contains(out, "s3cret") {
		t.Fatalf("show --json --links: %v\n%s", err, out)
	}
	if _, err := runConference(t, dir, "show", "42"); err == nil || !strings.Contains(err.Error(), "no conference 42") {
		t.Fatalf("show of none: %v", err)
	}
	out, err = runConference(t, dir, "end", id)
	if err != nil || !strings.Contains(out, "ended conference "+id+" (FORCED)") {
		t.Fatalf("end: %v %s", err, out)
	}
	if _, err := runConference(t, dir, "end", id); err == nil || !strings.Contains(err.Error(), "already ended") {
		t.Fatalf("end twice: %v", err)
	}
	out, _ = runConference(t, dir, "list", "--state", "ended")
	if !strings.Contains(out, id) || !strings.Contains(out, "FORCED") {
		t.Fatalf("after end: %s", out)
	}
	st, _ = sqlite.Open(ctx, filepath.Join(dir, "parley.db"))
	defer st.Close()
	if _, err := st.Room(ctx, r.Conference.RoomJID); err == nil {
		t.Fatal("the ended conference's room is still stored")
	}
}

func ptrOf[T any](v T) *T { return &v }

// With a server running on the data directory, parley conference end
// goes through its control channel: the people in the conference's room
// are let out at once, not at the server's next lifecycle check.
func TestConferenceEndThroughRunningServer(t *testing.T) {
	dir, err := os.MkdirTemp("", "pconf") // short: the control socket's path is bounded
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, k := range []string{"PARLEY_HOSTS", "PARLEY_DATA_DIR", "PARLEY_STORAGE_DRIVER"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	srv := xmpptest.RunServer(t, func(c *config.Config) {
		c.DataDir = dir
		c.Storage.Driver = "sqlite"
		c.Conference.CheckInterval = config.Duration{Duration: time.Hour}
	})
	srv.AddUser("alice@localhost", "pw")
	ctx := t.Context()
	start, end := time.Now(), time.Now().Add(time.Hour)
	r, err := srv.Conferences().Schedule(ctx, conference.Caller{Site: "12345"}, conference.Spec{Title: "Running", Start: &start, End: &end,
		Host: &conference.Person{UserID: "alice"}, Type: conference.TypeRegular}, "http://x")
	if err != nil {
		t.Fatal(err)
	}
	id, room := r.Conference.ID, r.Conference.RoomJID
	alice := srv.Dial()
	alice.Login("alice", "pw", "r")
	alice.Send("<presence to='%s/Alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>", room)
	alice.ExpectMatch("self-presence", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("from") == room+"/Alice" && strings.Contains(el.String(), "code='110'")
	}, func(*xml.Element) bool { return true })

	out, err := runConference(t, dir, "end", id)
	if err != nil || out != "ended conference "+id+" (FORCED)\n" {
		t.Fatalf("end: %v %q", err, out)
	}
	alice.ExpectMatch("the room destroyed", func(el *xml.Element) bool {
		return el.Name == "presence" && el.Attr("type") == "unavailable" && strings.Contains(el.String(), "<destroy")
	}, func(*xml.Element) bool { return true })
	if _, err := runConference(t, dir, "end", id); err == nil || err.Error() != "conference "+id+" already ended (FORCED)" {
		t.Fatalf("end twice: %v", err)
	}
}
