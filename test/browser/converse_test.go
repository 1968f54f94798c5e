package browser

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// converseDist is Converse.js's build (npm converse.js), served as /dist/:
// converse.min.js loads its chunks, emoji and sounds from there
// (assets_path).
const converseDist = "node_modules/converse.js/dist"

// TestConverseMUC: Converse.js (issue 6: rooms must satisfy the clients
// people use), its whole UI in Chromium, logs in over WebSocket as alice
// with auto_login and joins (auto_join_rooms) a room bob (slixmpp, TCP)
// created and gave a subject and a message; the view shows the subject,
// the earlier message (Converse.js reads it from the room's archive) and
// both nicks in the occupant list. bob's groupchat message appears in the
// view; alice's, typed into the message box, reaches bob.
//
// Then alice opens a room that does not exist and writes in it: the
// server's 201 makes Converse.js fetch the owner form and submit it
// (auto_configure); bob joins that room, finds alice its owner, her
// message in the history and the room named, persistent and public as
// Converse.js configured it, and the view shows the name, both nicks and
// the message. alice types the commands /topic (bob gets the new subject)
// and /kick (bob is kicked, status 307 with her reason, and leaves her
// occupant list). She creates a third room and fills in the configuration
// dialog Converse.js renders from the owner form (name, persistent)
// herself. Opening a password-protected room of bob's, she is asked for
// the password and gets in. Converse.js's "Query for groupchats" dialog
// lists the rooms by name.
//
// Back in the first room, alice renames herself with /nick (bob sees
// status 303 and the new nick, the view lists it) and talks under the new
// nick, then clicks bob in the occupant list and reads his private
// message (XEP-0045 7.5; her own private messages to him are in
// TestConverseCarelessFrom). When alice logs out, bob sees her leave.
func TestConverseMUC(t *testing.T) {
	const (
		fresh         = "fresh@conference." + domain
		formRoom      = "byhand@conference." + domain
		formName      = "Configured by hand"
		vault         = "vault@conference." + domain
		vaultPassword = "open sesame"
		inVault       = "inside the vault"
		fromBob       = "hello from slixmpp"
		fromAlice     = "hello from Converse.js"
		freshName     = "Made by Converse.js"
		firstWords    = "first words in a new room"
		freshTopic    = "a topic set with /topic"
		kickReason    = "testing /kick"
		afterRename   = "the same alice, renamed"
		pmToAlice     = "just between us, alicia"
	)
	bob, b := converseInTeam(t, url.Values{"create": {fresh}, "create_name": {freshName}, "form": {formRoom}, "form_name": {formName}, "room_password": {vaultPassword}})

	// bob → Converse.js, then Converse.js (typed and sent with Enter) → bob.
	bob.send(map[string]string{"cmd": "say", "room": team, "body": fromBob})
	b.waitFor("bob's message in team's view", roomShows(team, func(v roomView) bool { return v.has(team+"/bob", fromBob) }))
	b.send(map[string]string{"cmd": "send", "to": team, "body": fromAlice})
	b.expect("sent", "to", team)
	bob.expect("groupchat", "frm", team+"/alice", "body", fromAlice)
	b.waitFor("alice's own message in team's view, reflected", roomShows(team, func(v roomView) bool { return v.reflected(team+"/alice", fromAlice) }))

	// alice opens a room that does not exist and says something there:
	// Converse.js creates it and configures it through the owner form.
	b.send(map[string]string{"cmd": "send", "to": fresh, "body": firstWords})
	b.expect("entered", "room", fresh, "nick", "alice")
	b.expect("sent", "to", fresh)
	b.waitFor("fresh's disco#info name after configuration", is("room_info", "room", fresh, "name", freshName))
	b.waitFor("alice's message in fresh's view, reflected", roomShows(fresh, func(v roomView) bool { return v.reflected(fresh+"/alice", firstWords) }))
	bob.send(map[string]string{"cmd": "join", "room": fresh, "nick": "bob", "history": "5"})
	joined := bob.expect("joined", "room", fresh)
	if !slices.Contains(list(joined, "occupants"), "alice") {
		t.Errorf("bob joined %s with occupants %v, want alice among them", fresh, joined.get("occupants"))
	}
	if !slices.Contains(list(joined, "history"), "alice: "+firstWords) {
		t.Errorf("bob joined %s with history %v, want alice's %q", fresh, joined.get("history"), firstWords)
	}
	bob.expect("muc_presence", "frm", fresh+"/alice", "affiliation", "owner")
	bob.send(map[string]string{"cmd": "info", "room": fresh})
	info := bob.expect("info", "room", fresh)
	if info.get("name") != freshName || !slices.Contains(list(info, "features"), "muc_persistent") || !slices.Contains(list(info, "features"), "muc_public") {
		t.Errorf("disco#info of %s: name %q features %s, want %q, muc_persistent and muc_public (the owner form Converse.js sent)",
			fresh, info.get("name"), info.get("features"), freshName)
	}
	b.waitFor("fresh's view with its name, both occupants and alice's message", roomShows(fresh, func(v roomView) bool {
		return v.Title == freshName && v.hasOccupants("alice", "bob") && v.has(fresh+"/alice", firstWords)
	}))

	// Converse.js's commands, typed like messages: the owner sets the
	// subject and kicks bob (a moderator may, XEP-0045 8.1 and 8.2).
	b.send(map[string]string{"cmd": "send", "to": fresh, "body": "/topic " + freshTopic})
	bob.expect("subject", "frm", fresh+"/alice", "subject", freshTopic)
	b.waitFor("the new subject in fresh's view", roomShows(fresh, func(v roomView) bool { return v.Subject == freshTopic }))
	b.send(map[string]string{"cmd": "send", "to": fresh, "body": "/kick bob " + kickReason})
	kicked := bob.expect("muc_presence", "frm", fresh+"/bob", "type", "unavailable")
	if !slices.Contains(list(kicked, "codes"), "307") || kicked.get("reason") != kickReason {
		t.Errorf("bob's unavailable presence from %s: codes %s reason %q, want 307 and %q", fresh, kicked.get("codes"), kicked.get("reason"), kickReason)
	}
	b.waitFor("fresh's view without bob", roomShows(fresh, func(v roomView) bool {
		return v.hasOccupants("alice") && !v.hasOccupants("bob")
	}))

	// Another new room, configured by hand: alice fills in the dialog
	// Converse.js renders from the owner form and saves it.
	b.send(map[string]string{"cmd": "send", "to": formRoom, "body": firstWords})
	if e := b.expect("configured", "room", formRoom); e.get("persistent") != "true" {
		t.Errorf("Converse.js's configuration dialog for %s has no persistent room field (%s fields)", formRoom, e.get("fields"))
	}
	b.waitFor("alice's message in the configured room, reflected", roomShows(formRoom, func(v roomView) bool {
		return v.Title == formName && v.reflected(formRoom+"/alice", firstWords)
	}))
	bob.send(map[string]string{"cmd": "info", "room": formRoom})
	info = bob.expect("info", "room", formRoom)
	if info.get("name") != formName || !slices.Contains(list(info, "features"), "muc_persistent") {
		t.Errorf("disco#info of %s: name %q features %s, want %q and muc_persistent (the dialog alice saved)",
			formRoom, info.get("name"), info.get("features"), formName)
	}

	// A password-protected room: Converse.js asks alice for the password.
	bob.send(map[string]string{"cmd": "create", "room": vault, "nick": "bob", "name": "Vault", "subject": "locked", "password": vaultPassword})
	bob.expect("created", "room", vault)
	b.send(map[string]string{"cmd": "send", "to": vault, "body": inVault})
	b.expect("password", "room", vault)
	bob.expect("groupchat", "frm", vault+"/alice", "body", inVault)

	// The "Query for groupchats" dialog lists the (public) rooms by name.
	b.send(map[string]string{"cmd": "send", "to": "conference." + domain, "body": ""})
	var listed struct {
		Rooms []struct{ JID, Name, Shown string }
	}
	decode(b.expect("rooms", "service", "conference."+domain), &listed)
	for _, want := range [][2]string{{team, "Team"}, {fresh, freshName}, {formRoom, formName}, {vault, "Vault"}} {
		if !slices.ContainsFunc(listed.Rooms, func(r struct{ JID, Name, Shown string }) bool {
			return r.JID == want[0] && r.Shown == want[1]
		}) {
			t.Errorf("Converse.js lists the rooms %+v, want %s shown as %q", listed.Rooms, want[0], want[1])
		}
	}

	// alice renames herself in team with /nick (XEP-0045 7.6, status
	// 303), and goes on talking under the new nick.
	b.send(map[string]string{"cmd": "send", "to": team, "body": "/nick alicia"})
	renamed := bob.expect("muc_presence", "frm", team+"/alice", "type", "unavailable")
	if !slices.Contains(list(renamed, "codes"), "303") {
		t.Errorf("bob got alice's unavailable presence from %s with codes %s, want 303 (nick change)", team, renamed.get("codes"))
	}
	bob.expect("muc_presence", "frm", team+"/alicia", "type", "available")
	b.waitFor("team's view with alicia and bob", roomShows(team, func(v roomView) bool {
		return v.hasOccupants("alicia", "bob") && !v.hasOccupants("alice")
	}))
	b.send(map[string]string{"cmd": "send", "to": team, "body": afterRename})
	bob.expect("groupchat", "frm", team+"/alicia", "body", afterRename)
	b.waitFor("alicia's message in team's view, reflected", roomShows(team, func(v roomView) bool { return v.reflected(team+"/alicia", afterRename) }))

	// A private message between occupants (XEP-0045 7.5): bob writes to
	// team/alicia; alicia clicks bob in the occupant list and sees it.
	//
	// Not the other way: Converse.js 14.0.0 sends its private messages
	// with from='<room>/<own nick>' (conversejs/converse.js#3864), not
	// from her own JID, and Parley, like ejabberd, answers a 'from' that
	// is not the session's address with the stream error invalid-from
	// (RFC 6120 4.9.3.9): the session ends and the message is lost.
	// Prosody overrides the 'from' instead (RFC 6120 8.1.2.1 allows
	// either).
	bob.send(map[string]string{"cmd": "pm", "to": team + "/alicia", "body": pmToAlice})
	b.send(map[string]string{"cmd": "send", "to": team + "/bob", "body": ""})
	b.expect("opened", "to", team+"/bob")
	b.waitFor("bob's private message in the conversation in team's sidebar", roomShows(team, func(v roomView) bool {
		return v.hasPM(team+"/bob", pmToAlice)
	}))

	b.send(map[string]string{"cmd": "close"})
	bob.expect("muc_presence", "frm", team+"/alicia", "type", "unavailable")
	bob.send(map[string]string{"cmd": "quit"})
	bob.wait()
	if e := find(b.snapshot(), is("fail")); e != nil {
		t.Errorf("browser: %s", e)
	}
}

const (
	team    = "team@conference." + domain
	subject = "Parley rooms, tested with Converse.js"
	early   = "said before alice came"
)

// converseInTeam starts the server, bob (clients/converse_room.py), who
// creates team (named, persistent, archived), gives it a subject and says
// early, and Converse.js (pages/converse.html with q and the login and
// auto_join_rooms parameters) as alice, and waits until alice is in team:
// bob sees her come in and her view shows the subject, both occupants and
// bob's earlier message (from the archive, so marked delayed).
func converseInTeam(t *testing.T, q url.Values) (bob, b *proc) {
	t.Helper()
	if target != "parley" {
		t.Skip("rooms on conference.localhost are Parley's configuration; the Prosody configuration has no MUC component")
	}
	if _, err := os.Stat(filepath.Join(pkgDir, converseDist, "converse.min.js")); err != nil {
		msg := fmt.Sprintf("%v: run npm ci in test/browser", err)
		if os.Getenv("CI") != "" || os.Getenv(requiredEnv) != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	srv := startServer(t, "alice", "bob")
	pages := serveConverse(t)
	endpointExists(t, srv.wsURL())

	bob = startProc(t, "slixmpp", pkgDir, peerTimeout+10*time.Second, is("fail"),
		python, filepath.Join("clients", "converse_room.py"), "--host", "127.0.0.1", "--port", port(srv.c2s),
		"--transport", srv.transport, "--domain", domain, "--password", password,
		"--timeout", strconv.Itoa(int(peerTimeout/time.Second)))
	bob.expect("ready")
	bob.send(map[string]string{"cmd": "create", "room": team, "nick": "bob", "name": "Team", "subject": subject})
	bob.expect("created", "room", team)
	bob.send(map[string]string{"cmd": "say", "room": team, "body": early})
	bob.expect("groupchat", "frm", team+"/bob", "body", early)

	q.Set("url", srv.wsURL())
	q.Set("jid", "alice@"+domain)
	q.Set("password", password)
	q.Set("rooms", team)
	b = startBrowser(t, pages.URL+"/converse.html?"+q.Encode())
	t.Logf("Converse.js %s", b.expect("client").get("version"))
	b.expect("connected", "jid", "alice@"+domain+"/*")

	b.expect("entered", "room", team, "nick", "alice")
	bob.expect("muc_presence", "frm", team+"/alice", "type", "available")
	b.waitFor("team's view with subject, both occupants and bob's earlier message", roomShows(team, func(v roomView) bool {
		return v.Subject == subject && v.hasOccupants("alice", "bob") && v.delayed(team+"/bob", early)
	}))
	return bob, b
}

// TestConverseCarelessFrom: Converse.js 14.0.0 sends some stanzas with a
// 'from' that is not its session's address, which a server may either
// refuse with invalid-from (ejabberd) or override (Prosody; RFC 6120
// 8.1.2.1 allows both). Parley overrides it, so these keep working:
//   - private-message: a private message to an occupant carries
//     from='<room>/<own nick>' (conversejs/converse.js#3864);
//   - reload: after reloading the page Converse.js resumes its stream
//     (XEP-0198) and at once enables carbons from '<JID>/<the new page's
//     resource>', which was never bound;
//   - reopen: with the session storage gone it logs in anew, binds a new
//     resource and sends disco#info from a resource of an earlier page.
func TestConverseCarelessFrom(t *testing.T) {
	t.Run("private-message", func(t *testing.T) {
		const pm = "just between us, bob"
		bob, b := converseInTeam(t, url.Values{})
		b.send(map[string]string{"cmd": "send", "to": team + "/bob", "body": pm})
		bob.expect("message", "frm", team+"/alice", "body", pm, "type", "chat")
	})
	for _, how := range []string{"reload", "reopen"} {
		t.Run(how, func(t *testing.T) {
			const during, after = "said while alice reloads", "back after the reload"
			bob, b := converseInTeam(t, url.Values{})
			b.send(map[string]string{"cmd": "send", "to": how})
			reloaded := b.expect("reloading").get("t")
			// Whether bob's message reaches the page before it unloads or
			// the new one is up to the race. After a new login it comes
			// from the room's archive; after a resumed stream (reload)
			// Converse.js does not ask the archive and shows only what it
			// kept, so there bob speaks once alice is back.
			if how == "reopen" {
				bob.send(map[string]string{"cmd": "say", "room": team, "body": during})
			}
			// What the new page shows: the old one may still show bob's
			// message before it unloads.
			back := b.waitFor("Converse.js connected again", afterT(reloaded, is("connected"))).get("t")
			if how == "reload" {
				bob.send(map[string]string{"cmd": "say", "room": team, "body": during})
			}
			b.waitFor("team's view with bob's message", afterT(back, roomShows(team, func(v roomView) bool {
				return v.has(team+"/bob", during)
			})))
			b.send(map[string]string{"cmd": "send", "to": team, "body": after})
			bob.expect("groupchat", "frm", team+"/alice", "body", after)
			last := b.waitFor("alice's message in team's view, reflected", afterT(back, roomShows(team, func(v roomView) bool {
				return v.reflected(team+"/alice", after)
			})))
			var view roomView
			decode(last, &view)
			want := []string{during, after}
			if how == "reopen" {
				want = append(want, early)
			}
			for _, m := range want {
				if n := view.count(m); n != 1 {
					t.Errorf("team's view shows %q %d times, want once; messages %+v", m, n, view.Messages)
				}
			}
		})
	}
}

// serveConverse serves pages/ and Converse.js's dist/ as /dist/ on a
// loopback port of its own (another origin than the server's).
func serveConverse(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir(filepath.Join(pkgDir, "pages"))))
	mux.Handle("/dist/", http.StripPrefix("/dist/", http.FileServer(http.Dir(filepath.Join(pkgDir, converseDist)))))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

// roomView is a "dom" event of converse.html: what one room's view shows.
type roomView struct {
	Room      string         `json:"room"`
	Title     string         `json:"title"`
	Subject   string         `json:"subject"`
	Occupants []string       `json:"occupants"`
	Messages  []shownMessage `json:"messages"`
	PMs       []shownMessage `json:"pms"` // with the occupant shown in the sidebar
}

type shownMessage struct {
	From     string `json:"from"`
	Text     string `json:"text"`
	Delayed  bool   `json:"delayed"`
	Received bool   `json:"received"`
}

func (v roomView) hasPM(from, text string) bool {
	for _, m := range v.PMs {
		if m.From == from && m.Text == text {
			return true
		}
	}
	return false
}

func (v roomView) hasOccupants(nicks ...string) bool {
	for _, n := range nicks {
		if !slices.Contains(v.Occupants, n) {
			return false
		}
	}
	return true
}

func (v roomView) has(from, text string) bool {
	for _, m := range v.Messages {
		if m.From == from && m.Text == text {
			return true
		}
	}
	return false
}

// delayed: the view shows the message as an old one (it came with a
// delay stamp, here from the room's archive).
func (v roomView) delayed(from, text string) bool {
	for _, m := range v.Messages {
		if m.From == from && m.Text == text && m.Delayed {
			return true
		}
	}
	return false
}

// reflected: the view shows one's own message as received, which
// Converse.js does when the room reflects it with the id it was sent with.
func (v roomView) reflected(from, text string) bool {
	for _, m := range v.Messages {
		if m.From == from && m.Text == text && m.Received {
			return true
		}
	}
	return false
}

// count is how many times the room's messages show text.
func (v roomView) count(text string) int {
	n := 0
	for _, m := range v.Messages {
		if m.Text == text {
			n++
		}
	}
	return n
}

// roomShows matches the "dom" events of room for which ok holds.
func roomShows(room string, ok func(roomView) bool) func(event) bool {
	return func(e event) bool {
		if e.get("event") != "dom" || e.get("room") != room {
			return false
		}
		var v roomView
		return decode(e, &v) == nil && ok(v)
	}
}

// afterT matches the page's events stamped later than t (a page event's
// "t", the page's clock in ms) that match: the events of the page after
// a reload.
func afterT(t string, match func(event) bool) func(event) bool {
	since, _ := strconv.ParseFloat(t, 64)
	return func(e event) bool {
		at, err := strconv.ParseFloat(e.get("t"), 64)
		return err == nil && at > since && match(e)
	}
}

// decode turns an event into the structure v.
func decode(e event, v any) error {
	b, err := json.Marshal(map[string]any(e))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// list is an event's field that is a list of strings.
func list(e event, key string) []string {
	var out []string
	json.Unmarshal([]byte(e.get(key)), &out)
	return out
}
