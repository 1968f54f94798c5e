package portable

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/sasl"
)

const passwords = `<?xml version='1.0' encoding='UTF-8'?>
<server-data xmlns='urn:xmpp:pie:0'>
  <host jid='Example.COM'>
    <user name='Alice' password='pencil'>
      <query xmlns='jabber:iq:roster'>
        <item jid='Bob@Example.com' name='Bob' subscription='from' approved='true'><group>A</group><group>A</group><group>B</group></item>
        <item jid='alice@example.com' subscription='both'/>
      </query>
      <query xmlns='jabber:iq:private'><x xmlns='ex:prefs'/></query>
    </user>
    <user name='bob' password='p&#xe4;ss w&apos;rd'/>
  </host>
</server-data>
`

func TestImportPasswords(t *testing.T) {
	stores(t, func(t *testing.T, st store.Store) {
		sum, warn, err := importString(t, st, ImportOptions{Workers: 3, BatchSize: 1}, passwords)
		if err != nil {
			t.Fatal(err)
		}
		if sum != (Summary{Users: 2, RosterItems: 1, Derived: 2}) {
			t.Errorf("summary %+v", sum)
		}
		if !warn.has("in.xml:9:") || !warn.has("alice@example.com: ignored <query xmlns='jabber:iq:private'/>") {
			t.Errorf("warnings %q", warn.list)
		}
		mustLogin(t, st, "alice@example.com", "pencil", sasl.SCRAMSHA1, sasl.SCRAMSHA256, sasl.Plain)
		mustLogin(t, st, "bob@example.com", "päss w'rd", sasl.SCRAMSHA256, sasl.Plain)
		u, _ := st.User(ctx, "alice@example.com")
		if u.SHA256.Iterations != sasl.DefaultIterations || len(u.SHA256.Salt) != sasl.SaltLen {
			t.Errorf("derived credential %+v", u.SHA256)
		}
		if got := roster(t, st, "alice@example.com"); got != `bob@example.com name="Bob" sub=from ask=false approved=true groups=["A" "B"]`+"\n" {
			t.Errorf("roster (self item dropped, groups deduplicated):\n%s", got)
		}
	})
}

func TestImportExisting(t *testing.T) {
	stores(t, func(t *testing.T, st store.Store) {
		importFiles(t, st, ImportOptions{}, prosodyFiles(t)...)
		before := exportString(t, st)
		doc := strings.ReplaceAll(strings.ReplaceAll(before, "Romeo Montague", "Romeo M."), "<user name='nurse'>", "<user name='nurse' password='new'>")
		doc = strings.Replace(doc, "<host jid='prosody.test'>", "<host jid='prosody.test'><user name='mercutio' password='m'/>", 1)

		sum, warn, err := importString(t, st, ImportOptions{}, doc)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Users != 1 || sum.Skipped != 3 || !warn.has("romeo@prosody.test: already exists, skipped (use --replace to overwrite)") {
			t.Errorf("without --replace: %+v %q", sum, warn.list)
		}
		if v, _ := st.VCard(ctx, "romeo@prosody.test"); !bytes.Contains(v, []byte("Romeo Montague")) {
			t.Errorf("a skipped user changed: %s", v)
		}

		sum, _, err = importString(t, st, ImportOptions{Replace: true}, doc)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Users != 4 || sum.Skipped != 0 {
			t.Errorf("with --replace: %+v", sum)
		}
		if v, _ := st.VCard(ctx, "romeo@prosody.test"); !bytes.Contains(v, []byte("Romeo M.")) {
			t.Errorf("replaced vCard: %s", v)
		}
		mustLogin(t, st, "nurse@prosody.test", "nurse-pass", sasl.SCRAMSHA1) // the exported key wins
		mustLogin(t, st, "nurse@prosody.test", "new", sasl.SCRAMSHA256)      // the password fills the gap
		if _, v, _ := st.Roster(ctx, "romeo@prosody.test"); v != 2 {
			t.Errorf("roster version after replace %d, want 2", v)
		}
	})
}

// What ejabberd's importer needs (checked by hand against ejabberd
// 23.01, see docs/import-export.md) is read back by ours.
func TestExportEjabberd(t *testing.T) {
	src := memory.New()
	importFiles(t, src, ImportOptions{}, ejabberdMain)
	var b bytes.Buffer
	if _, err := Export(ctx, src, &b, ExportOptions{Ejabberd: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "SCRAM-SHA-256") || !strings.Contains(b.String(), "<salt>N3lDZ3UwSm16VHpIa2FvMDgvYWJQZz09</salt>") {
		t.Errorf("ejabberd export:\n%s", b.String())
	}
	dst := memory.New()
	if _, _, err := importString(t, dst, ImportOptions{}, b.String()); err != nil {
		t.Fatal(err)
	}
	mustLogin(t, dst, "tybalt@plain.ejabberd.test", "tybalt-pass", sasl.SCRAMSHA1)
	mustLogin(t, dst, "romeo@ejabberd.test", "romeo-pass", sasl.SCRAMSHA1)
}

func TestXInclude(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "main.xml"), `<server-data xmlns='urn:xmpp:pie:0' xmlns:xi='http://www.w3.org/2001/XInclude'><xi:include href='h/host.xml'/></server-data>`)
	writeFile(t, filepath.Join(dir, "h/host.xml"), `<host xmlns='urn:xmpp:pie:0' xmlns:xi='http://www.w3.org/2001/XInclude' jid='example.com'><xi:include href='users/a.xml'/><user name='b' password='b'/></host>`)
	writeFile(t, filepath.Join(dir, "h/users/a.xml"), `<user xmlns='http://www.xmpp.org/extensions/xep-0227.html#ns' name='a' password='a'/>`)
	st := memory.New()
	sum, _ := importFiles(t, st, ImportOptions{}, filepath.Join(dir, "main.xml"))
	if users, _ := st.ListUsers(ctx, ""); sum.Users != 2 || strings.Join(users, ",") != "a@example.com,b@example.com" {
		t.Errorf("%+v %v", sum, users)
	}

	writeFile(t, filepath.Join(dir, "loop.xml"), `<server-data xmlns='urn:xmpp:pie:0' xmlns:xi='http://www.w3.org/2001/XInclude'><xi:include href='loop.xml'/></server-data>`)
	if _, err := Import(ctx, st, []string{filepath.Join(dir, "loop.xml")}, ImportOptions{}); !errors.Is(err, ErrLimit) {
		t.Errorf("server-data including itself: %v", err)
	}
	writeFile(t, filepath.Join(dir, "hloop.xml"), `<host xmlns='urn:xmpp:pie:0' xmlns:xi='http://www.w3.org/2001/XInclude' jid='x'><xi:include href='hloop.xml'/></host>`)
	if _, err := Import(ctx, st, []string{filepath.Join(dir, "hloop.xml")}, ImportOptions{}); !errors.Is(err, ErrFormat) {
		t.Errorf("host including itself: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	const head = "<server-data xmlns='urn:xmpp:pie:0' xmlns:xi='http://www.w3.org/2001/XInclude'>\n<host jid='example.com'>\n"
	const tail = "\n</host>\n</server-data>\n"
	for _, tc := range []struct {
		name, doc string
		err       error
		where     string // file:line of the error
	}{
		{"not XML", "hello", ErrSyntax, ":1:"},
		{"empty", "", ErrFormat, ":1:"},
		{"unclosed", head + "<user name='a'>", ErrSyntax, ":3:"},
		{"mismatched tags", head + "<user name='a'></host>" + tail, ErrSyntax, ":3:"},
		{"wrong root", "<server-data xmlns='jabber:client'/>", ErrFormat, ":1:"},
		{"no host jid", "<server-data xmlns='urn:xmpp:pie:0'>\n\n<host>" + tail, ErrFormat, ":3:"},
		{"host with a local part", "<server-data xmlns='urn:xmpp:pie:0'><host jid='a@b'>" + tail, ErrFormat, ":1:"},
		{"no user name", head + "\n\n<user password='x'/>" + tail, ErrFormat, ":5:"},
		{"bad user name", head + "<user name='a b@c' password='x'/>" + tail, ErrFormat, ":3:"},
		{"bad roster jid", head + "<user name='a'>\n<query xmlns='jabber:iq:roster'>\n<item jid='@@'/></query></user>" + tail, ErrFormat, ":5:"},
		{"bad subscription", head + "<user name='a'><query xmlns='jabber:iq:roster'><item jid='b@c' subscription='all'/></query></user>" + tail, ErrFormat, ":3:"},
		{"bad base64", head + "<user name='a'>\n<scram-credentials xmlns='urn:xmpp:pie:0#scram' mechanism='SCRAM-SHA-1'><iter-count>4096</iter-count><salt>!!</salt><server-key>x</server-key><stored-key>x</stored-key></scram-credentials></user>" + tail, ErrFormat, ":4:"},
		{"short key", head + "<user name='a'><scram-credentials xmlns='urn:xmpp:pie:0#scram' mechanism='SCRAM-SHA-256'><iter-count>4096</iter-count><salt>AAAA</salt><server-key>AAAA</server-key><stored-key>AAAA</stored-key></scram-credentials></user>" + tail, ErrFormat, ":3:"},
		{"bad iter-count", head + "<user name='a'><scram-credentials xmlns='urn:xmpp:pie:0#scram' mechanism='SCRAM-SHA-1'><iter-count>x</iter-count></scram-credentials></user>" + tail, ErrFormat, ":3:"},
		{"absolute include", head + "<xi:include href='/etc/passwd'/>" + tail, ErrInclude, ":3:"},
		{"url include", head + "<xi:include href='http://example.com/a.xml'/>" + tail, ErrInclude, ":3:"},
		{"include outside", head + "<xi:include href='../a.xml'/>" + tail, ErrInclude, ":3:"},
		{"missing include", head + "\n<xi:include href='nope.xml'/>" + tail, ErrInclude, ":4:"},
		{"text include", head + "<xi:include href='a.xml' parse='text'/>" + tail, ErrInclude, ":3:"},
		{"user outside host", "<user xmlns='urn:xmpp:pie:0' name='a'/>", ErrFormat, ":1:"},
		{"bad subscription request", head + "<user name='a'><presence type='subscribe' from='x@y/z'/></user>" + tail, ErrFormat, ":3:"},
		{"latin-1", "<?xml version='1.0' encoding='ISO-8859-1'?><server-data xmlns='urn:xmpp:pie:0'/>", ErrSyntax, ":1:"},
		{"text after root", "<server-data xmlns='urn:xmpp:pie:0'/>\nxx", ErrSyntax, ":2:"},
		{"deep", head + "<user name='a'>" + strings.Repeat("<x>", maxDepth) + strings.Repeat("</x>", maxDepth) + "</user>" + tail, ErrLimit, ":3:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := memory.New()
			_, _, err := importString(t, st, ImportOptions{}, tc.doc)
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if !strings.Contains(err.Error(), "in.xml"+tc.where) {
				t.Errorf("error %q does not say in.xml%s", err, tc.where)
			}
			if users, _ := st.ListUsers(ctx, ""); len(users) != 0 {
				t.Errorf("bad input wrote users %v", users)
			}
		})
	}
}

// All errors of the data are reported at once, and nothing is written.
func TestBadInputAllErrors(t *testing.T) {
	doc := "<server-data xmlns='urn:xmpp:pie:0'><host jid='example.com'>\n<user name='ok' password='x'/>\n<user/>\n<user name='b'><query xmlns='jabber:iq:roster'><item jid=''/></query></user>\n</host></server-data>"
	st := memory.New()
	_, _, err := importString(t, st, ImportOptions{}, doc)
	if err == nil || !strings.Contains(err.Error(), "in.xml:3:") || !strings.Contains(err.Error(), "in.xml:4:") {
		t.Fatalf("error %v", err)
	}
	if users, _ := st.ListUsers(ctx, ""); len(users) != 0 {
		t.Errorf("wrote %v", users)
	}
}

func TestImportMissingFile(t *testing.T) {
	_, err := Import(ctx, memory.New(), []string{filepath.Join(t.TempDir(), "none.xml")}, ImportOptions{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v", err)
	}
}

// FuzzImport feeds arbitrary documents to the reader: it must return
// records or errors, never panic or loop.
func FuzzImport(f *testing.F) {
	for _, p := range []string{ejabberdMain, "testdata/ejabberd/20261201-060854_ejabberd_test.xml", "testdata/prosody/nurse@prosody.test.xml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(passwords))
	f.Add([]byte("<host xmlns='urn:xmpp:pie:0' jid='a'><user name='b'><offline-messages><message xmlns='jabber:client'><body>x</body></message></offline-messages><vCard xmlns='vcard-temp'/></user></host>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &reader{now: fixedNow, warn: func(pos, string) {}}
		w := &walker{warn: func(pos, string) {}, fn: func(u userElem) error {
			rec, err := r.record(u)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("error without a position: %v", err)
				}
				return nil
			}
			// What we store must be well-formed XML we can read back.
			for _, m := range rec.acct.Offline {
				if _, err := parseFragment(m.Stanza, nsClient); err != nil {
					t.Fatalf("stored message %q does not parse: %v", m.Stanza, err)
				}
			}
			if rec.acct.VCard != nil {
				if _, err := parseFragment(rec.acct.VCard, ""); err != nil {
					t.Fatalf("stored vCard %q does not parse: %v", rec.acct.VCard, err)
				}
			}
			return nil
		}}
		w.dir = "/nonexistent-fuzz-dir" // no include can be read
		w.stream(bytes.NewReader(data), "/nonexistent-fuzz-dir/fuzz.xml", "", 0)
	})
}
