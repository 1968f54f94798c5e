package e2e

import (
	"strings"
	"testing"
)

// TestMUCThreeClientsKickHistoryRestart is issue 6's end-to-end check
// with real clients: slixmpp (alice, bob; XEP-0045 plugin) and aioxmpp
// (carol; its MUC service) in one room; the owner kicks carol; bob gets
// history when he rejoins; the persistent room, its configuration and
// its archive survive a restart; `parley room` creates, lists and
// destroys rooms on the same data.
func TestMUCThreeClientsKickHistoryRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	addUsers(t, dir, "alice", "bob", "carol")
	s := startServer(t, "parley", dir)

	room := startScript(t, s, startTLS, "muc_room.py")
	room.waitFor("alice and bob in the room", "ready")
	carol := startScript(t, s, startTLS, "muc_aioxmpp.py")
	cev := carol.wait()
	ev := room.wait()

	joined := need(t, ev, "joined", "client", "alice")
	if c := joined.get("codes"); !strings.Contains(c, "110") || !strings.Contains(c, "201") {
		t.Errorf("creating the room: self-presence codes %s, want 110 and 201", c)
	}
	if joined.get("affiliation") != "owner" || joined.get("role") != "moderator" {
		t.Errorf("the creator is %s/%s, want owner/moderator", joined.get("affiliation"), joined.get("role"))
	}
	need(t, cev, "joined", "client", "carol", "role", "participant", "affiliation", "none")
	exit := need(t, cev, "exit", "client", "carol")
	if exit.get("mode") != "KICKED" || !strings.Contains(exit.get("codes"), "307") || exit.get("reason") != "enough for today" {
		t.Errorf("carol's exit: %v, want KICKED with 307 and alice's reason", exit)
	}
	if k := need(t, ev, "kick_seen", "client", "bob"); k.get("reason") != "enough for today" {
		t.Errorf("bob saw the kick with reason %q", k.get("reason"))
	}
	h := need(t, ev, "history", "client", "bob")
	if h.get("bodies") != "m1,m2" || h.get("all_delayed") != "true" ||
		h.get("senders") != "team@conference.localhost/alice,team@conference.localhost/bob" {
		t.Errorf("history on rejoin with maxstanzas=2: %v, want m1 (alice), m2 (bob), delay-stamped", h)
	}
	s.stop()

	room2 := func(args ...string) string {
		t.Helper()
		out, err := parleyCmd(t, dir, "room", args...)
		if err != nil {
			t.Fatalf("parley room %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	room2("create", "lobby@conference.localhost", "--name", "Lobby", "--owner", "alice@localhost")
	if out, err := parleyCmd(t, dir, "room", "create", "lobby@conference.localhost"); err == nil || !strings.Contains(out, "exists") {
		t.Errorf("creating a room twice: err=%v %q, want a failure saying it exists", err, out)
	}
	room2("create", "scratch@conference.localhost")
	list := room2("list")
	for _, want := range []string{"team@conference.localhost", "Team", "lobby@conference.localhost", "Lobby", "scratch@conference.localhost"} {
		if !strings.Contains(list, want) {
			t.Errorf("parley room list lacks %q:\n%s", want, list)
		}
	}
	room2("destroy", "scratch@conference.localhost")
	if list := room2("list"); strings.Contains(list, "scratch@") {
		t.Errorf("destroyed room still listed:\n%s", list)
	}

	s2 := startServer(t, "parley (restarted)", dir)
	ev = runScript(t, s2, startTLS, "muc_restart.py")
	rooms := need(t, ev, "rooms", "client", "alice").get("rooms")
	for _, want := range []string{`"team@conference.localhost":"Team"`, `"lobby@conference.localhost":"Lobby"`} {
		if !strings.Contains(rooms, want) {
			t.Errorf("rooms after the restart: %s, want %s", rooms, want)
		}
	}
	if f := need(t, ev, "room_info", "client", "alice").get("features"); !strings.Contains(f, "muc_persistent") {
		t.Errorf("room features after the restart: %s, want muc_persistent", f)
	}
	rejoined := need(t, ev, "joined", "client", "alice")
	if c := rejoined.get("codes"); strings.Contains(c, "201") || rejoined.get("affiliation") != "owner" {
		t.Errorf("rejoining after the restart: codes %s affiliation %s, want no 201 and owner", c, rejoined.get("affiliation"))
	}
	if b := need(t, ev, "room_archive", "client", "alice").get("bodies"); b != "hello from aioxmpp,m1,m2" {
		t.Errorf("room archive after the restart: %q, want hello from aioxmpp,m1,m2", b)
	}
}
