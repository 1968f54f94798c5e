package e2e

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/parley-im/parley/internal/pgtest"
)

// TestMigrateSQLiteToPostgres moves an installation the way docs/postgres.md
// says: a server on SQLite is used by real clients (slixmpp, aioxmpp) and
// an integrating site, stopped, `parley migrate` copies its data directory
// into PostgreSQL (named by PARLEY_STORAGE_DRIVER and PARLEY_STORAGE_DSN),
// and a server started on PostgreSQL, with a new, empty data directory,
// serves it all: rosters, the offline message, the message archive with
// the same ids, the persistent room with its archive, the site's key and
// the tokens it holds; and `parley user add` works on PostgreSQL.
func TestMigrateSQLiteToPostgres(t *testing.T) {
	t.Parallel()
	pg := pgtest.Shared(t) // skips without PostgreSQL's binaries
	dir := t.TempDir()
	addUsers(t, dir, "alice", "bob", "carol")
	siteID, siteKey := createSite(t, dir, "Vision", "PRESENCE")
	s := startServer(t, "parley on SQLite", dir)

	// The archive (alice and bob chat), a persistent room with its
	// archive, then the roster and an offline message for bob (last:
	// bob's next login takes it).
	runScript(t, s, startTLS, "carbons_mam.py")
	room := startScript(t, s, startTLS, "muc_room.py")
	room.waitFor("alice and bob in the room", "ready")
	startScript(t, s, startTLS, "muc_aioxmpp.py").wait()
	room.wait()
	roomBefore := need(t, runScript(t, s, startTLS, "muc_restart.py"), "room_archive", "client", "alice").get("bodies")
	if !strings.Contains(roomBefore, "m1,m2") {
		t.Fatalf("the room's archive before the move: %q", roomBefore)
	}
	runScript(t, s, startTLS, "restart_setup.py")
	before := archived(runScript(t, s, startTLS, "mam_list.py"))
	if len(before) < 9 { // m1..m7, the reply, the message left for bob
		t.Fatalf("alice's archive before the move: %v", before)
	}
	// The site holds a session and a PRESENCE token, as a web page would.
	base := "http://" + s.http
	session := apiToken(t, base, "createSession", siteID, siteKey, "SITE")
	presence := apiCall(t, base, "requestToken", siteID, session, map[string]string{"tokenPolicy": "PRESENCE"})
	token, tid := tokenParts(t, presence)
	jsBefore := presenceJS(t, base, token, tid, "alice@localhost")
	s.stop()

	dsn := pg.NewSchema(t)
	env := []string{"PARLEY_STORAGE_DRIVER=postgres", "PARLEY_STORAGE_DSN=" + dsn}
	out, err := parleyCmdEnv(t, t.TempDir(), env, "migrate", "--from-sqlite", dir)
	if err != nil {
		t.Fatalf("parley migrate: %v\n%s", err, out)
	}
	for _, table := range []string{"users", "roster_items", "offline_messages", "archive", "rooms", "room_archive", "sites", "tokens"} {
		if !strings.Contains(out, table) {
			t.Errorf("parley migrate output names no table %s:\n%s", table, out)
		}
	}
	if out, err := parleyCmdEnv(t, t.TempDir(), env, "migrate", "--from-sqlite", dir); err == nil || !strings.Contains(out, "not empty") {
		t.Errorf("a second migrate into the same database: %v %q, want a refusal saying it is not empty", err, out)
	}

	newDir := t.TempDir() // nothing may come from the old data directory
	s2 := startServerEnv(t, "parley on PostgreSQL", newDir, env)
	runScript(t, s2, startTLS, "restart_check.py") // rosters, subscriptions, bob's offline message
	after := archived(runScript(t, s2, startTLS, "mam_list.py"))
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("alice's archive on PostgreSQL:\n%v\nwant, as on SQLite:\n%v", after, before)
	}
	ev := runScript(t, s2, startTLS, "muc_restart.py")
	if rooms := need(t, ev, "rooms", "client", "alice").get("rooms"); !strings.Contains(rooms, `"team@conference.localhost":"Team"`) {
		t.Errorf("rooms on PostgreSQL: %s", rooms)
	}
	if b := need(t, ev, "room_archive", "client", "alice").get("bodies"); b != roomBefore {
		t.Errorf("the room's archive on PostgreSQL: %q, want as on SQLite %q", b, roomBefore)
	}
	need(t, ev, "joined", "client", "alice", "affiliation", "owner")

	// The site's key and the tokens it was given still work.
	base2 := "http://" + s2.http
	if js := presenceJS(t, base2, token, tid, "alice@localhost"); js != jsBefore {
		t.Errorf("the presence URL of a token issued on SQLite answers %q on PostgreSQL, was %q", js, jsBefore)
	}
	apiCall(t, base2, "requestToken", siteID, session, map[string]string{"tokenPolicy": "PRESENCE"})
	apiToken(t, base2, "createSession", siteID, siteKey, "SITE")
	if out, err := parleyCmdEnv(t, newDir, env, "site", "show", siteID); err != nil || !strings.Contains(out, "Vision") {
		t.Errorf("parley site show on PostgreSQL: %v\n%s", err, out)
	}

	// The store commands work on PostgreSQL through the same variables.
	if out, err := parleyCmdEnv(t, newDir, env, "user", "add", "dora@localhost", "secret"); err != nil {
		t.Fatalf("parley user add on PostgreSQL: %v\n%s", err, out)
	}
	runScript(t, s2, startTLS, "login.py", "--user", "dora")
	out, err = parleyCmdEnv(t, newDir, env, "user", "list")
	if err != nil || strings.Count(out, "@localhost") != 4 {
		t.Errorf("parley user list on PostgreSQL: %v\n%s", err, out)
	}
}

// archived is what mam_list.py listed: "id from body" per message.
func archived(ev []event) []string {
	var out []string
	for _, e := range ev {
		if e.matches("archived") {
			out = append(out, e.get("id")+" "+e.get("frm")+" "+e.get("body"))
		}
	}
	return out
}

// apiCall calls an AuthenticationService operation of the JSON binding
// (docs/integration.md) and returns its decoded answer.
func apiCall(t *testing.T, base, op string, params ...any) map[string]any {
	t.Helper()
	body := map[string]any{}
	for i, p := range params {
		body[fmt.Sprint("param", i)] = p
	}
	b, _ := json.Marshal(body)
	resp, err := http.Post(base+"/api/v1/AuthenticationService/"+op, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", op, resp.StatusCode, raw)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s answered %s: %v", op, raw, err)
	}
	return out
}

func apiToken(t *testing.T, base, op string, params ...any) string {
	t.Helper()
	tok, _ := tokenParts(t, apiCall(t, base, op, params...))
	return tok
}

// tokenParts is a token object's token string and its TOKENID.
func tokenParts(t *testing.T, obj map[string]any) (token, tid string) {
	t.Helper()
	token, _ = obj["token"].(string)
	attrs, _ := obj["tokenAttributes"].([]any)
	for _, a := range attrs {
		if m, ok := a.(map[string]any); ok && m["name"] == "TOKENID" {
			tid, _ = m["value"].(string)
		}
	}
	if token == "" || tid == "" {
		t.Fatalf("token object %v", obj)
	}
	return token, tid
}

// presenceJS fetches the JS presence URL of who with a PRESENCE token
// (its K1 computed as docs/integration.md shows).
func presenceJS(t *testing.T, base, token, tid, who string) string {
	t.Helper()
	sum := sha1.Sum([]byte("<TOKEN><" + token + "><R_MODE><JS><R_UID><" + who + ">"))
	k1 := strings.ToUpper(hex.EncodeToString(sum[:]))
	u := base + "/imtapp/Presence?TID=" + url.QueryEscape(tid) + "&R_UID=" + url.QueryEscape(who) + "&R_MODE=JS&K1=" + k1
	_, body := fetch(t, u)
	if !bytes.Contains(body, []byte("var show")) {
		t.Fatalf("presence JS: %s", body)
	}
	return string(body)
}
