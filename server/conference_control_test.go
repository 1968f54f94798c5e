package server_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/conference"
	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/control"
	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/store"
	xxml "github.com/parley-im/parley/xmpp/xml"
)

// parley conference end reaches the running server through its control
// channel: the conference ends FORCED at once, its people are let out
// (the room is destroyed) and the attendance is closed.
func TestConferenceEndByControl(t *testing.T) {
	dir, err := os.MkdirTemp("", "pconf")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "parley.sock")
	it := newITest(t, func(c *config.Config) { c.Control.Socket = sock })
	it.srv.AddUser("alice@localhost", "secret")
	it.srv.AddUser("bob@localhost", "secret")
	siteID, _ := it.site("ctl-site", "PRECONFERENCE")
	ctx := t.Context()
	m := it.srv.Conferences()
	start, end := time.Now(), time.Now().Add(time.Hour)
	r, err := m.Schedule(ctx, conference.Caller{Site: siteID}, conference.Spec{Title: "Ended by the operator", Type: conference.TypeRegular,
		Start: &start, End: &end, Host: &conference.Person{UserID: "alice"}, Attendees: []conference.Person{{UserID: "bob"}}}, it.base)
	if err != nil {
		t.Fatal(err)
	}
	id, room := r.Conference.ID, "conf"+r.Conference.ID
	alice, bob := mucLogin(t, it.srv, "alice"), mucLogin(t, it.srv, "bob")
	join(t, alice, room, "Alice", "")
	join(t, bob, room, "Bob", "")

	out, err := control.Call(ctx, sock, "conference", "end", id)
	if err != nil || out != "ended conference "+id+" (FORCED)\n" {
		t.Fatalf("end: %q %v", out, err)
	}
	await(t, bob, "the room destroyed", func(el *xxml.Element) bool {
		x := el.Child(muc.NSUser, "x")
		return el.Name == "presence" && el.Attr("type") == "unavailable" && x != nil && x.Child(muc.NSUser, "destroy") != nil
	})
	c, err := m.Lookup(ctx, id)
	if err != nil || c.State != store.ConferenceEnded || c.EndCause != conference.EndForced {
		t.Fatalf("after end: %+v %v", c, err)
	}
	stays, err := m.Attendance(ctx, id)
	if err != nil || len(stays) != 2 || stays[0].Exited.IsZero() || stays[1].Exited.IsZero() {
		t.Fatalf("attendance: %+v %v", stays, err)
	}
	if _, err := control.Call(ctx, sock, "conference", "end", id); !errors.Is(err, control.ErrCommand) || !strings.Contains(err.Error(), "already ended (FORCED)") {
		t.Fatalf("second end: %v", err)
	}
	if _, err := control.Call(ctx, sock, "conference", "end", "42"); !errors.Is(err, control.ErrCommand) || !strings.Contains(err.Error(), "no conference 42") {
		t.Fatalf("end of none: %v", err)
	}
	if _, err := control.Call(ctx, sock, "conference", "list"); !errors.Is(err, control.ErrCommand) || !strings.Contains(err.Error(), "usage") {
		t.Fatalf("another action: %v", err)
	}
}
