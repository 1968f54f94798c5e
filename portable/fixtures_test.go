package portable

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/sasl"
)

// Fixtures exported by real servers; testdata/README.md says how.
const ejabberdMain = "testdata/ejabberd/20261201-060854.xml"

func prosodyFiles(t *testing.T) []string {
	files, err := filepath.Glob("testdata/prosody/*.xml")
	if err != nil || len(files) != 3 {
		t.Fatalf("prosody fixtures: %v %v", files, err)
	}
	return files
}

func TestImportEjabberd(t *testing.T) {
	stores(t, func(t *testing.T, st store.Store) {
		sum, warn := importFiles(t, st, ImportOptions{IsLocal: func(d string) bool { return d == "ejabberd.test" }}, ejabberdMain)
		want := Summary{Users: 4, RosterItems: 5, Offline: 3, VCards: 3, Requests: 1, Derived: 1}
		if sum != want {
			t.Errorf("summary %+v, want %+v", sum, want)
		}
		if !warn.has("host plain.ejabberd.test (1 users) is not served") {
			t.Errorf("no warning about the host not served: %q", warn.list)
		}
		users, _ := st.ListUsers(ctx, "")
		if strings.Join(users, " ") != "juliet@ejabberd.test nurse@ejabberd.test romeo@ejabberd.test tybalt@plain.ejabberd.test" {
			t.Errorf("users %v", users)
		}

		// The ejabberd.test host keeps SCRAM-SHA-1 keys (exported doubly
		// base64-encoded), plain.ejabberd.test clear-text passwords, from
		// which both credentials are derived on import.
		mustLogin(t, st, "romeo@ejabberd.test", "romeo-pass", sasl.SCRAMSHA1)
		mustLogin(t, st, "juliet@ejabberd.test", "juliet-pass", sasl.SCRAMSHA1)
		mustLogin(t, st, "nurse@ejabberd.test", "nurse-pass", sasl.SCRAMSHA1)
		mustLogin(t, st, "tybalt@plain.ejabberd.test", "tybalt-pass", sasl.SCRAMSHA1, sasl.SCRAMSHA256, sasl.Plain)
		if u, _ := st.User(ctx, "romeo@ejabberd.test"); u.SHA1.Iterations != 4096 || len(u.SHA1.Salt) != 16 || len(u.SHA256.StoredKey) != 0 {
			t.Errorf("romeo's credentials: %+v", u)
		}

		if got := roster(t, st, "romeo@ejabberd.test"); got != `juliet@ejabberd.test name="Juliet <3" sub=both ask=false approved=false groups=["Lovers" "Verona"]
nurse@ejabberd.test name="Nurse" sub=none ask=true approved=false groups=["Staff"]
` {
			t.Errorf("romeo's roster:\n%s", got)
		}
		if got := roster(t, st, "juliet@ejabberd.test"); got != `mercutio@verona.example name="Mercutio" sub=none ask=false approved=false groups=[]
romeo@ejabberd.test name="Romeo" sub=both ask=false approved=false groups=["Friends"]
` {
			t.Errorf("juliet's roster:\n%s", got)
		}
		if got := roster(t, st, "tybalt@plain.ejabberd.test"); got != `romeo@ejabberd.test name="Romeo (a villain)" sub=none ask=false approved=false groups=["Enemies" "Montagues"]
` {
			t.Errorf("tybalt's roster:\n%s", got)
		}
		if _, v, _ := st.Roster(ctx, "juliet@ejabberd.test"); v != 1 {
			t.Errorf("roster version %d after import, want 1", v)
		}

		reqs, _ := st.SubscriptionRequests(ctx, "nurse@ejabberd.test")
		if len(reqs) != 1 || reqs[0].From != "romeo@ejabberd.test" ||
			string(reqs[0].Stanza) != "<presence to='nurse@ejabberd.test' from='romeo@ejabberd.test' type='subscribe'/>" {
			t.Errorf("nurse's requests: %+v", reqs)
		}

		msgs := offline(t, st, "nurse@ejabberd.test")
		if len(msgs) != 2 {
			t.Fatalf("nurse has %d offline messages, want 2", len(msgs))
		}
		if s := string(msgs[0].Stanza); !strings.HasPrefix(s, "<message xml:lang='en' to='nurse@ejabberd.test' from='romeo@ejabberd.test/gen' type='chat'") ||
			!strings.Contains(s, "<body>Commend me to thy lady &amp; mistress.</body>") ||
			!strings.Contains(s, "<delay xmlns='urn:xmpp:delay' from='ejabberd.test' stamp='2026-12-01T06:08:47.978510Z'>Offline storage</delay>") {
			t.Errorf("first message: %s", s)
		}
		if !msgs[0].Stored.Equal(mustTime("2026-12-01T06:08:47.978Z")) {
			t.Errorf("first message stored at %v, want the delay stamp", msgs[0].Stored)
		}
		if s := string(msgs[1].Stanza); !strings.Contains(s, "<body>Hie to your chamber &lt;now&gt;.</body><subject>Errand</subject>") {
			t.Errorf("second message: %s", s)
		}
		if msgs := offline(t, st, "tybalt@plain.ejabberd.test"); len(msgs) != 1 || !strings.Contains(string(msgs[0].Stanza), "love thee…</body>") {
			t.Errorf("tybalt's offline messages: %+v", msgs)
		}

		v, err := st.VCard(ctx, "juliet@ejabberd.test")
		if err != nil || string(v) != "<vCard xmlns='vcard-temp'><FN>Juliet Capulet</FN><EMAIL><INTERNET/><USERID>juliet@capulet.example</USERID></EMAIL><NICKNAME>Júliet ♥</NICKNAME></vCard>" {
			t.Errorf("juliet's vCard: %s %v", v, err)
		}
		if _, err := st.VCard(ctx, "nurse@ejabberd.test"); err == nil {
			t.Error("nurse has a vCard")
		}
	})
}

func TestImportProsody(t *testing.T) {
	stores(t, func(t *testing.T, st store.Store) {
		sum, warn := importFiles(t, st, ImportOptions{}, prosodyFiles(t)...)
		want := Summary{Users: 3, RosterItems: 4, VCards: 2, Requests: 1}
		if sum != want {
			t.Errorf("summary %+v, want %+v", sum, want)
		}
		if len(warn.list) != 0 {
			t.Errorf("warnings: %q", warn.list)
		}
		mustLogin(t, st, "romeo@prosody.test", "romeo-pass", sasl.SCRAMSHA1)
		mustLogin(t, st, "juliet@prosody.test", "juliet-pass", sasl.SCRAMSHA1)
		mustLogin(t, st, "nurse@prosody.test", "nurse-pass", sasl.SCRAMSHA1)
		if u, _ := st.User(ctx, "romeo@prosody.test"); u.SHA1.Iterations != 10000 {
			t.Errorf("romeo's iterations: %d", u.SHA1.Iterations)
		}
		if got := roster(t, st, "romeo@prosody.test"); got != `juliet@prosody.test name="Juliet <3" sub=both ask=false approved=false groups=["Lovers" "Verona"]
nurse@prosody.test name="Nurse" sub=none ask=true approved=false groups=["Staff"]
` {
			t.Errorf("romeo's roster:\n%s", got)
		}
		if got := roster(t, st, "juliet@prosody.test"); got != `mercutio@verona.example name="Mercutio" sub=none ask=false approved=false groups=[]
romeo@prosody.test name="Romeo" sub=both ask=false approved=false groups=["Friends"]
` {
			t.Errorf("juliet's roster:\n%s", got)
		}
		// Prosody writes the request twice and without a namespace.
		reqs, _ := st.SubscriptionRequests(ctx, "nurse@prosody.test")
		if len(reqs) != 1 || string(reqs[0].Stanza) != "<presence type='subscribe' from='romeo@prosody.test' to='nurse@prosody.test'/>" {
			t.Errorf("nurse's requests: %+v", reqs)
		}
		if v, err := st.VCard(ctx, "romeo@prosody.test"); err != nil || !strings.Contains(string(v), "<FN>Romeo Montague</FN>") {
			t.Errorf("romeo's vCard: %s %v", v, err)
		}
	})
}

// Export, import the export elsewhere, export again: the same bytes, and
// users still log in.
func TestRoundTrip(t *testing.T) {
	src := memory.New()
	importFiles(t, src, ImportOptions{}, ejabberdMain)
	importFiles(t, src, ImportOptions{}, prosodyFiles(t)...)
	first := exportString(t, src)

	stores(t, func(t *testing.T, st store.Store) {
		sum, warn, err := importString(t, st, ImportOptions{}, first)
		if err != nil {
			t.Fatal(err)
		}
		if len(warn.list) != 0 || sum.Users != 7 || sum.Derived != 0 {
			t.Errorf("re-import: %+v, warnings %q", sum, warn.list)
		}
		if second := exportString(t, st); second != first {
			t.Errorf("second export differs from the first:\n%s\n----\n%s", first, second)
		}
		mustLogin(t, st, "juliet@prosody.test", "juliet-pass", sasl.SCRAMSHA1)
		mustLogin(t, st, "tybalt@plain.ejabberd.test", "tybalt-pass", sasl.SCRAMSHA1, sasl.SCRAMSHA256)
	})
	if os.Getenv("PORTABLE_WRITE_EXPORT") != "" { // for trying the output on other servers
		os.WriteFile(os.Getenv("PORTABLE_WRITE_EXPORT"), []byte(first), 0o600)
	}
	if !strings.Contains(first, "<host jid='ejabberd.test'>") || !strings.Contains(first, "<offline-messages>") ||
		!strings.Contains(first, "<message xmlns='jabber:client' xml:lang='en' to='nurse@ejabberd.test'") {
		t.Errorf("export:\n%s", first)
	}
}
